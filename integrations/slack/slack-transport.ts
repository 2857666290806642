import { WebClient, WebAPIRateLimitedError } from '@slack/web-api';
import type { ChatTransport, PostedMessage } from '../../src/core/chat-transport.js';
import { MessageNotFoundError, PermanentDeliveryError, RateLimitedError } from '../../src/core/chat-transport.js';
import type { IncidentMessage } from '../../src/core/incident.js';
import type { Conversation } from '../../src/core/invocation.js';
import type { Report } from '../../src/core/report.js';
import type { Secret } from '../../src/core/secret.js';
import { renderReport } from './render-report.js';
import { renderApprovalCard } from './render-approval-card.js';
import { renderIncidentMessage } from './render-incident-message.js';
import { escapeMrkdwn } from './block-kit-limits.js';
import { withRedaction } from '../../src/core/redacting-transport.js';
import type { ApprovalCard } from '../../src/core/approval-card.js';

export interface SlackTransportOptions {
  readonly botToken: Secret;
  /** `SLACK_API_URL`. */
  readonly apiUrl: string;
  /** Request timeout, ms. Default 10 000. */
  readonly timeoutMs?: number;
}

/** Slack's platform errors that mean "this will never work": retrying them is pointless. */
const PERMANENT_ERRORS = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'missing_scope',
  'invalid_blocks',
  'msg_too_long',
  'no_text',
]);

/** A Slack call failed for a reason retrying will not fix (bad channel, revoked token…). */
export class SlackPermanentError extends PermanentDeliveryError {
  constructor(readonly slackError: string) {
    super(`Slack refused the call: ${slackError}`);
    this.name = 'SlackPermanentError';
  }
}

function slackErrorOf(err: unknown): string | undefined {
  return (err as { data?: { error?: string } } | undefined)?.data?.error;
}

/**
 * Posting to Slack through the Web API client pointed at `SLACK_API_URL`. Rate limits are not retried inside the
 * client (it would pause every call of the process): a 429 becomes {@link RateLimitedError} and the job waits
 * `Retry-After` in the queue, where the wait survives restarts. Plain texts are escaped here (`&`, `<`, `>`: a
 * `<!channel>` or `<https://evil|click>` from a target shows as typed and pings or links nothing), structured messages
 * by their renderers; secrets are redacted from everything (`withRedaction`).
 */
export function createSlackTransport(o: SlackTransportOptions): ChatTransport & { client: WebClient } {
  return withRedaction(createRawSlackTransport(o));
}

function createRawSlackTransport(o: SlackTransportOptions): ChatTransport & { client: WebClient } {
  const client = new WebClient(o.botToken.reveal(), {
    slackApiUrl: o.apiUrl,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: o.timeoutMs ?? 10_000,
    // The client's default logger prints to the console; errors reach us as exceptions instead.
    logger: {
      debug() {},
      info() {},
      warn() {},
      error() {},
      setLevel() {},
      getLevel: () => 'error' as never,
      setName() {},
    },
  });

  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WebAPIRateLimitedError) throw new RateLimitedError(Math.max(1, err.retryAfter) * 1000);
      const slackError = (err as { data?: { error?: string } }).data?.error;
      if (slackError && PERMANENT_ERRORS.has(slackError)) throw new SlackPermanentError(slackError);
      throw new Error(`Slack call failed${slackError ? `: ${slackError}` : ''}`, { cause: err });
    }
  }

  async function post(conversation: Conversation, text: string, blocks?: unknown[]): Promise<PostedMessage> {
    const res = await call(() =>
      client.chat.postMessage({
        channel: conversation.channelId,
        text,
        ...(blocks ? { blocks: blocks as never } : {}),
        ...(conversation.threadId ? { thread_ts: conversation.threadId } : {}),
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    return {
      channelId: res.channel ?? conversation.channelId,
      messageId: res.ts ?? '',
      threadId: conversation.threadId,
    };
  }

  return {
    platform: 'slack',
    client,
    postReport(conversation: Conversation, report: Report) {
      // A button carries only the stored offer's opaque id; an action without one renders as text.
      const message = renderReport(report, { actionValue: (action) => action.offerId });
      return post(conversation, message.text, message.blocks);
    },
    postText(conversation: Conversation, text: string) {
      return post(conversation, escapeMrkdwn(text));
    },
    postApprovalCard(conversation: Conversation, card: ApprovalCard) {
      const message = renderApprovalCard(card);
      return post(conversation, message.text, message.blocks);
    },
    async updateApprovalCard(message: PostedMessage, card: ApprovalCard) {
      const rendered = renderApprovalCard(card);
      await call(() =>
        client.chat.update({
          channel: message.channelId,
          ts: message.messageId,
          text: rendered.text,
          blocks: rendered.blocks as never,
        }),
      );
    },
    postIncidentMessage(conversation: Conversation, message: IncidentMessage) {
      const rendered = renderIncidentMessage(message);
      return post(conversation, rendered.text, rendered.blocks);
    },
    async updateIncidentMessage(posted: PostedMessage, message: IncidentMessage) {
      const rendered = renderIncidentMessage(message);
      try {
        await call(() =>
          client.chat.update({
            channel: posted.channelId,
            ts: posted.messageId,
            text: rendered.text,
            blocks: rendered.blocks as never,
          }),
        );
      } catch (err) {
        // Someone deleted the message: the caller posts a new one (platforms.md §1.5).
        if ((err as Error).cause && slackErrorOf((err as Error).cause) === 'message_not_found') {
          throw new MessageNotFoundError();
        }
        throw err;
      }
    },
    async postEphemeral(conversation: Conversation, userId: string, text: string) {
      await call(() =>
        client.chat.postEphemeral({
          channel: conversation.channelId,
          user: userId,
          text: escapeMrkdwn(text),
          ...(conversation.threadId ? { thread_ts: conversation.threadId } : {}),
        }),
      );
    },
    async permalink(posted: PostedMessage) {
      const res = await call(() =>
        client.chat.getPermalink({ channel: posted.channelId, message_ts: posted.messageId }),
      );
      return typeof res.permalink === 'string' && /^https:\/\/[^\s]+$/.test(res.permalink) ? res.permalink : undefined;
    },
    async userEmail(userId: string) {
      // `profile.email` is there only with the users:read.email scope (platforms-2.md §5); bots have none.
      const res = await call(() => client.users.info({ user: userId }));
      const user = res.user as { is_bot?: boolean; deleted?: boolean; profile?: { email?: string } } | undefined;
      if (!user || user.is_bot || user.deleted) return undefined;
      return user.profile?.email || undefined;
    },
    async groupMembers(groupPrincipal: string) {
      const usergroup = groupPrincipal.slice(groupPrincipal.indexOf(':') + 1);
      const res = await call(() => client.usergroups.users.list({ usergroup }));
      return res.users ?? [];
    },
  };
}
