/**
 * A loopback fake of the Slack Web API, as @slack/web-api's WebClient calls it: `POST <slackApiUrl><method>` with an
 * `application/x-www-form-urlencoded` body (nested values such as `blocks` JSON-encoded inside the form) and
 * `Authorization: Bearer <token>`; answers are JSON `{ ok: true, … }` or `{ ok: false, error }`.
 * Point clients at it with `new WebClient(token, { slackApiUrl: fake.url, retryConfig: { retries: 0 } })`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  /** Form fields; JSON-looking `blocks`, `attachments` and `metadata` are parsed. */
  args: Record<string, unknown>;
  /** Bearer token (or the `token` form field when there is no Authorization header). */
  token?: string;
  /** Date.now() when the call arrived. */
  at: number;
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown;
  attachments?: unknown;
  metadata?: unknown;
  user: string;
  bot_id: string;
  /** Number of chat.update calls applied. */
  edits: number;
}

export interface FakeSlackEphemeral {
  channel: string;
  user: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown;
  message_ts: string;
}

export interface FakeSlack {
  readonly url: string;
  readonly calls: readonly SlackCall[];
  callsTo(method: string): SlackCall[];
  /** The next n calls to `method` answer HTTP 429 with `Retry-After: <seconds>`. */
  rateLimitNext(method: string, n: number, retryAfterSeconds: number): void;
  /** The next call to `method` answers `{ ok: false, error }`. */
  failNext(method: string, error: string): void;
  /** Polls until `predicate(calls)` holds; rejects with the list of calls seen. */
  waitFor(predicate: (calls: readonly SlackCall[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Current state of the messages posted in `channel` (after updates and deletes), oldest first. */
  messages(channel: string): FakeSlackMessage[];
  /** Ephemeral messages posted in `channel` (they cannot be updated or deleted through the API). */
  ephemerals(channel: string): FakeSlackEphemeral[];
  /** Membership answered by `usergroups.users.list`. */
  setUsergroup(id: string, users: string[]): void;
  /** The bot token's scopes, sent as `x-oauth-scopes` on every answer (as Slack does). Default: every scope the bot needs. */
  setScopes(scopes: readonly string[]): void;
  /** Whether the bot is in `channel` (`conversations.info` → `is_member`; default true). */
  setMember(channel: string, member: boolean): void;
  /**
   * Serves `method` with `handler` before the bot-token check (for methods called with another token, such as
   * `apps.connections.open` with the app-level token).
   */
  route(method: string, handler: (call: SlackCall) => { status: number; body: Record<string, unknown> }): void;
  close(): Promise<void>;
}

export const FAKE_TEAM_ID = 'T0FAKE';
export const FAKE_BOT_USER_ID = 'U0BOT';
export const FAKE_BOT_ID = 'B0BOT';

const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata']);

type Answer = { status: number; headers?: Record<string, string>; body: Record<string, unknown> };

function parseForm(raw: string): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    if (JSON_FIELDS.has(key) && /^\s*[[{]/.test(value)) {
      try {
        args[key] = JSON.parse(value) as unknown;
        continue;
      } catch {
        // keep the raw string: that is what Slack would choke on, and what the test should see
      }
    }
    args[key] = value;
  }
  return args;
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.startsWith('application/json')) {
    const parsed = JSON.parse(raw === '' ? '{}' : raw) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  }
  return parseForm(raw);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** What a bot token as the README's manifest grants (slack-app-manifest.yml `oauth_config.scopes.bot`). */
export const FAKE_BOT_SCOPES = [
  'commands',
  'chat:write',
  'chat:write.public',
  'app_mentions:read',
  'usergroups:read',
  'users:read',
  'users:read.email',
];

export async function startFakeSlack(o: { token?: string } = {}): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  let scopes: readonly string[] = FAKE_BOT_SCOPES;
  const nonMember = new Set<string>();
  const routes = new Map<string, (call: SlackCall) => Answer>();
  const messages = new Map<string, FakeSlackMessage[]>(); // channel -> messages (including deleted ones removed)
  const ephemerals: FakeSlackEphemeral[] = [];
  const usergroups = new Map<string, string[]>();
  const rateLimits = new Map<string, { remaining: number; retryAfter: number }>();
  const failures = new Map<string, string[]>();

  // Slack timestamps: seconds since the epoch, a dot, six digits; unique and increasing per workspace.
  let tsSeconds = Math.floor(Date.now() / 1000);
  let tsSeq = 0;
  const nextTs = (): string => {
    tsSeq += 100;
    if (tsSeq > 999_999) {
      tsSeconds += 1;
      tsSeq = 100;
    }
    return `${tsSeconds}.${String(tsSeq).padStart(6, '0')}`;
  };

  const findMessage = (channel: string, ts: string): FakeSlackMessage | undefined =>
    messages.get(channel)?.find((m) => m.ts === ts);

  const channelArg = (args: Record<string, unknown>): string | Answer => {
    const channel = str(args['channel']);
    return channel ?? { status: 200, body: { ok: false, error: 'channel_not_found' } };
  };

  const noText = (args: Record<string, unknown>): boolean =>
    str(args['text']) === undefined &&
    args['blocks'] === undefined &&
    args['attachments'] === undefined &&
    str(args['markdown_text']) === undefined;

  const ok = (body: Record<string, unknown> = {}): Answer => ({ status: 200, body: { ok: true, ...body } });
  const fail = (error: string): Answer => ({ status: 200, body: { ok: false, error } });

  const handlers: Record<string, (args: Record<string, unknown>) => Answer> = {
    'auth.test': () =>
      ok({
        url: 'https://fake-workspace.slack.com/',
        team: 'Fake Workspace',
        user: 'runbook-bot',
        team_id: FAKE_TEAM_ID,
        user_id: FAKE_BOT_USER_ID,
        bot_id: FAKE_BOT_ID,
        is_enterprise_install: false,
      }),

    'chat.postMessage': (args) => {
      const channel = channelArg(args);
      if (typeof channel !== 'string') return channel;
      if (noText(args)) return fail('no_text');
      const threadTs = str(args['thread_ts']);
      const message: FakeSlackMessage = {
        channel,
        ts: nextTs(),
        ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
        ...(str(args['text']) !== undefined ? { text: str(args['text']) } : {}),
        ...(args['blocks'] !== undefined ? { blocks: args['blocks'] } : {}),
        ...(args['attachments'] !== undefined ? { attachments: args['attachments'] } : {}),
        ...(args['metadata'] !== undefined ? { metadata: args['metadata'] } : {}),
        user: FAKE_BOT_USER_ID,
        bot_id: FAKE_BOT_ID,
        edits: 0,
      };
      const list = messages.get(channel) ?? [];
      list.push(message);
      messages.set(channel, list);
      const { edits: _edits, ...visible } = message;
      return ok({ channel, ts: message.ts, message: { type: 'message', ...visible } });
    },

    'chat.update': (args) => {
      const channel = channelArg(args);
      if (typeof channel !== 'string') return channel;
      const ts = str(args['ts']);
      const message = ts === undefined ? undefined : findMessage(channel, ts);
      if (message === undefined) return fail('message_not_found');
      if (noText(args)) return fail('no_text');
      if (args['text'] !== undefined) message.text = String(args['text']);
      if (args['blocks'] !== undefined) message.blocks = args['blocks'];
      if (args['attachments'] !== undefined) message.attachments = args['attachments'];
      if (args['metadata'] !== undefined) message.metadata = args['metadata'];
      message.edits += 1;
      return ok({
        channel,
        ts: message.ts,
        text: message.text ?? '',
        message: { type: 'message', text: message.text ?? '', blocks: message.blocks, user: message.user },
      });
    },

    'chat.postEphemeral': (args) => {
      const channel = channelArg(args);
      if (typeof channel !== 'string') return channel;
      const user = str(args['user']);
      if (user === undefined) return fail('user_not_in_channel');
      if (noText(args)) return fail('no_text');
      const threadTs = str(args['thread_ts']);
      const messageTs = nextTs();
      ephemerals.push({
        channel,
        user,
        ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
        ...(str(args['text']) !== undefined ? { text: str(args['text']) } : {}),
        ...(args['blocks'] !== undefined ? { blocks: args['blocks'] } : {}),
        message_ts: messageTs,
      });
      return ok({ message_ts: messageTs });
    },

    'chat.delete': (args) => {
      const channel = channelArg(args);
      if (typeof channel !== 'string') return channel;
      const ts = str(args['ts']);
      const list = messages.get(channel) ?? [];
      const index = list.findIndex((m) => m.ts === ts);
      if (index < 0) return fail('message_not_found');
      list.splice(index, 1);
      return ok({ channel, ts });
    },

    'users.info': (args) => {
      const user = str(args['user']);
      if (user === undefined || !/^[UW][A-Z0-9]+$/.test(user)) return fail('user_not_found');
      const name = user.slice(2).toLowerCase() || user.toLowerCase();
      return ok({
        user: {
          id: user,
          team_id: FAKE_TEAM_ID,
          name,
          real_name: name.charAt(0).toUpperCase() + name.slice(1),
          deleted: false,
          is_bot: user === FAKE_BOT_USER_ID,
          tz: 'Europe/Berlin',
          profile: { display_name: name, real_name: name, email: `${name}@example.com` },
        },
      });
    },

    'usergroups.users.list': (args) => {
      const id = str(args['usergroup']);
      const users = id === undefined ? undefined : usergroups.get(id);
      if (users === undefined) return fail('no_such_subteam');
      return ok({ users: [...users] });
    },

    'conversations.info': (args) => {
      const channel = channelArg(args);
      if (typeof channel !== 'string') return channel;
      if (!/^[CGD][A-Z0-9]+$/.test(channel)) return fail('channel_not_found');
      return ok({
        channel: {
          id: channel,
          name: channel.slice(1).toLowerCase(),
          is_channel: channel.startsWith('C'),
          is_group: channel.startsWith('G'),
          is_im: channel.startsWith('D'),
          is_private: !channel.startsWith('C'),
          is_archived: false,
          is_member: !nonMember.has(channel),
          created: 1_700_000_000,
        },
      });
    },
  };

  const answer = (res: ServerResponse, a: Answer): void => {
    res.writeHead(a.status, {
      'content-type': 'application/json; charset=utf-8',
      'x-oauth-scopes': scopes.join(','),
      ...a.headers,
    });
    res.end(JSON.stringify(a.body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (req.method !== 'POST' && req.method !== 'GET') {
      answer(res, { status: 405, body: { ok: false, error: 'method_not_allowed' } });
      return;
    }
    if (!path.startsWith('/api/')) {
      answer(res, { status: 404, body: { ok: false, error: 'not_found' } });
      return;
    }
    const method = path.slice('/api/'.length);
    const raw = await readBody(req);
    let args: Record<string, unknown>;
    try {
      args = parseBody(raw, req.headers['content-type']);
    } catch {
      answer(res, fail('invalid_json'));
      return;
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? str(args['token']);
    const call: SlackCall = { method, args, at: Date.now(), ...(token !== undefined ? { token } : {}) };
    calls.push(call);
    const routed = routes.get(method);
    if (routed !== undefined) {
      answer(res, routed(call));
      return;
    }

    const limit = rateLimits.get(method);
    if (limit !== undefined && limit.remaining > 0) {
      limit.remaining -= 1;
      if (limit.remaining === 0) rateLimits.delete(method);
      answer(res, {
        status: 429,
        headers: { 'retry-after': String(limit.retryAfter) },
        body: { ok: false, error: 'ratelimited' },
      });
      return;
    }
    if (token === undefined) {
      answer(res, fail('not_authed'));
      return;
    }
    if (o.token !== undefined && token !== o.token) {
      answer(res, fail('invalid_auth'));
      return;
    }
    const queued = failures.get(method);
    const error = queued?.shift();
    if (queued !== undefined && queued.length === 0) failures.delete(method);
    if (error !== undefined) {
      answer(res, fail(error));
      return;
    }
    const handler = handlers[method];
    answer(res, handler === undefined ? fail('unknown_method') : handler(args));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) answer(res, { status: 500, body: { ok: false, error: 'fake_slack_internal_error' } });
      console.error('fake slack:', err);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    rateLimitNext: (method, n, retryAfterSeconds) => {
      if (n > 0) rateLimits.set(method, { remaining: n, retryAfter: retryAfterSeconds });
      else rateLimits.delete(method);
    },
    failNext: (method, error) => {
      const queued = failures.get(method) ?? [];
      queued.push(error);
      failures.set(method, queued);
    },
    waitFor: async (predicate, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(calls)) {
        if (Date.now() > deadline) {
          const seen =
            calls.length === 0
              ? '  (none)'
              : calls.map((c) => `  ${c.method} ${JSON.stringify(c.args).slice(0, 300)}`).join('\n');
          throw new Error(`fake Slack: condition not met within ${timeoutMs} ms. Calls seen:\n${seen}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    messages: (channel) => (messages.get(channel) ?? []).map((m) => ({ ...m })),
    ephemerals: (channel) => ephemerals.filter((e) => e.channel === channel).map((e) => ({ ...e })),
    setUsergroup: (id, users) => {
      usergroups.set(id, [...users]);
    },
    setScopes: (s) => {
      scopes = [...s];
    },
    setMember: (channel, member) => {
      if (member) nonMember.delete(channel);
      else nonMember.add(channel);
    },
    route: (method, handler) => {
      routes.set(method, handler);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
