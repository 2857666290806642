import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { RateLimitedError } from '../core/chat-transport.js';

/** Errors a retry cannot fix carry this name (set by transports), e.g. Slack `channel_not_found`. */
function isPermanent(err: unknown): boolean {
  return err instanceof Error && (err.name === 'SlackPermanentError' || err.name === 'UnrecoverableError');
}

/** A platform 429 delays the job by `Retry-After` (the wait survives restarts) instead of failing it. */
export async function honourRateLimit<T>(job: Job, token: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RateLimitedError && token) {
      await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
      throw new DelayedError();
    }
    if (isPermanent(err)) throw new UnrecoverableError((err as Error).message);
    throw err;
  }
}
