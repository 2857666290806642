import type { Conversation } from './invocation.js';
import type { Report } from './report.js';
import type { ApprovalCard } from './approval-card.js';
import type { IncidentMessage } from './incident.js';

/** A posted message: where it is, so it can be updated or replied to. */
export interface PostedMessage {
  readonly channelId: string;
  /** Slack `ts`, Teams activity id. */
  readonly messageId: string;
  readonly threadId?: string;
}

/**
 * The platform refused for now and said when to come back (Slack 429 `Retry-After`). The job is delayed by that
 * much instead of failing.
 */
export class RateLimitedError extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`rate limited; retry after ${retryAfterMs} ms`);
    this.name = 'RateLimitedError';
  }
}

/**
 * The platform refused for a reason a retry will not fix (Slack `channel_not_found` or a revoked token, Teams 403 or
 * an unknown conversation, no transport configured for the platform). Each transport's own permanent error extends
 * this; the workers fail the job at once (BullMQ `UnrecoverableError`) instead of spending its attempts.
 */
export class PermanentDeliveryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentDeliveryError';
  }
}

/**
 * The message to update is gone (deleted by someone; Slack `message_not_found`). The caller posts a new one and
 * remembers it instead.
 */
export class MessageNotFoundError extends Error {
  constructor() {
    super('the message to update no longer exists');
    this.name = 'MessageNotFoundError';
  }
}

/**
 * The outbound side of a chat platform: renders with its own renderer and posts.
 *
 * Every string handed to a transport — a text, and each field of a report, card or incident message — is plain text
 * that may come from a target, an alert or a user: the transport escapes it for its platform (Slack: `&`, `<`, `>`, so
 * `<!channel>` and `<url|text>` are inert; Teams: XML text or plain `TextRun`s) and redacts secrets in it
 * (`withRedaction` in `redacting-transport.ts`). Callers never write platform markup; the only formatting they use is Slack-style emoji
 * codes (`:warning:`), which every platform renders.
 */
export interface ChatTransport {
  readonly platform: Conversation['platform'];
  postReport(conversation: Conversation, report: Report): Promise<PostedMessage>;
  /** Posts plain text (escaped and redacted by the transport, never read as markup). */
  postText(conversation: Conversation, text: string): Promise<PostedMessage>;
  postApprovalCard(conversation: Conversation, card: ApprovalCard): Promise<PostedMessage>;
  /** Replaces a posted card in place for everyone. */
  updateApprovalCard(message: PostedMessage, card: ApprovalCard): Promise<void>;
  /** A plain-text message only `userId` sees (refusals, "already approved"); escaped and redacted like `postText`. */
  postEphemeral(conversation: Conversation, userId: string, text: string): Promise<void>;
  /**
   * Posts an incident root, a thread note or a storm summary, rendered by the platform's own renderer. Optional: a
   * transport without it gets the plain-text rendering through {@link ChatTransport.postText}.
   */
  postIncidentMessage?(conversation: Conversation, message: IncidentMessage): Promise<PostedMessage>;
  /**
   * Replaces a posted incident message in place for everyone (the root as the incident moves, the storm summary as
   * it grows). Throws {@link MessageNotFoundError} when the message was deleted.
   */
  updateIncidentMessage?(posted: PostedMessage, message: IncidentMessage): Promise<void>;
  /** Members of a platform user group (`slack-group:S…`), for the approver list. */
  groupMembers?(groupPrincipal: string): Promise<readonly string[]>;
  /**
   * The email of a platform user's profile (Slack `users.info` with `users:read.email`; Teams the conversation
   * member's email, else UPN), or undefined when the platform names none (bots, guests, a missing scope). Used to
   * match the person to their PagerDuty user; never a display name.
   */
  userEmail?(userId: string, conversation: Conversation): Promise<string | undefined>;
  /** A link to a posted message (Slack `chat.getPermalink`), or undefined when the platform gives none. */
  permalink?(posted: PostedMessage): Promise<string | undefined>;
}
