/**
 * How Teams conversation ids map onto the platform-neutral {@link Conversation}. A channel thread is addressed as
 * `<channelConversationId>;messageid=<rootMessageId>` (platforms.md §2.4); our Conversation keeps the two apart:
 * `channelId` = the conversation (without the thread part), `threadId` = the root message id.
 */
import { createHash } from 'node:crypto';
import type { Conversation } from '../../src/core/invocation.js';

/** Longest conversation id kept as is in `Conversation.channelId` (the job schema's limit). */
const MAX_KEY = 200;

/** Splits `19:x@thread.tacv2;messageid=123` into the conversation and the thread's root message id. */
export function splitConversationId(id: string): { readonly base: string; readonly messageId?: string } {
  const m = /^(.*);messageid=([^;]+)$/.exec(id);
  return m ? { base: m[1]!, messageId: m[2]! } : { base: id };
}

/**
 * True for a team channel (threads exist there). Group and personal chats have no threads: a message "in the
 * thread" of a card there is simply posted to the chat.
 */
export function isChannelConversation(base: string, conversationType?: string | null): boolean {
  if (conversationType) return conversationType === 'channel';
  return /@thread\.(tacv2|skype)$/.test(base);
}

/**
 * The id we keep for a conversation in job data and Postgres: the conversation id itself when it fits, else a
 * stable digest (the full id stays in `teams_conversations`). Personal-chat ids are long but normally fit.
 */
export function conversationKeyOf(base: string): string {
  if (base.length <= MAX_KEY) return base;
  return `tc_${createHash('sha256').update(base).digest('hex').slice(0, 40)}`;
}

/** The conversation id to post to: the thread of a channel when there is one, else the conversation. */
export function postingConversationId(base: string, threadId: string | undefined, isChannel: boolean): string {
  return isChannel && threadId ? `${base};messageid=${threadId}` : base;
}

/** The platform-neutral conversation of an inbound activity. `teamId` is the tenant id. */
export function conversationOf(activity: {
  readonly conversation: { readonly id: string; readonly conversationType?: string; readonly tenantId?: string };
  readonly channelData?: { readonly tenant?: { readonly id?: string } };
}): Conversation {
  const { base, messageId } = splitConversationId(activity.conversation.id);
  const channel = isChannelConversation(base, activity.conversation.conversationType);
  const tenantId = activity.conversation.tenantId ?? activity.channelData?.tenant?.id;
  return {
    platform: 'teams',
    channelId: conversationKeyOf(base),
    ...(channel && messageId ? { threadId: messageId } : {}),
    ...(tenantId ? { teamId: tenantId } : {}),
  };
}
