import { UnrecoverableError } from 'bullmq';
import type pg from 'pg';
import type { ChatTransport } from '../core/chat-transport.js';
import type { Logger } from '../core/logger.js';
import { findChatPost, saveChatPost } from '../store/chat-posts.js';
import { loadReport } from '../store/reports.js';
import type { ChatPostJob } from './job-schemas.js';

/** What posting a stored report needs. */
export interface PostReportDeps {
  readonly db: pg.Pool;
  readonly transports: Readonly<Partial<Record<ChatTransport['platform'], ChatTransport>>>;
  readonly logger: Logger;
}

/** Posts a stored report once per post id, then remembers where. */
export async function postReportOnce(deps: PostReportDeps, post: ChatPostJob): Promise<void> {
  if (await findChatPost(deps.db, post.postId)) return;
  const transport = deps.transports[post.conversation.platform];
  if (!transport) throw new UnrecoverableError(`no ${post.conversation.platform} transport configured`);
  const report = await loadReport(deps.db, post.invocationId);
  if (!report) throw new UnrecoverableError('report not found');
  const posted = await transport.postReport(post.conversation, report);
  await saveChatPost(deps.db, {
    postId: post.postId,
    platform: transport.platform,
    channelId: posted.channelId,
    messageId: posted.messageId,
    threadId: posted.threadId ?? null,
  });
  deps.logger.info({ invocationId: post.invocationId, channel: posted.channelId }, 'report posted');
}
