/** What the Corvo rules share: the rule type, per-raft-group merging, p99s and scheduler ages. */
import { histogramQuantile } from '../../../integrations/prometheus/histogram-quantile.js';
import { formatNumber, formatSeconds } from '../../../src/core/format.js';
import { worstSeverity, type Severity } from '../../../src/core/report.js';
import type { Rule } from '../../../src/core/rule.js';
import type { CorvoObservations } from '../observe.js';
import type { Leadership, RaftGroup } from '../signals.js';

export type { FindingDraft } from '../../../src/core/rule.js';

/**
 * One check of the Corvo runbook: a core {@link Rule} with its default semantics (next step, correction and actions
 * only on warning and critical). `O` is what it reads: the core observations, or a workflow's richer ones (active
 * jobs, runtime, the queue asked about).
 */
export type CorvoRule<O extends CorvoObservations = CorvoObservations> = Rule<O>;

/** One signal's verdict, for one raft group or the whole node. */
export interface Part {
  readonly severity: Severity;
  readonly text: string;
}

/**
 * Evaluates a signal per raft group and merges the parts into one draft: worst severity, and the evidence of the
 * groups that are not ok (or of every group when all are ok). Undefined when no group has the signal.
 */
export function perGroup(
  groups: readonly RaftGroup[] | undefined,
  partFor: (status: RaftGroup['status']) => Part | undefined,
): Part | undefined {
  if (!groups) return undefined;
  const parts: (Part & { label?: string })[] = [];
  for (const g of groups) {
    const part = partFor(g.status);
    if (part) parts.push({ ...part, label: g.label });
  }
  if (parts.length === 0) return undefined;
  const severity = worstSeverity(parts);
  const shown = severity === 'ok' ? parts : parts.filter((p) => p.severity !== 'ok');
  const hidden = parts.length - shown.length;
  const text =
    shown.map((p) => (p.label ? `${p.label}: ${p.text}` : p.text)).join('; ') +
    (hidden > 0 ? `; ${hidden} other group${hidden === 1 ? '' : 's'} ok` : '');
  return { severity, text };
}

const n = formatNumber;

export function leaderHint(lead: Leadership): string {
  const id = lead.leaderIds[0];
  if (!id) return 'the leader';
  return lead.leaderAddr ? `the leader ${id} (raft ${lead.leaderAddr})` : `the leader ${id}`;
}

export function p99Part(
  buckets: readonly { le: number; count: number }[] | undefined,
  limit: number,
  label: string,
): Part | undefined {
  if (!buckets) return undefined;
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total === 0) return { severity: 'ok', text: `no ${label} observed yet since process start` };
  const p99 = histogramQuantile(0.99, buckets);
  if (Number.isNaN(p99)) return undefined;
  // In the +Inf bucket PromQL answers the highest finite bound: the true p99 is at least that.
  const lastFinite = Math.max(...buckets.filter((b) => Number.isFinite(b.le)).map((b) => b.le));
  const atLeast = p99 >= lastFinite && buckets.some((b) => b.le === Infinity) ? '≥ ' : '';
  return {
    severity: p99 > limit ? 'warning' : 'ok',
    text: `${label} p99 ${atLeast}${formatSeconds(p99)} over ${n(total)} ops — threshold ${formatSeconds(limit)}`,
  };
}

export function ageText(seconds: number): string {
  return seconds < 1 ? 'just now' : `${formatSeconds(Math.round(seconds))} ago`;
}

/**
 * How long ago a scheduler op ran, from its `corvo_scheduler_last_*_seconds`. Corvo prints whole Unix seconds
 * (real-systems.md Corvo item 2): a run printed as second S happened within [S, S + 1), so its age lies between
 * `now − S − 1` and `now − S`. Rules judge `atLeast`, so the rounding alone never makes a healthy leader look late
 * (an idle leader with the 1 s interval shows 0.6–2.5 s by the raw subtraction).
 */
export interface SchedulerAge {
  readonly atLeast: number;
  readonly atMost: number;
}

/** One second: the granularity of Corvo's scheduler timestamps. */
export const SCHEDULER_GRANULARITY_SECONDS = 1;

export function schedulerAge(nowMs: number, lastSeconds: number): SchedulerAge {
  const atMost = Math.max(0, nowMs / 1000 - lastSeconds);
  return { atLeast: Math.max(0, atMost - SCHEDULER_GRANULARITY_SECONDS), atMost };
}

/** "0.2–1.2 s ago", "4 min 59 s ago": the range while it matters, one value when a second does not. */
export function schedulerAgeText(age: SchedulerAge): string {
  if (age.atMost >= 60) return `${formatSeconds(Math.round(age.atMost))} ago`;
  const r = (x: number): string => formatNumber(Math.round(x * 10) / 10);
  return `${r(age.atLeast)}–${r(age.atMost)} s ago`;
}

/** Shown with every scheduler-age evidence line: why the bot allows one more second than the raw subtraction. */
export const WHOLE_SECONDS_NOTE = 'Corvo reports whole seconds, so the bot allows 1 s for the rounding';
