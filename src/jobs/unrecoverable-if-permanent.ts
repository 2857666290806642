import { UnrecoverableError } from 'bullmq';
import { PermanentDeliveryError } from '../core/chat-transport.js';

/**
 * What a worker throws for `err`: a {@link PermanentDeliveryError} (a chat platform refused for a reason a retry will
 * not fix, e.g. Slack `channel_not_found`, Teams 403) becomes BullMQ's `UnrecoverableError`, so the job fails at once
 * instead of spending its attempts; anything else is returned as is (transient errors keep their retries).
 */
export function unrecoverableIfPermanent(err: unknown): unknown {
  return err instanceof PermanentDeliveryError ? new UnrecoverableError(err.message) : err;
}
