/**
 * A loopback fake of the Bot Framework Connector as Teams runs it (platforms.md §2.3): `POST v3/conversations`
 * (a new thread in a channel), `POST v3/conversations/{id}/activities[/{activityId}]` (send, reply) and
 * `PUT v3/conversations/{id}/activities/{activityId}` (update). Conversation ids are URL-decoded, so
 * `19:x@thread.tacv2;messageid=123` addresses the thread of message 123 in that channel.
 *
 * Like Teams, it refuses a message that is too large (413) or carries an Adaptive Card Teams would not render (400
 * BadArgument): every card is checked with {@link validateTeamsCard} (the official `adaptivecards` parser, version
 * 1.5, plus a round trip that catches unknown elements and properties).
 *
 * It also plays the channel's signing side for JWT tests: an OpenID metadata document and its keys at
 * `/openid/.well-known/openidconfiguration`, and {@link FakeBotConnector.signChannelToken}.
 */
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, createSign, randomUUID, type KeyObject } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type * as AdaptiveCards from 'adaptivecards';

// The package's ESM build imports without file extensions (Node cannot load it); its UMD bundle loads fine.
const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as typeof AdaptiveCards;

/** Teams' limit on a whole message, bytes of JSON. */
export const TEAMS_ACTIVITY_LIMIT_BYTES = 28_000;

const CARD_TYPE = 'application/vnd.microsoft.card.adaptive';
const KNOWN_VERBS = new Set([
  'runbook.offer',
  'approval.approve',
  'approval.deny',
  // Incident buttons (issue 12: render-incident-card.ts).
  ...[
    'acknowledge',
    'resolve',
    'escalate',
    'reassign',
    'note',
    'silence-1h',
    'silence-4h',
    'silence-24h',
    'unsilence',
    'silence-confirm',
  ].map((k) => `incident.${k}`),
]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function normalize(value: unknown, drop: ReadonlySet<string>): Json {
  if (Array.isArray(value)) return value.map((v) => normalize(v, drop));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const key of Object.keys(value).sort()) {
      if (drop.has(key)) continue;
      out[key] = normalize((value as Record<string, unknown>)[key], drop);
    }
    return out;
  }
  return value as Json;
}

/**
 * Problems Teams would have with this card (empty = fine): not an Adaptive Card 1.5; an error or warning from the
 * official parser (invalid enum values, unknown element types); anything the parser does not keep on a round trip
 * (a misspelled property, a wrong type, an element it does not know); and our own rules — plain `TextRun`s must not
 * be empty, `Action.Execute` carries a known verb and `data` = `{ id }` only.
 */
export function validateTeamsCard(card: unknown): string[] {
  const problems: string[] = [];
  if (card === null || typeof card !== 'object') return ['card is not an object'];
  const c = card as Record<string, unknown>;
  if (c.type !== 'AdaptiveCard') problems.push(`type is ${JSON.stringify(c.type)}, not AdaptiveCard`);
  if (c.version !== '1.5') problems.push(`version is ${JSON.stringify(c.version)}; Teams renders 1.5`);
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  parsed.parse(card, context);
  for (let i = 0; i < context.eventCount; i++) problems.push(`parser: ${context.getEventAt(i).message}`);
  for (const e of parsed.validateProperties().validationEvents) problems.push(`validation: ${e.message}`);
  // `msteams` is a Teams extension the generic parser does not model.
  const drop = new Set(['msteams', '$schema']);
  const ours = normalize(card, drop);
  const roundTrip = normalize(parsed.toJSON(new AC.SerializationContext(AC.Versions.v1_5)), drop);
  if (!isDeepStrictEqual(ours, roundTrip)) problems.push(`round trip differs: ${firstDifference(ours, roundTrip, '')}`);
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}[${i}]`));
    if (node === null || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.type === 'TextRun' && (typeof o.text !== 'string' || o.text === '')) problems.push(`${path}: empty TextRun`);
    if (o.type === 'TextBlock' && (typeof o.text !== 'string' || o.text.trim() === '')) {
      problems.push(`${path}: empty TextBlock`);
    }
    if (o.type === 'RichTextBlock' && (!Array.isArray(o.inlines) || o.inlines.length === 0)) {
      problems.push(`${path}: RichTextBlock without inlines`);
    }
    if (o.type === 'Action.Execute') {
      if (typeof o.verb !== 'string' || !KNOWN_VERBS.has(o.verb))
        problems.push(`${path}: unknown verb ${String(o.verb)}`);
      const data = o.data as Record<string, unknown> | undefined;
      if (!data || Object.keys(data).join() !== 'id' || !/^[A-Za-z0-9_-]{1,150}$/.test(String(data.id))) {
        problems.push(`${path}: data must be { id } only`);
      }
      if (typeof o.title !== 'string' || o.title === '') problems.push(`${path}: button without title`);
    }
    if (o.type === 'Action.Submit') problems.push(`${path}: Action.Submit (use Action.Execute)`);
    for (const [k, v] of Object.entries(o)) walk(v, `${path}.${k}`);
  };
  walk(card, 'card');
  return problems;
}

function firstDifference(a: Json, b: Json, path: string): string {
  if (isDeepStrictEqual(a, b)) return '';
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: ${a.length} items became ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i]!, b[i]!, `${path}[${i}]`);
      if (d) return d;
    }
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(k in b)) return `${path}.${k} was dropped`;
      if (!(k in a)) return `${path}.${k} was added`;
      const d = firstDifference(a[k]!, b[k]!, `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path}: ${JSON.stringify(a).slice(0, 80)} became ${JSON.stringify(b).slice(0, 80)}`;
}

/** Problems with a whole message activity: its size, and every Adaptive Card it carries. */
export function validateTeamsActivity(activity: unknown): string[] {
  const problems: string[] = [];
  const bytes = Buffer.byteLength(JSON.stringify(activity), 'utf8');
  if (bytes > TEAMS_ACTIVITY_LIMIT_BYTES)
    problems.push(`activity is ${bytes} bytes (limit ${TEAMS_ACTIVITY_LIMIT_BYTES})`);
  const a = activity as { attachments?: { contentType?: string; content?: unknown }[] };
  for (const att of a?.attachments ?? []) {
    if (att.contentType === CARD_TYPE) problems.push(...validateTeamsCard(att.content));
  }
  return problems;
}

export interface ConnectorCall {
  readonly method: string;
  /** Decoded path, e.g. `/v3/conversations/19:x@thread.tacv2;messageid=1/activities`. */
  readonly path: string;
  readonly operation: 'createConversation' | 'sendToConversation' | 'replyToActivity' | 'updateActivity' | 'other';
  readonly authorization?: string;
  readonly body: unknown;
  readonly status: number;
  readonly at: number;
}

/** A message as it stands in the fake (after updates). */
export interface FakeTeamsMessage {
  readonly id: string;
  /** The conversation without the thread part. */
  readonly conversationId: string;
  /** Root message id of the thread it is in (its own id for a root). */
  readonly threadId: string;
  readonly replyToId?: string;
  activity: Record<string, unknown>;
  edits: number;
}

export interface FakeBotConnector {
  /** The service URL to put in activities (with its trailing slash). */
  readonly serviceUrl: string;
  readonly calls: readonly ConnectorCall[];
  callsTo(operation: ConnectorCall['operation']): ConnectorCall[];
  /** Messages in a conversation (thread part ignored), oldest first. */
  messages(conversationId: string): FakeTeamsMessage[];
  /** Messages of one thread: its root and the replies, oldest first. */
  thread(conversationId: string, rootId: string): FakeTeamsMessage[];
  /** The card of a message, if it carries one. */
  cardOf(message: FakeTeamsMessage): Record<string, unknown> | undefined;
  /** The next `n` calls (any operation) answer `status`, with `Retry-After` when given. */
  failNext(n: number, status: number, retryAfterSeconds?: number): void;
  /** Polls until `predicate` holds; rejects listing the calls seen. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Activities refused for an invalid card or size, with the problems. */
  readonly refused: readonly { readonly activity: unknown; readonly problems: readonly string[] }[];
  /**
   * A member `GET v3/conversations/{id}/members/{memberId}` answers (in any conversation), found by Teams id, UPN or
   * Entra object id, in the real shape (`objectId`, `email`, `userPrincipalName`; platforms-2.md §6.1).
   */
  addMember(member: { id: string; name: string; objectId: string; email?: string; userPrincipalName: string }): void;
  /** OpenID metadata URL of the fake channel signing keys. */
  readonly openIdMetadataUrl: string;
  /** A channel JWT signed with the fake's key (issuer `https://api.botframework.com`). */
  signChannelToken(claims: Record<string, unknown>, o?: { key?: 'trusted' | 'untrusted'; kid?: string }): string;
  close(): Promise<void>;
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function signJwt(claims: Record<string, unknown>, key: KeyObject, kid: string): string {
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
  const payload = b64url(JSON.stringify(claims));
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(key);
  return `${header}.${payload}.${b64url(signature)}`;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : undefined);
      } catch {
        resolve(text);
      }
    });
  });
}

/** Starts the fake on a free loopback port. */
export async function startFakeBotConnector(): Promise<FakeBotConnector> {
  const calls: ConnectorCall[] = [];
  const refused: { activity: unknown; problems: string[] }[] = [];
  const messages: FakeTeamsMessage[] = [];
  const failures: { status: number; retryAfter?: number }[] = [];
  const members: { id: string; name: string; objectId: string; email?: string; userPrincipalName: string }[] = [];
  let nextId = 1_700_000_000_000;
  const trusted = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const untrusted = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `fake-${randomUUID()}`;
  let base = '';

  function answer(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(text);
  }

  function split(id: string): { conversationId: string; messageId?: string } {
    const m = /^(.*);messageid=([^;]+)$/.exec(id);
    return m ? { conversationId: m[1]!, messageId: m[2]! } : { conversationId: id };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const rawPath = url.pathname;
    if (req.method === 'GET' && rawPath === '/openid/.well-known/openidconfiguration') {
      return answer(res, 200, { issuer: 'https://api.botframework.com', jwks_uri: `${base}openid/keys` });
    }
    if (req.method === 'GET' && rawPath === '/openid/keys') {
      const jwk = trusted.publicKey.export({ format: 'jwk' }) as { n: string; e: string };
      return answer(res, 200, {
        keys: [{ kty: 'RSA', use: 'sig', kid, n: jwk.n, e: jwk.e, endorsements: ['msteams'] }],
      });
    }
    const segments = rawPath.split('/').map((s) => decodeURIComponent(s));
    const body = await readJson(req);
    const path = segments.join('/');
    const record = (operation: ConnectorCall['operation'], status: number) =>
      calls.push({
        method: req.method ?? '',
        path,
        operation,
        authorization: req.headers.authorization,
        body,
        status,
        at: Date.now(),
      });
    // ['', 'v3', 'conversations', id?, 'activities'?, activityId?]
    const isConv = segments[1] === 'v3' && segments[2] === 'conversations';
    const operation: ConnectorCall['operation'] = !isConv
      ? 'other'
      : req.method === 'POST' && segments.length === 3
        ? 'createConversation'
        : req.method === 'POST' && segments.length === 5 && segments[4] === 'activities'
          ? 'sendToConversation'
          : req.method === 'POST' && segments.length === 6 && segments[4] === 'activities'
            ? 'replyToActivity'
            : req.method === 'PUT' && segments.length === 6 && segments[4] === 'activities'
              ? 'updateActivity'
              : 'other';
    if (isConv && req.method === 'GET' && segments.length === 6 && segments[4] === 'members') {
      const key = decodeURIComponent(segments[5]!);
      const m = members.find((x) => x.id === key || x.objectId === key || x.userPrincipalName === key);
      record(operation, m ? 200 : 404);
      return m
        ? answer(res, 200, { ...m, tenantId: 'tenant', userRole: 'user' })
        : answer(res, 404, { error: { code: 'MemberNotFoundInConversation', message: 'member not found' } });
    }
    if (operation === 'other') {
      record(operation, 404);
      return answer(res, 404, { error: { code: 'NotFound', message: 'no such route' } });
    }
    const failure = failures.shift();
    if (failure) {
      record(operation, failure.status);
      return answer(
        res,
        failure.status,
        { error: { code: 'Throttled', message: 'try again later' } },
        failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {},
      );
    }
    const activity = (operation === 'createConversation' ? (body as { activity?: unknown })?.activity : body) as Record<
      string,
      unknown
    >;
    const problems =
      activity && typeof activity === 'object' ? validateTeamsActivity(activity) : ['no activity in the request'];
    if (problems.length > 0) {
      refused.push({ activity, problems });
      const tooLarge = problems.some((p) => p.startsWith('activity is'));
      record(operation, tooLarge ? 413 : 400);
      return answer(res, tooLarge ? 413 : 400, { error: { code: 'BadArgument', message: problems.join('; ') } });
    }
    if (operation === 'createConversation') {
      const params = body as { channelData?: { channel?: { id?: string } }; isGroup?: boolean };
      const channelId = params.channelData?.channel?.id;
      if (!channelId || !params.isGroup) {
        record(operation, 400);
        return answer(res, 400, {
          error: { code: 'BadArgument', message: 'channelData.channel.id and isGroup needed' },
        });
      }
      const id = String(nextId++);
      messages.push({ id, conversationId: channelId, threadId: id, activity: { ...activity, id }, edits: 0 });
      record(operation, 201);
      return answer(res, 201, { id: `${channelId};messageid=${id}`, activityId: id });
    }
    const { conversationId, messageId } = split(segments[3]!);
    if (operation === 'updateActivity') {
      const target = messages.find((m) => m.conversationId === conversationId && m.id === segments[5]);
      if (!target) {
        record(operation, 404);
        return answer(res, 404, { error: { code: 'NotFound', message: 'activity not found' } });
      }
      target.activity = { ...activity, id: target.id };
      target.edits += 1;
      record(operation, 200);
      return answer(res, 200, { id: target.id });
    }
    const id = String(nextId++);
    const replyToId = operation === 'replyToActivity' ? segments[5] : undefined;
    // In a channel, a post without a thread part starts a new thread; in chats there are no threads.
    messages.push({
      id,
      conversationId,
      threadId: messageId ?? id,
      ...(replyToId ? { replyToId } : {}),
      activity: { ...activity, id },
      edits: 0,
    });
    record(operation, 201);
    return answer(res, 201, { id });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => answer(res, 500, { error: { code: 'ServiceError', message: 'fake failed' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  const fake: FakeBotConnector = {
    addMember: (m) => {
      members.push(m);
    },
    serviceUrl: base,
    calls,
    refused,
    openIdMetadataUrl: `${base}openid/.well-known/openidconfiguration`,
    callsTo: (operation) => calls.filter((c) => c.operation === operation),
    messages: (conversationId) => messages.filter((m) => m.conversationId === split(conversationId).conversationId),
    thread: (conversationId, rootId) =>
      messages.filter((m) => m.conversationId === split(conversationId).conversationId && m.threadId === rootId),
    cardOf(message) {
      const atts = message.activity.attachments as
        { contentType: string; content: Record<string, unknown> }[] | undefined;
      return atts?.find((a) => a.contentType === CARD_TYPE)?.content;
    },
    failNext(n, status, retryAfterSeconds) {
      for (let i = 0; i < n; i++)
        failures.push({ status, ...(retryAfterSeconds !== undefined ? { retryAfter: retryAfterSeconds } : {}) });
    },
    async waitFor(predicate, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (predicate()) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(
        `fake Bot Connector: condition not met within ${timeoutMs} ms. Calls:\n${calls
          .map((c) => `${c.status} ${c.method} ${c.path}`)
          .join('\n')}\nRefused: ${JSON.stringify(refused.map((r) => r.problems))}`,
      );
    },
    signChannelToken(claims, o = {}) {
      const key = o.key === 'untrusted' ? untrusted.privateKey : trusted.privateKey;
      return signJwt(claims, key, o.kid ?? kid);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return fake;
}
