/** The runbook's "Common Issues › Jobs Stuck Pending": paused queues and silent workers, checked on every health run. */
import { formatNumber, formatSeconds } from '../../../src/core/format.js';
import { STUCK_PENDING } from '../sections.js';
import { parseTimestampMs, parseWorkerQueues, readPendingTotal, readQueues } from '../signals.js';
import { ageText, type CorvoRule } from './helpers.js';
import { THRESHOLDS } from './thresholds.js';

const n = formatNumber;

/** Slack truncates button text near 30 characters: keep the verb and the start of the queue name. */
export function resumeLabel(queue: string): string {
  const label = `Resume ${queue}`;
  return label.length <= 30 ? label : `${label.slice(0, 29)}…`;
}

export const stuckPendingRules: readonly CorvoRule[] = [
  {
    code: 'corvo.queues.paused',
    title: 'Queues paused',
    okTitle: 'No paused queue holds jobs',
    section: STUCK_PENDING,
    nextStep:
      'Paused queues hand out no jobs. If the pause was not deliberate, resume the queue (`corvo resume <queue>`). ' +
      'Other reasons for stuck pending jobs: `max_concurrency` too low (`POST /api/v1/queues/{name}/concurrency ' +
      '{"max":0}` removes it, as does `{"max":null}`), a throttle (`DELETE /api/v1/queues/{name}/throttle`).',
    evaluate(obs) {
      const queues = readQueues(obs);
      if (!queues) return null;
      const paused = queues.filter((q) => q.paused).sort((a, b) => b.pending - a.pending);
      const of = ` — of ${n(queues.length)} queue${queues.length === 1 ? '' : 's'}`;
      if (paused.length === 0) return { severity: 'ok', evidence: `none paused${of}` };
      const list = `paused: ${paused.map((q) => `${q.name} (${n(q.pending)} pending)`).join(', ')}${of}`;
      const waiting = paused.filter((q) => q.pending > 0);
      // A paused queue with nothing pending holds nothing up (and is usually deliberate): listed, not a warning.
      if (waiting.length === 0) return { severity: 'ok', evidence: `${list}; no job is waiting on a paused queue` };
      return {
        severity: 'warning',
        title:
          waiting.length === 1
            ? `Queue ${waiting[0]!.name} is paused with ${n(waiting[0]!.pending)} jobs pending`
            : `${waiting.length} paused queues hold pending jobs`,
        evidence: list,
        actions: waiting.map((q) => ({
          remediation: 'resume',
          label: resumeLabel(q.name),
          params: { queue: q.name },
          level: 'confirm' as const,
          destructive: false,
        })),
      };
    },
  },

  {
    code: 'corvo.workers.stale-heartbeat',
    title: 'Workers went silent',
    okTitle: 'Workers heartbeating',
    section: STUCK_PENDING,
    nextStep:
      'Check the silent worker processes (crashed, hung, or cut off from Corvo). Workers must stream from the ' +
      'leader: connected to a follower they get NOT_LEADER. `corvo_workers_active` counts heartbeats within the last ' +
      '5 minutes.',
    evaluate(obs, nowMs) {
      if (!obs.workers.ok) return null;
      const workers = obs.workers.value;
      const { workerHeartbeatStaleSeconds: liveLimit, workerGoneSeconds: goneLimit } = THRESHOLDS;
      const aged = workers
        .map((w) => {
          const at = parseTimestampMs(w.last_heartbeat);
          return { worker: w, age: at === undefined ? Infinity : Math.max(0, (nowMs - at) / 1000) };
        })
        .sort((a, b) => a.age - b.age);
      const live = aged.filter((a) => a.age <= liveLimit);
      const silent = aged.filter((a) => a.age > liveLimit && a.age <= goneLimit);
      const gone = aged.filter((a) => a.age > goneLimit);
      const pending = readPendingTotal(obs);
      const queues = readQueues(obs);

      // Queues with pending jobs (not paused) that no live worker subscribes to, when every live worker names its queues.
      const liveQueues = live.map((l) => parseWorkerQueues(l.worker.queues));
      const uncovered =
        queues && live.length > 0 && liveQueues.every((q) => q !== undefined)
          ? queues.filter((q) => q.pending > 0 && !q.paused && !liveQueues.some((lq) => lq!.includes(q.name)))
          : [];

      const list = (group: typeof aged) =>
        group
          .slice(0, 5)
          .map(
            (g) =>
              `${g.worker.id}${g.worker.hostname ? `@${g.worker.hostname}` : ''} ` +
              (Number.isFinite(g.age) ? ageText(g.age) : 'unreadable heartbeat'),
          )
          .join(', ') + (group.length > 5 ? ` and ${group.length - 5} more` : '');
      const head = `${n(live.length)} of ${n(workers.length)} workers heartbeated within ${formatSeconds(liveLimit)}`;
      const details =
        (silent.length > 0 ? `; silent: ${list(silent)}` : '') +
        (gone.length > 0 ? `; gone (no heartbeat for over ${formatSeconds(goneLimit)}): ${list(gone)}` : '');

      if (live.length === 0 && pending !== undefined && pending > 0) {
        return {
          severity: 'critical',
          title: 'No live worker while jobs are pending',
          evidence: `${head} while ${n(pending)} jobs are pending${details}`,
        };
      }
      if (uncovered.length > 0) {
        return {
          severity: 'warning',
          title: 'Queues with pending jobs and no live worker',
          evidence:
            `${head}; no live worker subscribes to ` +
            `${uncovered.map((q) => `${q.name} (${n(q.pending)} pending)`).join(', ')}${details}`,
        };
      }
      if (silent.length > 0) return { severity: 'warning', evidence: `${head}${details}` };
      return {
        severity: 'ok',
        evidence:
          workers.length === 0
            ? `no workers registered${pending !== undefined ? `, ${n(pending)} jobs pending` : ''}`
            : `${head}${details}`,
      };
    },
  },
];
