/**
 * How many times a job may be taken over from a worker that stopped (killed, OOM, restarted) before BullMQ fails it.
 * BullMQ's default is 1: two crashes in a row failed the job for good, so an accepted command was never answered and
 * an approval stayed `executing`, holding its target lock (found by the soak with overlapping kills). Taking a job
 * over again is safe: every job is idempotent (deduplicated by its id; an approval found `executing` is settled as
 * "outcome unknown" and re-checked, never run twice).
 */
export const MAX_STALLED_COUNT = 5;
