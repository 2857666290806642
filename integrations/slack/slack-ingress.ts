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
}

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
    .object({ channel_id: z.string().max(50).optional(), thread_ts: z.string().max(50).optional() })
    .passthrough()
    .optional(),
  message: z.object({ ts: z.string(), thread_ts: z.string().optional() }).passthrough().optional(),
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

/** Button action ids (see render-report.ts and render-approval-card.ts). */
const OFFER_ACTION = /^runbook-action:/;
const DECISION_ACTION = /^approval:(approve|deny)$/;

/** The fields of a slash command we rely on (platforms.md §1.2). */
const SlashCommandSchema = z.object({
  command: z.string().regex(/^\/[a-z0-9_-]{1,32}$/i),
  text: z.string().max(4000),
  team_id: z.string().min(1).max(50),
  channel_id: z.string().min(1).max(50),
  user_id: z.string().min(1).max(50),
  user_name: z.string().max(200).optional(),
  trigger_id: z.string().min(1).max(300),
});

/** An interactivity payload (`payload=` form field holding JSON). Validated in detail by its handler. */
const InteractivitySchema = z.object({ type: z.string() });

/** An Events API body (`url_verification`, `event_callback`). */
const EventsSchema = z.object({ type: z.string() });

export type SlackIngressResult = 'handled' | 'bad-request' | 'unauthorized';

/**
 * `POST /slack/events`: verifies the signature (401, nothing else happens), validates the body shape (400), then
 * hands the already-buffered request to Bolt's HTTPReceiver, which acks within Slack's 3 s.
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

  app.command(/.*/, async ({ command, ack }) => {
    const parsed = SlashCommandSchema.safeParse(command);
    if (!parsed.success) {
      await ack({ response_type: 'ephemeral', text: 'That command arrived malformed; nothing was run.' });
      return;
    }
    const c = parsed.data;
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
      await ack({
        response_type: 'ephemeral',
        text: 'The bot could not queue this command right now (its queue or database is unavailable). Nothing was run; try again in a moment.',
      });
      return;
    }
    // The answer may repeat what the user typed (`Invalid <queue>: "…"`): plain text, escaped and redacted.
    await ack({ response_type: 'ephemeral', text: escapeMrkdwn(redactSecrets(reply.text)) });
  });

  app.action({ type: 'block_actions', action_id: /^(runbook-action:|approval:)/ }, async ({ body, ack }) => {
    const parsed = BlockActionsSchema.safeParse(body);
    const action = parsed.success ? parsed.data.actions[0] : undefined;
    const value = action?.value;
    if (!parsed.success || !action || !value || !/^[A-Za-z0-9_-]{1,150}$/.test(value)) {
      await ack();
      return;
    }
    const b = parsed.data;
    const channelId = b.container?.channel_id ?? b.channel?.id;
    if (!channelId) {
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
      if (!isWellFormed(contentType, text)) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"malformed body"}');
        return 'bad-request';
      }
      // Bolt parses as form only for this exact content type (platforms.md §1.1).
      req.headers['content-type'] = contentType;
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = rawBody;
      receiver.requestListener(req, res);
      return 'handled';
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isWellFormed(contentType: string, text: string): boolean {
  try {
    if (contentType === 'application/x-www-form-urlencoded') {
      const form = parseQuery(text);
      if (typeof form.payload === 'string') return InteractivitySchema.safeParse(JSON.parse(form.payload)).success;
      return SlashCommandSchema.safeParse(form).success;
    }
    if (contentType === 'application/json') return EventsSchema.safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
  return false;
}
