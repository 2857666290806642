import type { CorvoClients } from '../../integrations/corvo/index.js';
import { formatNumber } from '../../src/core/format.js';
import type { Workflow } from '../../src/core/workflow.js';
import { observeCorvo, type CorvoObservations } from './observe.js';
import { diagnose } from './diagnose.js';
import { perGroup, type CorvoRule, type Part } from './rules/helpers.js';
import { reuseRule } from './rules/index.js';
import { SECTIONS } from './sections.js';
import { isMultiRaft, readMetric, readRaftGroups } from './signals.js';

const n = formatNumber;

export const APPLY_OVERLOAD_THRESHOLDS = {
  /**
   * Per-queue fetch rejections as a share of applied ops. A few are the semaphore doing its job (the fetch is
   * retried after 2–7 ms); one in 10,000 ops or more means fetches of one queue pile up.
   */
  fetchOverloadRatio: 1e-4,
} as const;

const LOG_LINE_CORRECTION =
  'The runbook lists "raft apply overloaded" under log messages to watch: it is the error clients receive (HTTP ' +
  '429 OVERLOADED "raft apply overloaded: pending queue is full", or "raft apply overloaded for fetch queue …" ' +
  "for the per-queue fetch limit), not a server log line. Grep the clients' and workers' logs, or watch " +
  '`corvo_raft_apply_overload_total`.';

/** Per-queue fetch semaphore rejections (`fetch_overload_total`) against the ops applied. Shared with slow-fetches. */
export const fetchOverloadRule: CorvoRule = {
  code: 'corvo.apply.fetch-overload',
  title: 'Fetches rejected by the per-queue fetch limit',
  okTitle: 'Per-queue fetch overloads rare',
  section: SECTIONS.applyOverloaded,
  nextStep:
    'Many workers fetch the same queue at once and fill its fetch semaphore (`apply_max_fetch_queue_inflight`, ' +
    'default 64); each rejection is a 429 OVERLOADED retried after 2–7 ms. Lowering `--raft-max-fetch-inflight` ' +
    "(the runbook's mitigation for apply pressure) caps fetch load on the apply queue but rejects more fetches; " +
    'fewer, batched fetches per queue help both.',
  evaluate(obs) {
    const ratio = APPLY_OVERLOAD_THRESHOLDS.fetchOverloadRatio;
    const part = (rejected: number, applied: number | undefined): Part => {
      const share = applied !== undefined && applied > 0 ? rejected / applied : undefined;
      const shareText = share !== undefined ? `, ${(share * 100).toFixed(3)} % of ${n(applied!)} applied ops` : '';
      return {
        severity: rejected > 0 && (share === undefined || share >= ratio) ? 'warning' : 'ok',
        text: `${n(rejected)} per-queue fetch rejections since process start${shareText} — warning from ${ratio * 100} %`,
      };
    };
    const fromStatus = perGroup(readRaftGroups(obs), (s) =>
      s.fetch_overload_total !== undefined ? part(s.fetch_overload_total, s.applied_total) : undefined,
    );
    const metric = readMetric(obs, 'corvo_raft_fetch_overload_total');
    const result =
      fromStatus ?? (metric !== undefined ? part(metric, readMetric(obs, 'corvo_raft_applied_total')) : undefined);
    return result ? { severity: result.severity, evidence: result.text } : null;
  },
};

/** The checks of "Apply Pipeline Overloaded", in report order. */
export const applyOverloadedRules: readonly CorvoRule[] = [
  reuseRule('corvo.apply.pressure'),
  { ...reuseRule('corvo.apply.overload'), runbookCorrection: LOG_LINE_CORRECTION },
  reuseRule('corvo.apply.queue-time-p99'),
  reuseRule('corvo.apply.fsm-time-p99'),
  fetchOverloadRule,
  reuseRule('corvo.metrics.invalid-exposition'),
];

/** The runbook's mitigations, with what this cluster runs now where the status says. */
function mitigationsNote(obs: CorvoObservations): string {
  const groups = readRaftGroups(obs);
  const first = groups?.[0]?.status;
  const shards = groups ? (isMultiRaft(obs) ? groups.length : 1) : undefined;
  const now = (value: string | number | undefined): string =>
    value === undefined || value === '' ? '' : `; now ${typeof value === 'number' ? n(value) : value}`;
  return (
    'Mitigations (flags on every node, restart needed; names and defaults as the runbook gives them): raise ' +
    `\`--raft-max-pending\` (default 16384${now(first?.apply_max_pending)}); \`--raft-shards N\` for write ` +
    `parallelism (default 1${now(shards)}; every node must use the same value); switch \`--raft-store\` (badger is ` +
    `usually fastest${now(first?.raft_store)}); lower \`--raft-max-fetch-inflight\` to limit per-queue fetch ` +
    'pressure. Causes to look for: too many concurrent writes for the hardware, a slow disk (especially with ' +
    '`--durable`), large Pebble compactions, one queue with many concurrent fetches.'
  );
}

const RETRY_AFTER_NOTE =
  'Clients must honour the retry hint, or they keep the queue full: HTTP 429 `{"code":"OVERLOADED",' +
  '"retry_after_ms":N}` with `Retry-After` in seconds; unary RPCs say `(retry_after_ms=N)` in the ' +
  'resource_exhausted message; stream frames carry `OVERLOADED: …`.';

export const applyOverloadedWorkflow: Workflow<CorvoClients> = {
  id: 'apply-overloaded',
  title: 'Corvo apply pipeline',
  description: 'Apply queue vs its max, 429 OVERLOADED counts, queue-time p99, fetch overloads, and the mitigations.',
  async run(ctx) {
    const obs = await observeCorvo(ctx.clients.corvo, ctx.signal, ['healthz', 'clusterStatus', 'metrics']);
    return diagnose(ctx, { obs, rules: applyOverloadedRules, notes: [mitigationsNote(obs), RETRY_AFTER_NOTE] });
  },
};
