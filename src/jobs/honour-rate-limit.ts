import { DelayedError, type Job } from 'bullmq';
import { RateLimitedError } from '../core/chat-transport.js';
import { unrecoverableIfPermanent } from './unrecoverable-if-permanent.js';

/** A platform 429 delays the job by `Retry-After` (the wait survives restarts) instead of failing it. */
export async function honourRateLimit<T>(job: Job, token: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RateLimitedError && token) {
      await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
      throw new DelayedError();
    }
    throw unrecoverableIfPermanent(err);
  }
}
