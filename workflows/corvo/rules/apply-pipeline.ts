/** The runbook's "Critical Metrics to Monitor › Apply Pipeline Pressure": the Raft apply queue and its latencies. */
import { getHistogram } from '../../../integrations/prometheus/query.js';
import { formatNumber } from '../../../src/core/format.js';
import type { CorvoObservations } from '../observe.js';
import { APPLY } from '../sections.js';
import { isMultiRaft, percent, readMetric, readMetrics, readRaftGroups, statusHistogramBuckets } from '../signals.js';
import { p99Part, perGroup, type CorvoRule, type FindingDraft, type Part } from './helpers.js';
import { THRESHOLDS } from './thresholds.js';

const n = formatNumber;

function histogramRule(
  obs: CorvoObservations,
  family: string,
  statusField: 'queue_time_hist' | 'apply_time_hist',
  limit: number,
  label: string,
): FindingDraft | null {
  // Multi-raft drops the histograms from /metrics; the status has them per group.
  const expo = readMetrics(obs);
  const hist = expo && !isMultiRaft(obs) ? getHistogram(expo, family) : undefined;
  const part =
    (hist ? p99Part(hist.buckets, limit, label) : undefined) ??
    perGroup(readRaftGroups(obs), (s) => {
      const statusHist = s[statusField];
      // `{"count":0}` before the first observation: no buckets at all.
      if (statusHist?.count === 0) return p99Part([], limit, label);
      return p99Part(statusHistogramBuckets(statusHist), limit, label);
    });
  if (!part) return null;
  return {
    severity: part.severity,
    evidence: `${part.text} (cumulative since process start, from one scrape: a recent spike is diluted)`,
  };
}

export const applyPipelineRules: readonly CorvoRule[] = [
  {
    code: 'corvo.apply.pressure',
    title: 'Apply pipeline under pressure',
    okTitle: 'Apply queue depth normal',
    section: APPLY,
    nextStep:
      'Find what floods the apply queue: too many concurrent writes for the hardware, a slow disk (especially with ' +
      '`--durable`), large Pebble compactions, one queue with many concurrent fetches. Make sure workers honour ' +
      '`retry_after_ms`. Mitigations: raise `--raft-max-pending` (default 16384), `--raft-shards N` for write ' +
      'parallelism, another `--raft-store` (badger is usually fastest), lower `--raft-max-fetch-inflight`.',
    evaluate(obs) {
      const part = (pending: number, max: number | undefined): Part => {
        const severity =
          max !== undefined && max > 0 && pending >= max * THRESHOLDS.applyPendingCriticalRatio
            ? 'critical'
            : pending >= THRESHOLDS.applyPendingWarn
              ? 'warning'
              : 'ok';
        const of = max !== undefined ? ` / ${n(max)}` : '';
        const crit =
          severity === 'critical' && max !== undefined
            ? `; ${percent(pending, max)} of max, critical from ${THRESHOLDS.applyPendingCriticalRatio * 100} %`
            : '';
        return {
          severity,
          text: `apply queue ${n(pending)}${of} pending — normal is < ${n(THRESHOLDS.applyPendingWarn)}${crit}`,
        };
      };
      const fromStatus = perGroup(readRaftGroups(obs), (s) =>
        s.apply_pending_now !== undefined ? part(s.apply_pending_now, s.apply_max_pending) : undefined,
      );
      const pending = readMetric(obs, 'corvo_raft_apply_pending');
      const result =
        fromStatus ??
        (pending !== undefined ? part(pending, readMetric(obs, 'corvo_raft_apply_max_pending')) : undefined);
      return result ? { severity: result.severity, evidence: result.text } : null;
    },
  },

  {
    code: 'corvo.apply.overload',
    title: 'Apply queue rejected writes (429 OVERLOADED)',
    okTitle: 'No apply-queue overloads',
    section: APPLY,
    nextStep:
      'Clients got 429 OVERLOADED ("raft apply overloaded: pending queue is full"). The counter is since process ' +
      'start: run the check again to see whether it is still increasing. If it is, follow the apply-pressure ' +
      'mitigations: workers must honour `retry_after_ms`; raise `--raft-max-pending`, use `--raft-shards N`, reduce ' +
      '`--raft-max-fetch-inflight`; look for slow disk or Pebble compactions.',
    evaluate(obs) {
      const part = (overloads: number, fetchOverloads: number | undefined): Part => ({
        severity: overloads > 0 ? 'warning' : 'ok',
        text:
          `${n(overloads)} apply-queue-full rejections since process start — should be 0` +
          (fetchOverloads !== undefined ? ` (per-queue fetch overloads: ${n(fetchOverloads)})` : ''),
      });
      const fromStatus = perGroup(readRaftGroups(obs), (s) =>
        s.overload_total !== undefined ? part(s.overload_total, s.fetch_overload_total) : undefined,
      );
      const metric = readMetric(obs, 'corvo_raft_apply_overload_total');
      const result =
        fromStatus ??
        (metric !== undefined ? part(metric, readMetric(obs, 'corvo_raft_fetch_overload_total')) : undefined);
      return result ? { severity: result.severity, evidence: result.text } : null;
    },
  },

  {
    code: 'corvo.apply.queue-time-p99',
    title: 'Writes wait too long in the apply queue',
    okTitle: 'Apply queue wait time normal',
    section: APPLY,
    nextStep:
      'Ops wait for Raft before they are applied: check disk latency (`--durable`), Pebble compactions and the FSM ' +
      'apply time (`corvo_raft_apply_time_seconds`). The value is cumulative since process start: for the current ' +
      'p99 use `histogram_quantile(0.99, rate(corvo_raft_queue_time_seconds_bucket[5m]))` in Prometheus.',
    evaluate: (obs) =>
      histogramRule(
        obs,
        'corvo_raft_queue_time_seconds',
        'queue_time_hist',
        THRESHOLDS.queueTimeP99Seconds,
        'apply queue-time',
      ),
  },

  {
    code: 'corvo.apply.fsm-time-p99',
    title: 'FSM apply is slow',
    okTitle: 'FSM apply time normal',
    section: APPLY,
    nextStep:
      'The runbook gives no threshold for `corvo_raft_apply_time_seconds`; the bot uses the 50 ms queue-time budget, ' +
      'since slow applies back up the apply queue. Look at disk latency and Pebble compactions on this node, and ' +
      'profile it (`/debug/pprof/profile?seconds=30`).',
    evaluate: (obs) =>
      histogramRule(
        obs,
        'corvo_raft_apply_time_seconds',
        'apply_time_hist',
        THRESHOLDS.applyTimeP99Seconds,
        'FSM apply',
      ),
  },
];
