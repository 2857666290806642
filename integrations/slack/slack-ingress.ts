import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { App, HTTPReceiver } from '@slack/bolt';
import { z } from 'zod';
import type { Clock } from '../../src/core/clock.js';
import type { CommandReply, CommandRequest } from '../../src/core/command.js';
import type { ChatInteraction } from '../../src/core/interaction.js';
import { createHash } from 'node:crypto';
import type { Logger } from '../../src/core/logger.js';
import type { Secret } from '../../src/core/secret.js';
import { createBoltLogger } from './bolt-logger.js';
import { escapeMrkdwn } from './block-kit-limits.js';
import { redactSecrets } from '../../src/core/redact.js';
import { verifySlackRequest } from './verify-slack-request.js';

export interface SlackIngressOptions {
  readonly signingSecret: Secret;
  readonly botToken: Secret;
  /** Slack Web API base URL (tests: the fake). */
  readonly apiUrl: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Resolves the command and queues its job; rejects only when the queue is unavailable. */
  readonly onCommand: (req: CommandRequest) => Promise<CommandReply>;
  /** Queues a button click; rejects only when the queue is unavailable. */
  readonly onInteraction: (interaction: ChatInteraction) => Promise<void>;
  /**
   * The Slack workspaces (`T…`) or Enterprise Grid organisations (`E…`) this bot serves (config `slack.teamIds`).
   * Empty: any workspace whose requests carry a valid signature. Otherwise a command from another workspace is
   * answered with a refusal and nothing runs; a click from one is acknowledged and ignored.
   */
  readonly teamIds?: readonly string[];
  /**
   * How long a slash command over HTTP may wait for its job to be queued before it is answered 503 (Slack gives up
   * after 3 s). Default {@link COMMAND_ACK_DEADLINE_MS}; tests shorten it.
   */
  readonly commandAckDeadlineMs?: number;
}

/** Slack's 3 s to acknowledge, plus the 1 ms Bolt's receiver allows (its `unhandledRequestTimeoutMillis`). */
export const COMMAND_ACK_DEADLINE_MS = 3001;

/** The fields of a `block_actions` payload we rely on (platforms.md §1.4). */
const BlockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1).max(50), name: z.string().max(200).optional() }),
  team: z
    .object({ id: z.string().max(50) })
    .nullable()
    .optional(),
  trigger_id: z.string().min(1).max(300),
  channel: z.object({ id: z.string().min(1).max(50) }).optional(),
  container: z
    .object({
      channel_id: z.string().max(50).optional(),
      thread_ts: z.string().max(50).optional(),
      message_ts: z.string().max(50).optional(),
    })
    .passthrough()
    .optional(),
  message: z
    .object({ ts: z.string().max(50), thread_ts: z.string().max(50).optional() })
    .passthrough()
    .optional(),
  actions: z
    .array(
      z.object({
        action_id: z.string().max(255),
        value: z.string().max(2000).optional(),
        action_ts: z.string().optional(),
      }),
    )
    .min(1),
});

/** Button action ids (see render-report.ts and render-approval-card.ts); anything else is a stale button. */
const OFFER_ACTION = /^runbook-action:\d{1,4}$/;
const DECISION_ACTION = /^approval:(approve|deny)$/;
/** Incident root buttons (render-incident-message.ts) and the silence preview's confirm button (issue 12). */
const INCIDENT_ACTION =
  /^incident:(acknowledge|resolve|escalate|reassign|note|silence-1h|silence-4h|silence-24h|unsilence|silence-confirm)$/;
/** An incident button's value: the incident id, or `<incident id>--<silence record id>`. */
const INCIDENT_VALUE = /^(inc_[0-9a-f]{1,64})(?:--(sil_[0-9a-f]{1,64}))?$/;
/** The modal of Add note (callback_id) and its input. */
const NOTE_CALLBACK = 'incident-note';
/** A note's longest text (PagerDuty's note limit is unverified; 2000 keeps a thread line readable). */
const NOTE_MAX = 2000;
/** What a button carries: one opaque id. */
const BUTTON_VALUE = /^[A-Za-z0-9_-]{1,150}$/;

/** The fields of a slash command we rely on (platforms.md §1.2). */
const SlashCommandSchema = z.object({
  command: z.string().regex(/^\/[a-z0-9_-]{1,32}$/i),
  // Bounded by the body limit only: an over-long argument is a usage error answered in chat by the command layer,
  // not a malformed request.
  text: z.string(),
  team_id: z.string().min(1).max(50),
  enterprise_id: z.string().max(50).optional(),
  channel_id: z.string().min(1).max(50),
  user_id: z.string().min(1).max(50),
  user_name: z.string().max(200).optional(),
  trigger_id: z.string().min(1).max(300),
});

/** A slash command's fields, validated once (by {@link classify} or {@link classifyEnvelope}). */
type SlashCommand = z.infer<typeof SlashCommandSchema>;

/** An interactivity payload (`payload=` form field holding JSON). Validated in detail by its handler. */
const InteractivitySchema = z.object({
  type: z.string().max(100),
  team: z
    .object({ id: z.string().max(50).optional() })
    .passthrough()
    .nullable()
    .optional(),
  user: z
    .object({ id: z.string().max(50).optional(), team_id: z.string().max(50).optional() })
    .passthrough()
    .optional(),
  enterprise: z
    .object({ id: z.string().max(50).optional() })
    .passthrough()
    .nullable()
    .optional(),
});

/** An Events API body (`url_verification`, `event_callback`). */
const EventsSchema = z.object({
  type: z.string().max(100),
  team_id: z.string().max(50).optional(),
  enterprise_id: z.string().max(50).optional(),
});

/** A verified, well-formed request, by kind; `workspaces` are the team and enterprise ids it names. */
type SlackInbound =
  | { readonly kind: 'command'; readonly command: SlashCommand; readonly workspaces: readonly string[] }
  | {
      readonly kind: 'interactivity';
      readonly type: string;
      readonly payload: unknown;
      readonly workspaces: readonly string[];
    }
  | { readonly kind: 'events'; readonly type: string; readonly workspaces: readonly string[] };

/** Events API types Bolt handles (answers itself); others would wait for its 3 s timeout. */
const BOLT_EVENT_TYPES = new Set(['url_verification', 'event_callback']);

export type SlackIngressResult = 'handled' | 'bad-request' | 'unauthorized';

/**
 * `POST /slack/events`: verifies the signature (401, nothing else happens) and parses the body once (400 when it is
 * malformed). A slash command is answered here from that parse; a click, a modal submission or an event goes on to
 * Bolt's HTTPReceiver (already buffered), which acks within Slack's 3 s.
 */
export function createSlackIngress(o: SlackIngressOptions) {
  const log = o.logger.child({ platform: 'slack' });
  const receiver = new HTTPReceiver({
    signingSecret: o.signingSecret.reveal(),
    endpoints: '/slack/events',
    // Verified once, by `handle` below, before Bolt ever sees a request (same HMAC, same ±5 min window): Bolt's own
    // second check (and its random-salted compare) only cost time on the ack path.
    signatureVerification: false,
    processBeforeResponse: false,
    logger: createBoltLogger(log),
    // Bolt's default handlers log whole errors; ours answer without details.
    dispatchErrorHandler: async ({ error, response }) => {
      log.warn({ err: { name: error.name, message: error.message.split('\n')[0] } }, 'slack dispatch failed');
      if (!response.headersSent) {
        response.writeHead(500);
        response.end();
      }
    },
    // Reached only when a listener did not ack in time — a click whose queueing failed (Redis down): 503, so it is
    // not mistaken for an unknown route. Requests with no listener are answered by `handle` before Bolt sees them.
    unhandledRequestHandler: ({ response }) => {
      log.warn({}, 'slack request not acknowledged in time (queue unavailable?)');
      if (!response.headersSent) {
        response.writeHead(503);
        response.end();
      }
    },
    processEventErrorHandler: async ({ error, response }) => {
      log.error({ err: { name: error.name, message: error.message.split('\n')[0] } }, 'slack event failed');
      if (!response.headersSent) {
        response.writeHead(500);
        response.end();
      }
      return true;
    },
  });
  const app = new App({
    receiver,
    token: o.botToken.reveal(),
    // Known ids skip Bolt's startup auth.test call; web never uses this client.
    botId: 'B000RUNBOOK',
    botUserId: 'U000RUNBOOK',
    logger: createBoltLogger(log),
    // No in-memory conversation store: the bot keeps no state in the process (and the store's miss path builds an
    // Error with a stack trace per request).
    convoStore: false,
    clientOptions: { slackApiUrl: o.apiUrl, retryConfig: { retries: 0 } },
  });

  /**
   * Queues a slash command and returns the ephemeral answer to acknowledge it with. Never rejects: a queue that is
   * unavailable is an answer too.
   */
  const runCommand = async (c: SlashCommand): Promise<object> => {
    let reply: CommandReply;
    try {
      reply = await o.onCommand({
        command: c.command.slice(1).toLowerCase(),
        text: c.text,
        actor: { platform: 'slack', userId: c.user_id, name: c.user_name },
        conversation: { platform: 'slack', channelId: c.channel_id, teamId: c.team_id },
        deliveryKey: c.trigger_id,
      });
    } catch (err) {
      log.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'command not queued');
      return {
        response_type: 'ephemeral',
        // Not "nothing was run": during a Redis failover a write can land without the replica's confirmation, so
        // the command may still run (once). Diagnostics and fix requests are safe to ask for again.
        text:
          'The bot could not confirm that this command was queued (its queue or database is unavailable or failing ' +
          'over). It may still run: if no answer appears in this channel within a minute, try again.',
      };
    }
    // The answer may repeat what the user typed (`Invalid <queue>: "…"`): plain text, escaped and redacted.
    return { response_type: 'ephemeral', text: escapeMrkdwn(redactSecrets(reply.text)) };
  };

  /** Answers a slash command over HTTP once its job is queued, or 503 when that takes longer than Slack waits. */
  const answerCommand = (res: ServerResponse, c: SlashCommand): void => {
    const deadline = setTimeout(() => {
      // A command whose queueing hangs (Redis failing over): 503, so it is not mistaken for an unknown route.
      log.warn({}, 'slack request not acknowledged in time (queue unavailable?)');
      if (!res.headersSent) res.writeHead(503).end();
    }, o.commandAckDeadlineMs ?? COMMAND_ACK_DEADLINE_MS);
    void runCommand(c).then((body) => {
      clearTimeout(deadline);
      answer(res, body);
    });
  };

  app.action({ type: 'block_actions', action_id: INCIDENT_ACTION }, async ({ body, ack }) => {
    const parsed = BlockActionsSchema.safeParse(body);
    const b = parsed.success ? parsed.data : undefined;
    const action = b?.actions[0];
    const kind = action ? INCIDENT_ACTION.exec(action.action_id)?.[1] : undefined;
    const value = action?.value ? INCIDENT_VALUE.exec(action.value) : undefined;
    const channelId = b?.container?.channel_id ?? b?.channel?.id;
    if (!b || !kind || !value || !channelId) {
      await ack();
      return;
    }
    const actor = { platform: 'slack' as const, userId: b.user.id, name: b.user.name };
    // Replies go into the incident's thread: the root's own ts when the click is on the root.
    const messageTs = b.container?.message_ts ?? b.message?.ts;
    const conversation = {
      platform: 'slack' as const,
      channelId,
      threadId: b.container?.thread_ts ?? b.message?.thread_ts ?? messageTs,
      teamId: b.team?.id,
    };
    if (kind === 'note') {
      await ack();
      // The trigger is good for 3 s and once (platforms-2.md §5): open the modal before anything else.
      await app.client.views
        .open({ trigger_id: b.trigger_id, view: noteModal(value[1]!, channelId, conversation.threadId) as never })
        .catch((err: Error) => log.warn({ err: { name: err.name, message: err.message } }, 'note modal not opened'));
      return;
    }
    const deliveryKey = createHash('sha256').update(b.trigger_id).digest('hex').slice(0, 32);
    try {
      await o.onInteraction({
        kind: 'incident-action',
        incidentId: value[1]!,
        action: kind as Extract<ChatInteraction, { kind: 'incident-action' }>['action'],
        ...(value[2] ? { silenceRecordId: value[2] } : {}),
        actor,
        conversation,
        ...(messageTs ? { messageId: messageTs } : {}),
        deliveryKey,
      });
    } catch (err) {
      log.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'click not queued');
      return;
    }
    await ack();
  });

  app.view(NOTE_CALLBACK, async ({ body, ack }) => {
    const parsed = NoteSubmissionSchema.safeParse(body);
    if (!parsed.success) {
      await ack();
      return;
    }
    const v = parsed.data;
    const text = (v.view.state.values.note?.text?.value ?? '').trim();
    if (text === '' || text.length > NOTE_MAX) {
      await ack({
        response_action: 'errors',
        errors: { note: text === '' ? 'Write a note first.' : `At most ${NOTE_MAX} characters.` },
      } as never);
      return;
    }
    const meta = v.view.private_metadata;
    try {
      await o.onInteraction({
        kind: 'incident-action',
        incidentId: meta.incidentId,
        action: 'note',
        noteText: text,
        actor: { platform: 'slack', userId: v.user.id, name: v.user.name },
        conversation: { platform: 'slack', channelId: meta.channelId, threadId: meta.threadTs, teamId: v.team?.id },
        // The view id is the same on a retried submission: one note, whatever Slack redelivers.
        deliveryKey: createHash('sha256').update(`note:${v.view.id}`).digest('hex').slice(0, 32),
      });
    } catch (err) {
      log.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'note not queued');
      await ack({
        response_action: 'errors',
        errors: { note: 'The bot could not take the note right now; try again.' },
      } as never);
      return;
    }
    await ack();
  });

  app.action({ type: 'block_actions', action_id: /^(runbook-action:|approval:)/ }, async ({ body, ack }) => {
    const parsed = BlockActionsSchema.safeParse(body);
    const action = parsed.success ? parsed.data.actions[0] : undefined;
    const value = action?.value;
    const b = parsed.success ? parsed.data : undefined;
    const channelId = b?.container?.channel_id ?? b?.channel?.id;
    // `handle` sends only well-formed clicks of our buttons here (see staleClickOf); this is the type guard.
    if (!b || !action || !value || !BUTTON_VALUE.test(value) || !channelId) {
      await ack();
      return;
    }
    // Same click, same key: a redelivered payload maps onto the job already queued.
    const deliveryKey = createHash('sha256').update(b.trigger_id).digest('hex').slice(0, 32);
    const actor = { platform: 'slack' as const, userId: b.user.id, name: b.user.name };
    const conversation = {
      platform: 'slack' as const,
      channelId,
      threadId: b.container?.thread_ts ?? b.message?.thread_ts,
      teamId: b.team?.id,
    };
    const decision = DECISION_ACTION.exec(action.action_id);
    try {
      if (OFFER_ACTION.test(action.action_id)) {
        await o.onInteraction({ kind: 'offer', offerId: value, actor, conversation, deliveryKey });
      } else if (decision) {
        await o.onInteraction({
          kind: 'decision',
          approvalId: value,
          decision: decision[1] as 'approve' | 'deny',
          actor,
          conversation,
          // The card the button was on: the engine refuses decisions made anywhere else.
          messageId: b.container?.message_ts ?? b.message?.ts,
          deliveryKey,
        });
      }
    } catch (err) {
      log.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'click not queued');
      // Not acknowledged: Slack shows the user that the click failed, and nothing was recorded.
      return;
    }
    await ack();
  });

  /**
   * What both ways in (HTTP and Socket Mode) decide before Bolt's listeners see a request: workspace pinning, events
   * nobody listens to, stale buttons. `'answered'`: acknowledged through `reply` and done; `'dispatch'`: hand to Bolt.
   */
  const screen = (inbound: SlackInbound, reply: (body?: object) => void): 'answered' | 'dispatch' => {
    const pinned = o.teamIds ?? [];
    // url_verification names no workspace and runs nothing: Slack sends it when the Request URL is set.
    const exempt = inbound.kind === 'events' && inbound.type === 'url_verification';
    if (pinned.length > 0 && !exempt && !inbound.workspaces.some((t) => pinned.includes(t))) {
      // Signed by our app, but from a workspace this bot does not serve (the app is distributed, or installed
      // elsewhere by mistake): run nothing, and say why to whoever typed it.
      log.warn(
        { team: inbound.workspaces[0] ?? '(none)', kind: inbound.kind },
        'slack request from an unpinned workspace',
      );
      reply(inbound.kind === 'command' ? { response_type: 'ephemeral', text: UNPINNED_TEXT } : undefined);
      return 'answered';
    }
    if (inbound.kind === 'events' && !BOLT_EVENT_TYPES.has(inbound.type)) {
      reply();
      return 'answered';
    }
    if (inbound.kind === 'interactivity') {
      const stale = staleClickOf(inbound);
      if (stale !== 'ours') {
        // Acknowledged at once (Slack's 3 s rule; Bolt would wait for its timeout and answer 404), nothing changes;
        // the clicker hears privately that the button is stale when we know where they are.
        reply();
        log.info({ type: inbound.type }, 'slack interaction without a handler acknowledged');
        if (stale) {
          o.onInteraction(stale).catch((err: Error) =>
            log.warn({ err: { name: err.name, message: err.message } }, 'stale-button notice not queued'),
          );
        }
        return 'answered';
      }
    }
    return 'dispatch';
  };

  return {
    app,
    /**
     * Handles one request whose body was already read (within the size limit). Answers 401/400 itself when the
     * request is not from Slack or not well-formed, and returns what happened (for metrics).
     */
    handle(req: IncomingMessage, res: ServerResponse, rawBody: Buffer): SlackIngressResult {
      const verdict = verifySlackRequest({
        signingSecret: o.signingSecret.reveal(),
        body: rawBody,
        signature: header(req, 'x-slack-signature'),
        timestamp: header(req, 'x-slack-request-timestamp'),
        nowMs: o.clock.now(),
      });
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const text = rawBody.toString('utf8');
      if (!verdict.ok) {
        // Slack's ssl_check pings are unsigned and carry nothing: answer them, run nothing.
        if (contentType === 'application/x-www-form-urlencoded' && parseQuery(text).ssl_check === '1') {
          res.writeHead(200).end();
          return 'handled';
        }
        log.warn({ reason: verdict.reason }, 'slack request refused');
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid signature"}');
        return 'unauthorized';
      }
      const inbound = classify(contentType, text);
      if (!inbound) {
        // A signed ssl_check is answered too (Bolt does so after verifying; bolt-python's test body is one).
        if (contentType === 'application/x-www-form-urlencoded' && parseQuery(text).ssl_check === '1') {
          res.writeHead(200).end();
          return 'handled';
        }
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"malformed body"}');
        return 'bad-request';
      }
      if (screen(inbound, (body) => answer(res, body)) === 'answered') return 'handled';
      if (inbound.kind === 'command') {
        answerCommand(res, inbound.command);
        return 'handled';
      }
      // Bolt parses as form only for this exact content type (platforms.md §1.1).
      req.headers['content-type'] = contentType;
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = rawBody;
      receiver.requestListener(req, res);
      return 'handled';
    },
    /**
     * One Socket Mode envelope (platforms-2.md §4.1): already authenticated by the connection, so no signature;
     * otherwise the same shape checks, pinning, command answers and Bolt listeners as `handle`, and so the same job
     * ids. `ack` is called once the job is durably queued (or at once when nothing is to run); not at all when
     * queueing failed for a click, exactly as over HTTP.
     */
    async receiveEnvelope(e: SlackEnvelope): Promise<SlackIngressResult> {
      const inbound = classifyEnvelope(e.type, e.body);
      if (!inbound) {
        // Acknowledged so that Slack does not redeliver something we can never read; nothing runs.
        log.warn({ type: e.type.slice(0, 40) }, 'slack envelope malformed');
        await e.ack();
        return 'bad-request';
      }
      let reply: Promise<void> | undefined;
      if (screen(inbound, (body) => (reply = e.ack(body))) === 'answered') {
        await reply;
        return 'handled';
      }
      // No Events API listeners: Bolt would leave an events_api envelope unacknowledged (no auto-ack in Socket Mode).
      if (inbound.kind === 'events') {
        await e.ack();
        return 'handled';
      }
      if (inbound.kind === 'command') {
        await e.ack(await runCommand(inbound.command));
        return 'handled';
      }
      await app.processEvent({
        body: e.body as Record<string, unknown>,
        ack: async (response?: unknown) => e.ack(response as object | undefined),
        ...(e.retryNum !== undefined ? { retryNum: e.retryNum } : {}),
        ...(e.retryReason !== undefined ? { retryReason: e.retryReason } : {}),
      });
      return 'handled';
    },
  };
}

/** A Socket Mode envelope as `@slack/socket-mode` hands it over (`slack_event`). */
export interface SlackEnvelope {
  readonly type: string;
  readonly body: unknown;
  readonly retryNum?: number;
  readonly retryReason?: string;
  /** Sends `{envelope_id, payload}` on the socket the envelope came from. */
  readonly ack: (payload?: object) => Promise<void>;
}

/** An envelope's payload is the HTTP body as JSON (slash fields as an object): the same schemas apply. */
function classifyEnvelope(type: string, body: unknown): SlackInbound | undefined {
  if (type === 'slash_commands') {
    const c = SlashCommandSchema.safeParse(body);
    return c.success ? commandInbound(c.data) : undefined;
  }
  if (type === 'interactive') {
    const p = InteractivitySchema.safeParse(body);
    if (!p.success) return undefined;
    const workspaces = present(p.data.team?.id, p.data.user?.team_id, p.data.enterprise?.id);
    return { kind: 'interactivity', type: p.data.type, payload: body, workspaces };
  }
  if (type === 'events_api') {
    const ev = EventsSchema.safeParse(body);
    return ev.success
      ? { kind: 'events', type: ev.data.type, workspaces: present(ev.data.team_id, ev.data.enterprise_id) }
      : undefined;
  }
  return undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const UNPINNED_TEXT =
  'This bot is not set up for this Slack workspace, so nothing was run. (Its operators list the workspaces it serves under slack.teamIds.)';

function answer(res: ServerResponse, body?: object): void {
  if (res.headersSent) return;
  if (!body) {
    res.writeHead(200).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

const present = (...ids: (string | null | undefined)[]): string[] => ids.filter((v): v is string => !!v);

const commandInbound = (command: SlashCommand): SlackInbound => ({
  kind: 'command',
  command,
  workspaces: present(command.team_id, command.enterprise_id),
});

/** Parses a verified body into what it is, or undefined when it is malformed (400). */
function classify(contentType: string, text: string): SlackInbound | undefined {
  try {
    if (contentType === 'application/x-www-form-urlencoded') {
      const form = parseQuery(text);
      if (typeof form.payload === 'string') {
        const payload: unknown = JSON.parse(form.payload);
        const p = InteractivitySchema.safeParse(payload);
        if (!p.success) return undefined;
        const workspaces = present(p.data.team?.id, p.data.user?.team_id, p.data.enterprise?.id);
        return { kind: 'interactivity', type: p.data.type, payload, workspaces };
      }
      const c = SlashCommandSchema.safeParse(form);
      return c.success ? commandInbound(c.data) : undefined;
    }
    if (contentType === 'application/json') {
      const e = EventsSchema.safeParse(JSON.parse(text));
      return e.success
        ? { kind: 'events', type: e.data.type, workspaces: present(e.data.team_id, e.data.enterprise_id) }
        : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * `'ours'` for a well-formed click on one of our buttons (Bolt's listener handles it). Anything else — an unknown
 * action id, a `block_actions` without actions, a `view_submission`, a shortcut — has no handler: the stale-button
 * notice to send (when the payload says who and where), or undefined.
 */
function staleClickOf(
  inbound: Extract<SlackInbound, { kind: 'interactivity' }>,
): 'ours' | Extract<ChatInteraction, { kind: 'stale' }> | undefined {
  if (inbound.type === 'view_submission' && NoteSubmissionSchema.safeParse(inbound.payload).success) return 'ours';
  const click = BlockActionsSchema.safeParse(inbound.payload);
  const action = click.success ? click.data.actions[0] : undefined;
  const channelId = click.success ? (click.data.container?.channel_id ?? click.data.channel?.id) : undefined;
  if (
    click.success &&
    action &&
    click.data.actions.length === 1 &&
    (OFFER_ACTION.test(action.action_id) ||
      DECISION_ACTION.test(action.action_id) ||
      INCIDENT_ACTION.test(action.action_id)) &&
    action.value !== undefined &&
    BUTTON_VALUE.test(action.value) &&
    channelId
  ) {
    return 'ours';
  }
  // Who and where, from whatever shape arrived (a `block_actions` with no actions still names both).
  const loose = LooseClickSchema.safeParse(inbound.payload);
  if (!loose.success) return undefined;
  const where = loose.data.container?.channel_id ?? loose.data.channel?.id;
  if (!where || !loose.data.user?.id || !loose.data.trigger_id) return undefined;
  return {
    kind: 'stale',
    actor: { platform: 'slack', userId: loose.data.user.id },
    conversation: {
      platform: 'slack',
      channelId: where,
      threadId: loose.data.container?.thread_ts ?? loose.data.message?.thread_ts,
    },
    deliveryKey: createHash('sha256').update(loose.data.trigger_id).digest('hex').slice(0, 32),
  };
}

/** Just enough of any interactivity payload to tell the clicker privately. */
const LooseClickSchema = z.object({
  user: z.object({ id: z.string().regex(/^[A-Z0-9]{1,50}$/) }).optional(),
  trigger_id: z.string().min(1).max(300).optional(),
  channel: z
    .object({ id: z.string().regex(/^[A-Z0-9]{1,50}$/) })
    .nullable()
    .optional(),
  container: z
    .object({
      channel_id: z
        .string()
        .regex(/^[A-Z0-9]{1,50}$/)
        .optional(),
      thread_ts: z
        .string()
        .regex(/^\d{1,20}\.\d{1,10}$/)
        .optional(),
    })
    .nullable()
    .optional(),
  message: z
    .object({
      thread_ts: z
        .string()
        .regex(/^\d{1,20}\.\d{1,10}$/)
        .optional(),
    })
    .nullable()
    .optional(),
});

/** Where a note goes, carried in the modal's `private_metadata` (≤ 3000 characters; ids only). */
const NoteMetadataSchema = z.object({
  incidentId: z.string().regex(/^inc_[0-9a-f]{1,64}$/),
  channelId: z.string().regex(/^[CGD][A-Z0-9]{1,49}$/),
  threadTs: z
    .string()
    .regex(/^\d{1,20}\.\d{1,10}$/)
    .optional(),
});

/** A `view_submission` of the Add note modal (platforms-2.md §5). */
const NoteSubmissionSchema = z.object({
  type: z.literal('view_submission'),
  user: z.object({ id: z.string().min(1).max(50), name: z.string().max(200).optional() }),
  team: z
    .object({ id: z.string().max(50) })
    .nullable()
    .optional(),
  view: z.object({
    id: z.string().min(1).max(100),
    callback_id: z.literal(NOTE_CALLBACK),
    private_metadata: z
      .string()
      .max(3000)
      .transform((v, ctx) => {
        try {
          return NoteMetadataSchema.parse(JSON.parse(v));
        } catch {
          ctx.addIssue({ code: 'custom', message: 'bad private_metadata' });
          return z.NEVER;
        }
      }),
    state: z.object({
      values: z.record(
        z.string(),
        z.record(z.string(), z.object({ value: z.string().max(10_000).nullable().optional() }).passthrough()),
      ),
    }),
  }),
});

/** The Add note modal: one multi-line input; ids only in `private_metadata`. */
function noteModal(incidentId: string, channelId: string, threadTs: string | undefined): object {
  return {
    type: 'modal',
    callback_id: NOTE_CALLBACK,
    private_metadata: JSON.stringify({ incidentId, channelId, ...(threadTs ? { threadTs } : {}) }),
    title: { type: 'plain_text', text: 'Add note' },
    submit: { type: 'plain_text', text: 'Add note' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: 'note',
        label: { type: 'plain_text', text: 'Note for the PagerDuty incident (posted as you)' },
        element: { type: 'plain_text_input', action_id: 'text', multiline: true, max_length: NOTE_MAX },
      },
    ],
  };
}
