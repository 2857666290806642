import type { LockRow } from '../../integrations/m4/index.js';
import type { ProbeResult } from '../../src/core/probe.js';
import type { FindingDraft, Rule } from '../../src/core/rule.js';
import { M4_CODES } from './codes.js';
import { duration } from './format.js';

/** M4's publish transaction times out after 5000 ms: a lock-holding transaction older than that is suspect. */
export const LONG_TRANSACTION_MS = 5000;

/** Modes that block no reader or row writer (SELECT, SELECT FOR UPDATE). */
const WEAK_MODES = new Set(['AccessShareLock', 'RowShareLock']);

function describe(l: LockRow): string {
  const age = l.xactAgeMs === null ? '' : `, transaction ${duration(l.xactAgeMs)}`;
  const blocked = l.blockedBy.length > 0 ? `, blocked by pid ${l.blockedBy.join(', ')}` : '';
  return `pid ${l.pid} ${l.mode} on ${l.relation} (${l.granted ? 'held' : 'waiting'}${age}${blocked})`;
}

/** Waiting sessions are a warning; so is a long transaction holding more than a read lock. */
export function locksDraft(locks: readonly LockRow[]): FindingDraft {
  if (locks.length === 0) {
    return {
      severity: 'ok',
      evidence: 'pg_locks: no other session holds or waits for a lock on runs, run_events, run_outbox',
    };
  }
  const waiting = locks.filter((l) => !l.granted || l.blockedBy.length > 0);
  const long = locks.filter(
    (l) => l.granted && !WEAK_MODES.has(l.mode) && l.xactAgeMs !== null && l.xactAgeMs > LONG_TRANSACTION_MS,
  );
  const sessions = new Set(locks.map((l) => l.pid)).size;
  const shown = [...waiting, ...long.filter((l) => !waiting.includes(l))].slice(0, 6).map(describe);
  const summary = `${locks.length} lock${locks.length === 1 ? '' : 's'} by ${sessions} session${sessions === 1 ? '' : 's'}`;
  if (waiting.length > 0) {
    const blockers = [...new Set(waiting.flatMap((l) => l.blockedBy))];
    const holders = locks
      .filter((l) => l.granted && blockers.includes(l.pid))
      .slice(0, 3)
      .map(describe);
    return {
      severity: 'warning',
      title: `${new Set(waiting.map((l) => l.pid)).size} session(s) waiting for locks on the run tables`,
      evidence: `${summary}: ${[...shown, ...holders.filter((h) => !shown.includes(h))].join('; ')}`,
    };
  }
  if (long.length > 0) {
    return {
      severity: 'warning',
      title: `A transaction older than ${duration(LONG_TRANSACTION_MS)} holds write locks on the run tables`,
      evidence: `${summary}: ${shown.join('; ')} — M4's publish transaction times out after 5000 ms`,
    };
  }
  return { severity: 'ok', evidence: `${summary}, none waiting: ${locks.slice(0, 4).map(describe).join('; ')}` };
}

export const LOCKS_NEXT_STEP =
  'See what the blocking session is doing: SELECT pid, state, xact_start, wait_event, left(query, 80) FROM ' +
  'pg_stat_activity WHERE pid IN (<pids>); a stuck holder can be ended with pg_cancel_backend(<pid>) — a decision ' +
  'for a DBA, the bot does not do it.';

/** The lock check, for any workflow whose observations carry a `locks` probe. */
export function locksRule<Obs extends { readonly locks?: ProbeResult<readonly LockRow[]> }>(
  section: string,
): Rule<Obs> {
  return {
    code: M4_CODES.locks,
    title: 'Locks on the run tables',
    okTitle: 'No lock contention on the run tables',
    section,
    nextStep: LOCKS_NEXT_STEP,
    evaluate: (obs) => (obs.locks?.ok ? locksDraft(obs.locks.value) : null),
  };
}
