import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import type { CommandReply, CommandRequest } from '../../src/core/command.js';
import type { ChatInteraction } from '../../src/core/interaction.js';
import type { Logger } from '../../src/core/logger.js';
import { ADAPTIVE_CARD_CONTENT_TYPE } from './adaptive-card.js';
import { renderTextMessage } from './render-text-message.js';
import { redactSecrets } from '../../src/core/redact.js';
import {
  parseTeamsActivity,
  referenceOf,
  TeamsActivitySchema,
  userOf,
  type TeamsActivity,
  type TeamsInbound,
} from './teams-activity.js';
import type { Connector } from './teams-connector.js';
import { conversationOf } from './teams-conversation.js';
import type { TeamsSettings } from './teams-settings.js';
import { findCard, saveConversationReference, saveTeamsUser } from './teams-store.js';
import {
  TeamsAuthError,
  TeamsAuthUnavailableError,
  type BotFramework,
  type TeamsInvokeResponse,
} from './teams-transport-botbuilder.js';

export interface TeamsIngressOptions {
  readonly settings: TeamsSettings;
  /** Absent when Teams is off. */
  readonly botFramework?: BotFramework;
  /** Sends the immediate reply to a command (absent when Teams is off). */
  readonly connector?: Connector;
  readonly db: pg.Pool;
  readonly logger: Logger;
  /** Command names (`corvo`, `runbook`…) for the overview a bare @mention gets. */
  readonly commandNames: readonly string[];
  /** Resolves the command and queues its job; rejects only when the queue or database is unavailable. */
  readonly onCommand: (req: CommandRequest) => Promise<CommandReply>;
  /** Queues a button click durably; rejects only when the queue is unavailable. */
  readonly onInteraction: (interaction: ChatInteraction) => Promise<void>;
}

export type TeamsIngressResult = 'handled' | 'unauthorized' | 'bad-request' | 'unavailable';

const MESSAGE_RESPONSE = 'application/vnd.microsoft.activity.message';
const ERROR_RESPONSE = 'application/vnd.microsoft.error';

function sendJson(res: ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** An `adaptiveCard/action` answer showing `text` to the user who clicked (platforms.md §2.5). */
function messageResponse(status: number, text: string): TeamsInvokeResponse {
  return {
    status,
    body:
      status === 200
        ? { statusCode: 200, type: MESSAGE_RESPONSE, value: text }
        : { statusCode: status, type: ERROR_RESPONSE, value: { code: 'BadRequest', message: text } },
  };
}

/**
 * `POST /api/messages`: Microsoft Teams activities through the Bot Framework. Refuses everything (401) while Teams
 * is off; otherwise checks the JSON (400) and the activity's shape (400), authenticates it (JWT when
 * `MICROSOFT_APP_ID` is set, 401), remembers the conversation reference, then:
 * - a command (an @mention in a channel or group chat, plain text in a personal chat) goes through the same command
 *   layer as Slack; its immediate answer is posted back as a reply;
 * - an `Action.Execute` click (`adaptiveCard/action` invoke) is queued durably, then answered with the card as it is
 *   now (the worker replaces the shared card for everyone once the click is handled).
 * A 503 means Redis or Postgres is unavailable, so that a redelivery can succeed.
 */
export function createTeamsIngress(o: TeamsIngressOptions) {
  const log = o.logger.child({ platform: 'teams' });

  async function reply(activity: TeamsActivity, text: string): Promise<void> {
    if (!o.connector || !activity.id) return;
    try {
      await o.connector.replyToActivity(activity.serviceUrl, activity.conversation.id, activity.id, {
        // The answer may repeat what the user typed: redacted here, escaped by renderTextMessage.
        ...renderTextMessage(redactSecrets(text)),
        replyToId: activity.id,
      });
    } catch (err) {
      // The command is queued either way; only the acknowledgement is lost.
      log.warn({ err: { name: (err as Error)?.name, message: (err as Error)?.message } }, 'teams reply failed');
    }
  }

  async function act(activity: TeamsActivity, inbound: TeamsInbound): Promise<TeamsInvokeResponse | undefined> {
    switch (inbound.kind) {
      case 'command': {
        const answer = await o.onCommand({
          command: inbound.command,
          text: inbound.text,
          actor: inbound.actor,
          conversation: inbound.conversation,
          deliveryKey: inbound.deliveryKey,
        });
        await reply(activity, answer.text);
        return undefined;
      }
      case 'overview': {
        const names = o.commandNames.map((n) => `${n} help`).join(', ');
        await reply(
          activity,
          `Mention me with a command, e.g. "${o.commandNames[0] ?? 'runbook'} health". Help for each: ${names}.`,
        );
        return undefined;
      }
      case 'interaction': {
        await o.onInteraction(inbound.interaction);
        const key = conversationOf(activity).channelId;
        const card = activity.replyToId ? await findCard(o.db, key, activity.replyToId) : undefined;
        if (card) return { status: 200, body: { statusCode: 200, type: ADAPTIVE_CARD_CONTENT_TYPE, value: card } };
        return messageResponse(200, 'Got it — working on it.');
      }
      case 'refused-invoke':
        return messageResponse(inbound.status, inbound.message);
      case 'unsupported-invoke':
      case 'ignored':
        return undefined;
    }
  }

  return {
    /** Handles one request whose body was already read within the size limit. Answers `res` itself. */
    async handle(req: IncomingMessage, res: ServerResponse, rawBody: Buffer): Promise<TeamsIngressResult> {
      if (o.settings.mode === 'off' || !o.botFramework) {
        sendJson(res, 401, { error: 'Teams is not configured on this bot' });
        return 'unauthorized';
      }
      let json: unknown;
      try {
        json = JSON.parse(rawBody.toString('utf8'));
      } catch {
        sendJson(res, 400, { error: 'malformed JSON' });
        return 'bad-request';
      }
      const parsed = TeamsActivitySchema.safeParse(json);
      if (!parsed.success || json === null || typeof json !== 'object' || Array.isArray(json)) {
        sendJson(res, 400, { error: 'not a Bot Framework activity' });
        return 'bad-request';
      }
      const activity = parsed.data;
      const authorization = headerOf(req, 'authorization') ?? '';
      try {
        const response = await o.botFramework.process(authorization, json as Record<string, unknown>, async () => {
          // Remembered from every activity (installs included), before anything is queued: the worker posts there.
          await saveConversationReference(o.db, referenceOf(activity));
          const user = userOf(activity);
          if (user) await saveTeamsUser(o.db, user);
          return act(activity, parseTeamsActivity(activity));
        });
        sendJson(res, response?.status ?? 200, response?.body);
        return 'handled';
      } catch (err) {
        if (err instanceof TeamsAuthError) {
          log.warn({ reason: err.message }, 'teams request refused');
          sendJson(res, 401, { error: 'unauthorized' });
          return 'unauthorized';
        }
        if (err instanceof TeamsAuthUnavailableError) {
          log.error({ reason: err.message }, 'teams authentication unavailable');
          sendJson(res, 503, { error: 'authentication unavailable; retry later' });
          return 'unavailable';
        }
        log.error(
          { activityType: activity.type, err: { name: (err as Error)?.name, message: (err as Error)?.message } },
          'teams activity not handled (queue or database unavailable)',
        );
        sendJson(res, 503, { error: 'temporarily unavailable; nothing was run' });
        return 'unavailable';
      }
    },
  };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
