/** The clock, injectable so that time-dependent logic (signature windows, expiry, heartbeat ages) is testable. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock fixed at `ms` (tests). */
export function fixedClock(ms: number): Clock {
  return { now: () => ms };
}
