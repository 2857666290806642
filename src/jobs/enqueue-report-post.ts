import type { Invocation } from '../core/invocation.js';
import type { BotQueues } from './create-queues.js';

/**
 * Queues the chat post of an invocation's stored report. The job id derives from the invocation id, so a retried
 * diagnostic (or a re-check run twice) queues one post, not two.
 */
export async function enqueueReportPost(
  queues: Pick<BotQueues, 'chatPosts'>,
  invocation: Pick<Invocation, 'invocationId' | 'conversation'>,
): Promise<void> {
  await queues.chatPosts.add(
    'report',
    {
      postId: `report:${invocation.invocationId}`,
      kind: 'report',
      invocationId: invocation.invocationId,
      conversation: invocation.conversation,
    },
    { jobId: `report-${invocation.invocationId}` },
  );
}
