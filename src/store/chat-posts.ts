import type pg from 'pg';

/** A message the bot posted, keyed by the logical post id (e.g. `report:<invocationId>`). */
export interface ChatPost {
  readonly postId: string;
  readonly platform: string;
  readonly channelId: string;
  readonly messageId: string;
  readonly threadId: string | null;
}

/** The message already posted for this post id, if any: a retried post job updates instead of posting again. */
export async function findChatPost(db: pg.Pool, postId: string): Promise<ChatPost | undefined> {
  const { rows } = await db.query(
    `select post_id, platform, channel_id, message_id, thread_id from chat_posts where post_id = $1`,
    [postId],
  );
  const r = rows[0];
  return r
    ? {
        postId: r.post_id,
        platform: r.platform,
        channelId: r.channel_id,
        messageId: r.message_id,
        threadId: r.thread_id,
      }
    : undefined;
}

/** Remembers a posted message. First writer wins. */
export async function saveChatPost(db: pg.Pool, post: ChatPost): Promise<void> {
  await db.query(
    `insert into chat_posts (post_id, platform, channel_id, message_id, thread_id) values ($1,$2,$3,$4,$5)
     on conflict (post_id) do nothing`,
    [post.postId, post.platform, post.channelId, post.messageId, post.threadId],
  );
}
