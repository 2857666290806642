import type { ChatInteraction } from '../core/interaction.js';
import type { BotQueues } from './create-queues.js';

/**
 * Queues a verified button click. The jobId is derived from the click's delivery key, so a redelivered click maps
 * onto the job already queued; resolves once the job is durably in Redis.
 */
export async function enqueueInteraction(queues: BotQueues, i: ChatInteraction): Promise<void> {
  if (i.kind === 'offer') {
    await queues.interactions.add(
      'offer',
      { kind: 'offer', offerId: i.offerId, actor: i.actor, conversation: i.conversation, deliveryKey: i.deliveryKey },
      { jobId: `offer-${i.deliveryKey}` },
    );
    return;
  }
  if (i.kind === 'incident-action') {
    await queues.incidentActions.add(
      'action',
      {
        kind: 'action',
        incidentId: i.incidentId,
        action: i.action,
        ...(i.silenceRecordId !== undefined ? { silenceRecordId: i.silenceRecordId } : {}),
        ...(i.noteDraftId !== undefined ? { noteDraftId: i.noteDraftId } : {}),
        actor: i.actor,
        conversation: i.conversation,
        ...(i.messageId !== undefined ? { messageId: i.messageId } : {}),
        deliveryKey: i.deliveryKey,
      },
      { jobId: `incact-${i.deliveryKey}` },
    );
    return;
  }
  if (i.kind === 'stale') {
    await queues.interactions.add(
      'stale',
      { kind: 'stale', actor: i.actor, conversation: i.conversation },
      { jobId: `stale-${i.deliveryKey}` },
    );
    return;
  }
  await queues.interactions.add(
    'decision',
    {
      kind: 'decision',
      approvalId: i.approvalId,
      decision: i.decision,
      actor: i.actor,
      conversation: i.conversation,
      ...(i.messageId !== undefined ? { messageId: i.messageId } : {}),
    },
    { jobId: `decision-${i.deliveryKey}` },
  );
}
