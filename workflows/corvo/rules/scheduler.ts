/** The runbook's "Critical Metrics to Monitor › Scheduler": scheduler errors, and whether promote and reclaim run. */
import { formatNumber, formatSeconds } from '../../../src/core/format.js';
import type { Severity } from '../../../src/core/report.js';
import type { ThresholdLookup } from '../../../src/core/threshold.js';
import type { CorvoObservations } from '../observe.js';
import { SCHEDULER } from '../sections.js';
import { describeSelf, readLeadership, readMetric } from '../signals.js';
import { STUCK_ACTIVE_CORRECTION } from './corrections.js';
import {
  WHOLE_SECONDS_NOTE,
  leaderHint,
  schedulerAge,
  schedulerAgeText,
  type CorvoRule,
  type FindingDraft,
} from './helpers.js';
import { THRESHOLDS } from './thresholds.js';

const n = formatNumber;

const SCHEDULER_OPS = ['promote', 'reclaim', 'expire', 'purge'] as const;

/** The scheduler runs only on the leader: on a follower every scheduler metric reads 0. */
export function schedulerOnFollower(obs: CorvoObservations): FindingDraft | undefined {
  const lead = readLeadership(obs);
  if (lead.isLeader !== false) return undefined;
  const state = lead.raftState && lead.raftState !== 'Follower' ? ` (${lead.raftState})` : '';
  return {
    severity: 'ok',
    title: 'Scheduler not checked: this node is not the leader',
    evidence:
      `${describeSelf(lead)} is not the leader${state}; the scheduler runs only on the leader, so its scheduler ` +
      'metrics always read 0 here — not evaluated rather than a false alarm',
    nextStep: `To check the scheduler, point a target at ${leaderHint(lead)}.`,
  };
}

/**
 * The stall threshold, s: `thresholds.corvo.scheduler-stalled` of the config, else the runbook's 10 s (a value
 * threshold: the age of the last promote/reclaim is read from one scrape).
 */
function stalledSeconds(thresholds: ThresholdLookup | undefined): number {
  const ms = thresholds?.('scheduler-stalled');
  return ms !== undefined ? ms / 1000 : THRESHOLDS.schedulerStalledSeconds;
}

export const schedulerRules: readonly CorvoRule[] = [
  {
    code: 'corvo.scheduler.errors',
    title: 'Scheduler errors',
    okTitle: 'Scheduler error-free',
    section: SCHEDULER,
    nextStep:
      'Check the leader\'s logs for "promote scheduled jobs" error=… and "reclaim expired leases" error=…. The ' +
      'counters are since process start: run the check again to see whether they are still growing; if they are and ' +
      'the scheduler is stalled, restart the leader (leadership moves to another node).',
    evaluate(obs, nowMs, thresholds) {
      const stallS = stalledSeconds(thresholds);
      const counts = SCHEDULER_OPS.map((op) => ({ op, errors: readMetric(obs, `corvo_scheduler_${op}_errors_total`) }));
      if (counts.every((c) => c.errors === undefined)) return null;
      const follower = schedulerOnFollower(obs);
      if (follower) return follower;
      const failing = counts.filter((c) => (c.errors ?? 0) > 0);
      // Promote/reclaim errors while the op has not succeeded recently: the scheduler is failing now.
      const stillFailing = failing.filter((c) => {
        if (c.op !== 'promote' && c.op !== 'reclaim') return false;
        const last = readMetric(obs, `corvo_scheduler_last_${c.op}_seconds`);
        return last !== undefined && schedulerAge(nowMs, last).atLeast > stallS;
      });
      const severity: Severity = stillFailing.length > 0 ? 'critical' : failing.length > 0 ? 'warning' : 'ok';
      const list = counts.map((c) => `${c.op} ${c.errors === undefined ? '?' : n(c.errors)}`).join(', ');
      return {
        severity,
        evidence:
          `scheduler errors since process start: ${list} — should be 0` +
          (stillFailing.length > 0
            ? `; ${stillFailing.map((c) => c.op).join(' and ')} also not run for more than ${stallS} s`
            : ''),
      };
    },
  },

  {
    code: 'corvo.scheduler.stalled',
    title: 'Scheduler stalled',
    okTitle: 'Scheduler running',
    section: SCHEDULER,
    nextStep:
      "Promote and reclaim run every second on the leader (deferred up to 10 s under load). Check the leader's logs " +
      'for "promote scheduled jobs" / "reclaim expired leases" errors; if it stays stalled, restart the leader. Jobs ' +
      'stuck active with expired leases are reclaimed once the scheduler runs again; to free one now, cancel it ' +
      '(`POST /api/v1/jobs/{id}/cancel`), do not `corvo retry` it (refused for active jobs).',
    runbookCorrection: STUCK_ACTIVE_CORRECTION,
    evaluate(obs, nowMs, thresholds) {
      const stallS = stalledSeconds(thresholds);
      const last = (['promote', 'reclaim'] as const).map((op) => ({
        op,
        at: readMetric(obs, `corvo_scheduler_last_${op}_seconds`),
      }));
      if (last.every((l) => l.at === undefined)) return null;
      const follower = schedulerOnFollower(obs);
      if (follower) return follower;
      const leaderKnown = readLeadership(obs).isLeader === true;
      const nowSec = nowMs / 1000;
      const parts = last.map(({ op, at }) => {
        if (at === undefined) return { stalled: false, text: `last ${op} unknown` };
        if (at <= 0) return { stalled: true, text: `${op} never ran since process start` };
        const raw = nowSec - at;
        const skew = raw < -5 ? ` (Corvo's clock is ${formatSeconds(-raw)} ahead of the bot's)` : '';
        const age = schedulerAge(nowMs, at);
        return {
          stalled: age.atLeast > stallS,
          text: `last ${op} ${schedulerAgeText(age)}${skew}`,
        };
      });
      const stalled = parts.some((p) => p.stalled);
      return {
        severity: stalled ? (leaderKnown ? 'critical' : 'warning') : 'ok',
        evidence:
          `${parts.map((p) => p.text).join(', ')} — stalled above ${stallS} s ` +
          `(${WHOLE_SECONDS_NOTE})` +
          (stalled && !leaderKnown ? ' (could not confirm this node is the leader)' : ''),
      };
    },
  },
];
