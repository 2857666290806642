import type { ApprovalCard } from '../core/approval-card.js';
import type { ChatTransport, PostedMessage } from '../core/chat-transport.js';
import type { Actor, Conversation } from '../core/invocation.js';
import type { Logger } from '../core/logger.js';
import type { ApprovalRecord } from './approval-store.js';

/** What the approval engine's chat side needs. */
export interface ApprovalChatOptions {
  readonly transports: Readonly<Partial<Record<ChatTransport['platform'], ChatTransport>>>;
  readonly logger: Logger;
}

/**
 * How the approval engine talks in chat: a request's card (posted in its conversation, then updated in place),
 * replies in the card's thread, and lines only the clicking user sees. Each goes through the transport of the
 * platform the request lives on.
 */
export function createApprovalChat(o: ApprovalChatOptions) {
  function transportFor(platform: string): ChatTransport {
    const t = o.transports[platform as ChatTransport['platform']];
    if (!t) throw new Error(`no ${platform} transport configured`);
    return t;
  }

  return {
    transportFor,

    /** Posts the card of a new request in its conversation. */
    postCard(a: ApprovalRecord, card: ApprovalCard): Promise<PostedMessage> {
      return transportFor(a.conversation.platform).postApprovalCard(a.conversation, card);
    },

    /** Replaces the card's content in place (a no-op until the card's message is recorded). */
    async updateCard(a: ApprovalRecord, card: ApprovalCard): Promise<void> {
      if (!a.cardMessageId) return;
      const message: PostedMessage = {
        channelId: a.card.channelId,
        messageId: a.cardMessageId,
        threadId: a.conversation.threadId,
      };
      await transportFor(a.conversation.platform).updateApprovalCard(message, card);
    },

    /** A line only `actor` sees. */
    async tell(conversation: Conversation, actor: Actor, text: string): Promise<void> {
      await transportFor(conversation.platform).postEphemeral(conversation, actor.userId, text);
    },

    /** A reply everyone sees, in the card's thread. */
    async say(a: ApprovalRecord, text: string): Promise<void> {
      // Replies go in the card's thread (or the thread the card lives in).
      const threadId = a.conversation.threadId ?? a.cardMessageId ?? undefined;
      await transportFor(a.conversation.platform).postText({ ...a.conversation, threadId }, text);
    },

    /** Runs a notification whose failure must not fail the job (logged, then ignored). */
    async bestEffort(what: string, fn: () => Promise<void>): Promise<void> {
      try {
        await fn();
      } catch (err) {
        o.logger.warn(
          { what, err: { name: (err as Error)?.name, message: (err as Error)?.message } },
          'notification failed',
        );
      }
    },
  };
}

export type ApprovalChat = ReturnType<typeof createApprovalChat>;
