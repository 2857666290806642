import type { ApiHealth, PoolStats, TryItNowClients } from '../../integrations/tryitnow/index.js';
import { histogramQuantile } from '../../integrations/prometheus/histogram-quantile.js';
import { parseExposition, type Exposition } from '../../integrations/prometheus/parse-exposition.js';
import { findSamples, getHistogram, getValue, type HistogramBuckets } from '../../integrations/prometheus/query.js';
import { diagnoseProbes } from '../../src/core/diagnose.js';
import { formatNumber, formatSeconds } from '../../src/core/format.js';
import { probesRun, runProbes, type ProbeResult } from '../../src/core/probe.js';
import { countsText } from '../../src/core/report.js';
import type { FindingDraft, Rule } from '../../src/core/rule.js';
import { isTargetError } from '../../src/core/target-error.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { CORRECTION, SECTION } from './corrections.js';
import { percent, plural } from './format.js';
import { probeFailures, valueOf, type TryItNowProbes } from './probes.js';

/** What the pool rules read: the API's pool stats and its `/metrics`, taken together. */
export interface PoolObservations {
  /** `GET /api/v1/pool/stats`. */
  readonly stats: ProbeResult<PoolStats>;
  /** `GET /metrics` (needs the API key), parsed. */
  readonly metrics: ProbeResult<Exposition>;
  /** `GET /health`: a 503 "store unavailable" means the gauges are frozen. */
  readonly health?: ProbeResult<ApiHealth & { readonly httpStatus: number }>;
}

/**
 * The probes, run in parallel. Each call is bounded by the target's `timeoutMs`: with Valkey down, the real
 * `/api/v1/pool/stats` never answers (it has no request timeout), so the bot gives up and says why instead of
 * waiting. A failed `/health` is left to the pool rule (it only explains a failed stats read).
 */
export const poolProbes: TryItNowProbes<PoolObservations> = {
  stats: {
    endpoint: 'GET /api/v1/pool/stats',
    what: 'The pool stats (GET /api/v1/pool/stats)',
    failure: { code: 'tryitnow.probe.pool-stats', section: SECTION.notReplenishing },
    call: (clients, signal) => clients.api.poolStats({ signal }),
  },
  metrics: {
    endpoint: 'GET /metrics',
    what: 'The metrics (GET /metrics)',
    failure: {
      code: 'tryitnow.probe.metrics',
      section: SECTION.keyMetrics,
      unauthorizedCorrection: CORRECTION.metricsAuth,
    },
    call: async (clients, signal) => parseExposition(await clients.api.metricsText({ signal })),
  },
  health: {
    endpoint: 'GET /health',
    what: 'The Try It Now API',
    call: (clients, signal) => clients.api.health({ signal }),
  },
};

/**
 * Thresholds. The runbook's "Alerting Thresholds" table gives the pool and failure ones; the minimum sample and the
 * absence of a provision-duration threshold are the bot's own and are printed in the evidence.
 */
export const POOL_THRESHOLDS = {
  /** Runbook: pool ready count "< 50 % of target" warning, "< 20 % of target" critical. */
  readyWarnRatio: 0.5,
  readyCriticalRatio: 0.2,
  /** Runbook: provision failures "> 10 % rate" warning, "> 25 % rate" critical. */
  failureWarnRatio: 0.1,
  failureCriticalRatio: 0.25,
  /** Below this many provisions a failure share is at most a warning (2 of 3 failing is not yet a trend). */
  failureMinSample: 20,
  /** Runbook: CRIU restore time "> 5s" warning, "> 10s" critical. */
  criuWarnSeconds: 5,
  criuCriticalSeconds: 10,
  /** The top finite bucket of `demo_criu_restore_duration_seconds`. */
  criuTopBucketSeconds: 2,
} as const;

const n = formatNumber;

/** Pool counts from `/api/v1/pool/stats`: the only current reading. */
export function readPool(obs: PoolObservations): (PoolStats & { source: string }) | undefined {
  const stats = valueOf(obs.stats);
  return stats ? { ...stats, source: '/api/v1/pool/stats' } : undefined;
}

/**
 * The `demo_pool_*` gauges. They are set every 5 s from the same Valkey reads as the stats, and keep their last
 * values when those block (`reference/real-systems.md`, Try It Now item 4): without the stats they are the last
 * known pool, never the current one.
 */
function readGauges(obs: PoolObservations): { ready: number; target: number } | undefined {
  const expo = valueOf(obs.metrics);
  if (!expo) return undefined;
  const ready = getValue(expo, 'demo_pool_ready_instances');
  const target = getValue(expo, 'demo_pool_target_size');
  return ready === undefined || target === undefined ? undefined : { ready, target };
}

/** The pool finding when `/api/v1/pool/stats` did not answer: never the gauges as if they were current. */
function staleGauges(obs: PoolObservations): FindingDraft | null {
  if (obs.stats.ok) return null;
  const g = readGauges(obs);
  const gaugeText = g
    ? `the demo_pool_* gauges still read ready ${n(g.ready)} of ${n(g.target)}, but they are set from the same ` +
      'Valkey reads and stay frozen at their last values when those block, so they are not the pool now'
    : 'the demo_pool_* gauges were not read either';
  const statsWhy = isTargetError(obs.stats.error) ? obs.stats.error.message : 'no answer';
  const h = obs.health && valueOf(obs.health);
  if (h && h.httpStatus === 503) {
    return {
      severity: 'critical',
      title: 'Pool level unknown: the Try It Now API cannot reach its store (Valkey)',
      evidence:
        `GET /health → 503 {"status":"${h.status}","error":"${h.error ?? ''}"}; /api/v1/pool/stats: ${statsWhy}; ` +
        gaugeText,
      nextStep:
        "Bring Valkey back (the server's VALKEY_ADDR; `valkey-cli -h <host> ping`). Until then nothing can be " +
        'acquired (acquire answers 500 RATE_LIMIT_ERROR) and `/api/v1/pool/stats` hangs: the server has no request ' +
        'timeout, so the bot gives up after its own.',
    };
  }
  if (!g) return null; // the failed probes are reported on their own
  return {
    severity: 'inconclusive',
    title: 'Pool level unknown: the pool stats did not answer',
    evidence: `/api/v1/pool/stats: ${statsWhy}; ${gaugeText}`,
    nextStep:
      'Run `/tryitnow health`: a 503 from /health means the API lost Valkey (the stats hang and the gauges freeze).',
  };
}

const poolReady: Rule<PoolObservations> = {
  code: 'tryitnow.pool.ready',
  title: 'Warm pool below target',
  okTitle: 'Warm pool at target',
  section: SECTION.thresholds,
  nextStep:
    'Pool Not Replenishing, corrected: the replenisher runs in-process every POOL_REPLENISH_INTERVAL (default 10 s), ' +
    "not through NATS, so the queue stays empty whatever happens. Check the replenisher's log lines (`journalctl -u " +
    'try-it-now | grep -E "Failed to provision instance|Replenishment check failed|Initial replenishment failed"`), ' +
    'the container runtime (`docker ps` / `podman ps`), free ports (`/tryitnow state`: key `ports:available`), and ' +
    '`/tryitnow pool` provision failures; raise POOL_TARGET_SIZE if demand simply outruns it.',
  runbookCorrection: `${CORRECTION.metricNames} ${CORRECTION.provisionLogs}`,
  evaluate(obs) {
    const p = readPool(obs);
    if (!p) return staleGauges(obs);
    const t = POOL_THRESHOLDS;
    // "warming" is left out: the server never writes state:warming, so it is always 0 (real-systems.md item 2).
    const rest = `assigned ${n(p.assigned)}, capacity ${n(p.capacity)} (from ${p.source}; "warming" is not measured)`;
    if (p.target <= 0) return { severity: 'ok', evidence: `ready ${n(p.ready)}, target ${n(p.target)}; ${rest}` };
    const ratio = p.ready / p.target;
    const severity = ratio < t.readyCriticalRatio ? 'critical' : ratio < t.readyWarnRatio ? 'warning' : 'ok';
    const full = p.capacity > 0 && p.ready + p.assigned >= p.capacity;
    const above =
      p.ready > p.target
        ? `; ${n(p.ready - p.target)} above the target — not a fault: tasks published on PROVISIONING.provision are ` +
          'provisioned whatever the target and capacity (the in-process replenisher stops at the target)'
        : '';
    return {
      severity,
      title: p.ready > p.target ? 'Warm pool above target' : undefined,
      evidence:
        `ready ${n(p.ready)} of target ${n(p.target)} (${percent(p.ready, p.target)}) — warning below ` +
        `${t.readyWarnRatio * 100} %, critical below ${t.readyCriticalRatio * 100} %; ${rest}${above}` +
        (full && severity !== 'ok'
          ? '; the pool is at capacity (POOL_MAX_SIZE), so it cannot grow until demos are released'
          : ''),
    };
  },
};

/** `demo_provisions_total` summed per method into success and failure counts, sorted by method. */
function provisionCounts(expo: Exposition): { method: string; success: number; failure: number }[] {
  const byMethod = new Map<string, { success: number; failure: number }>();
  for (const s of findSamples(expo, 'demo_provisions_total')) {
    const method = s.labels.method ?? '(none)';
    const entry = byMethod.get(method) ?? { success: 0, failure: 0 };
    if (s.labels.result === 'failure') entry.failure += s.value;
    else if (s.labels.result === 'success') entry.success += s.value;
    byMethod.set(method, entry);
  }
  return [...byMethod].map(([method, c]) => ({ method, ...c })).sort((a, b) => a.method.localeCompare(b.method));
}

const provisionFailures: Rule<PoolObservations> = {
  code: 'tryitnow.pool.provision-failures',
  title: 'Provisions failing',
  okTitle: 'Provision failure rate normal',
  section: SECTION.thresholds,
  nextStep:
    'Read the cause in the log: `journalctl -u try-it-now | grep -E "Failed to provision instance|Replenishment ' +
    'check failed|Initial replenishment failed|Provision task failed"`. A failed CRIU restore falls back to a ' +
    'cold start, so criu_restore failures alone point at the checkpoint (CONTAINER_CHECKPOINT_PATH, CRIU on the ' +
    'host); cold_start failures at the runtime, image, database or ports (`/tryitnow state`).',
  runbookCorrection: `${CORRECTION.provisionLabel} ${CORRECTION.provisionLogs} ${CORRECTION.checkpointPath}`,
  evaluate(obs) {
    const expo = valueOf(obs.metrics);
    if (!expo) return null;
    const counts = provisionCounts(expo);
    const failures = counts.reduce((s, c) => s + c.failure, 0);
    const total = counts.reduce((s, c) => s + c.failure + c.success, 0);
    if (total === 0) {
      return {
        severity: 'ok',
        title: 'No provision recorded yet',
        evidence: 'demo_provisions_total has no series since the server started (client_golang omits an empty *Vec)',
      };
    }
    const t = POOL_THRESHOLDS;
    const ratio = failures / total;
    let severity: FindingDraft['severity'] =
      ratio > t.failureCriticalRatio ? 'critical' : ratio > t.failureWarnRatio ? 'warning' : 'ok';
    const small = severity === 'critical' && total < t.failureMinSample;
    if (small) severity = 'warning';
    const perMethod = counts.map((c) => `${c.method} ${n(c.failure)}/${n(c.failure + c.success)} failed`).join(', ');
    return {
      severity,
      evidence:
        `${n(failures)} of ${plural(total, 'provision')} failed since the server started (${percent(failures, total)}) — ` +
        `warning above ${t.failureWarnRatio * 100} %, critical above ${t.failureCriticalRatio * 100} %; ${perMethod}` +
        (small ? `; only ${n(total)} provisions so far, too few to call it critical` : ''),
    };
  },
};

/** p95 of a histogram as text: `4.6 s`, or `≥ 600 s` when it falls in +Inf. Undefined without observations. */
function p95Text(
  h: HistogramBuckets | undefined,
): { seconds: number; text: string; count: number; overflow: boolean } | undefined {
  if (!h) return undefined;
  const count = h.buckets[h.buckets.length - 1]?.count ?? 0;
  if (count === 0) return undefined;
  const q = histogramQuantile(0.95, h.buckets);
  if (Number.isNaN(q)) return undefined;
  const top = Math.max(...h.buckets.filter((b) => Number.isFinite(b.le)).map((b) => b.le));
  const overflow = q >= top && h.buckets.some((b) => b.le === Infinity);
  return { seconds: q, text: `${overflow ? '≥ ' : ''}${formatSeconds(q)}`, count, overflow };
}

const provisionDuration: Rule<PoolObservations> = {
  code: 'tryitnow.pool.provision-duration',
  title: 'Provisions take longer than the histogram measures',
  okTitle: 'Provision duration',
  section: SECTION.keyMetrics,
  nextStep:
    'High Acquire Latency: a slow provision only hurts while the pool is empty; raise POOL_TARGET_SIZE or lower ' +
    'POOL_REPLENISH_THRESHOLD, and make sure CRIU restores (not cold starts) do the provisioning.',
  runbookCorrection:
    "The runbook's `provision_duration_seconds` / `try_it_now_provision_duration_seconds` is " +
    '`demo_provision_duration_seconds{method}` (buckets 1 … 600 s). The runbook sets no threshold for it.',
  evaluate(obs) {
    const expo = valueOf(obs.metrics);
    if (!expo) return null;
    const all = p95Text(getHistogram(expo, 'demo_provision_duration_seconds'));
    if (!all) {
      return {
        severity: 'ok',
        title: 'No provision timed yet',
        evidence: 'demo_provision_duration_seconds has no observation yet',
      };
    }
    const methods = [
      ...new Set(findSamples(expo, 'demo_provision_duration_seconds_count').map((s) => s.labels.method ?? '')),
    ]
      .filter((m) => m !== '')
      .sort();
    const per = methods
      .map((m) => ({ m, p: p95Text(getHistogram(expo, 'demo_provision_duration_seconds', { method: m })) }))
      .filter((x) => x.p)
      .map((x) => `${x.m} p95 ${x.p?.text} (${n(x.p?.count ?? 0)})`)
      .join(', ');
    return {
      severity: all.overflow ? 'warning' : 'ok',
      title: all.overflow ? undefined : `Provision p95 ${all.text}`,
      evidence: `p95 ${all.text} over ${plural(all.count, 'provision')}${per ? ` — ${per}` : ''}; the runbook sets no threshold`,
    };
  },
};

const criuRestore: Rule<PoolObservations> = {
  code: 'tryitnow.pool.criu-restore',
  title: 'CRIU restores slow',
  okTitle: 'CRIU restore time normal',
  section: SECTION.thresholds,
  nextStep:
    'Slow restores point at the checkpoint (size, storage under CONTAINER_CHECKPOINT_PATH) or host I/O. Recreate ' +
    'the checkpoint on staging (runbook: Updating Checkpoints) and compare; watch cold_start share in ' +
    '`demo_provisions_total` — CRIU failures fall back to cold starts.',
  runbookCorrection: CORRECTION.criuBuckets,
  correctionWhen: 'always',
  evaluate(obs) {
    const expo = valueOf(obs.metrics);
    if (!expo) return null;
    const t = POOL_THRESHOLDS;
    const h = getHistogram(expo, 'demo_criu_restore_duration_seconds');
    const count = h?.buckets[h.buckets.length - 1]?.count ?? 0;
    if (!h || count === 0) {
      return {
        severity: 'ok',
        title: 'No CRIU restore observed yet',
        evidence: 'demo_criu_restore_duration_seconds has no observation since the server started',
      };
    }
    const p95 = p95Text(h);
    const atTop = h.buckets.find((b) => b.le === t.criuTopBucketSeconds)?.count ?? count;
    const over = count - atTop;
    // Above the 2 s bucket only `_sum` still measures: a mean above a threshold means restores really are that slow.
    const mean = h.sum !== undefined ? h.sum / count : undefined;
    let severity: FindingDraft['severity'] = 'ok';
    let title: string | undefined;
    if (mean !== undefined && mean > t.criuWarnSeconds) {
      severity = mean > t.criuCriticalSeconds ? 'critical' : 'warning';
      title = `CRIU restores take ${formatSeconds(mean)} on average`;
    } else if (p95?.overflow) {
      severity = 'warning';
      title = `CRIU restore p95 above ${t.criuTopBucketSeconds} s (whether above ${t.criuWarnSeconds} s cannot be read)`;
    }
    const meanText = mean !== undefined ? `, mean ${formatSeconds(mean)}` : '';
    const overText =
      over > 0 ? `; ${n(over)} of ${n(count)} took longer than ${t.criuTopBucketSeconds} s (the top bucket)` : '';
    return {
      severity,
      title,
      evidence:
        `p95 ${p95?.text ?? '?'}${meanText} over ${plural(count, 'restore')}${overText} — runbook: warning above ` +
        `${t.criuWarnSeconds} s, critical above ${t.criuCriticalSeconds} s`,
    };
  },
};

/** The pool checks of "Alerting Thresholds" and "Key Metrics", in report order. */
export const poolRules: readonly Rule<PoolObservations>[] = [
  poolReady,
  provisionFailures,
  provisionDuration,
  criuRestore,
];

/** `/tryitnow pool`: the pool level against its target, provision failures, provision and CRIU restore times. */
export async function runPool(ctx: WorkflowContext<TryItNowClients>): Promise<WorkflowResult> {
  const obs = await runProbes<TryItNowClients, PoolObservations>(poolProbes, ctx.clients, ctx.signal);
  const { findings } = diagnoseProbes({
    obs,
    ran: probesRun(poolProbes, obs),
    rules: poolRules,
    nowMs: ctx.clock.now(),
    failureFindings: probeFailures(poolProbes, ctx.target),
  });
  const p = readPool(obs);
  const head = p ? `Pool ${n(p.ready)}/${n(p.target)} ready` : 'Pool level unknown';
  const notes = [
    `Runbook metric names are wrong: ${CORRECTION.metricNames}`,
    CORRECTION.warming,
    'Counters are read from one scrape: shares are since the Try It Now server started, not over a recent window.',
  ];
  const expo = valueOf(obs.metrics);
  if (expo && expo.problems.length > 0)
    notes.push(`${plural(expo.problems.length, 'line')} of /metrics could not be parsed.`);
  return { findings, summary: `${head}; ${countsText(findings)}`, notes };
}

export const poolWorkflow: Workflow<TryItNowClients> = {
  id: 'pool',
  title: 'Try It Now pool',
  description: 'Checks the warm pool against its target, provision failures, provision and CRIU restore times.',
  run: runPool,
};
