import type {
  ClusterStatus,
  CorvoClient,
  Healthz,
  Job,
  JobSummary,
  QueueInfo,
  Runtime,
  WorkerInfo,
} from '../../integrations/corvo/index.js';
import { parseExposition, type Exposition } from '../../integrations/prometheus/parse-exposition.js';
import {
  failedProbes,
  nothingAnswered,
  probeFailureFinding,
  probesRun,
  runProbes,
  settle,
  type FailedProbe,
  type ProbeResult,
  type ProbeTable,
  type RanProbe,
} from '../../src/core/probe.js';
import type { Finding } from '../../src/core/report.js';
import { isTargetError } from '../../src/core/target-error.js';
import { HEALTH_CHECK, KEY_ENDPOINTS } from './sections.js';

export { ProbeSkipped, type ProbeResult } from '../../src/core/probe.js';

/** Everything the health rules read, one probe per Corvo endpoint, taken at the same moment from one node. */
export interface CorvoObservations {
  /** `GET /healthz` (no auth). With `--raft-shards > 1` it describes shard 0 only. */
  readonly healthz: ProbeResult<Healthz>;
  /** `GET /api/v1/cluster/status`: one raft group, or `{ mode: 'multi-raft', groups }`. */
  readonly clusterStatus: ProbeResult<ClusterStatus>;
  /** `GET /api/v1/metrics`, parsed. Unparseable lines (multi-raft `<nil>`) are in `problems`. */
  readonly metrics: ProbeResult<Exposition>;
  /** `GET /api/v1/queues`. */
  readonly queues: ProbeResult<readonly QueueInfo[]>;
  /** `GET /api/v1/workers`. */
  readonly workers: ProbeResult<readonly WorkerInfo[]>;
}

export type ProbeName = keyof CorvoObservations;

/** The core probes, in the order they are reported, with the endpoint each one reads. */
export const CORVO_PROBES: ProbeTable<CorvoClient, CorvoObservations> = {
  healthz: { endpoint: 'GET /healthz', what: 'health', call: (client, signal) => client.healthz({ signal }) },
  clusterStatus: {
    endpoint: 'GET /api/v1/cluster/status',
    what: 'cluster status',
    call: (client, signal) => client.clusterStatus({ signal }),
  },
  metrics: {
    endpoint: 'GET /api/v1/metrics',
    what: 'metrics',
    // The parser never throws: bad lines land in `problems`.
    call: async (client, signal) => parseExposition(await client.metricsText({ signal })),
  },
  queues: { endpoint: 'GET /api/v1/queues', what: 'queues', call: (client, signal) => client.queues({ signal }) },
  workers: { endpoint: 'GET /api/v1/workers', what: 'workers', call: (client, signal) => client.workers({ signal }) },
};

/** `GET /api/v1/debug/runtime`: goroutines, heap, GC pauses, CPU time. */
export function probeRuntime(client: CorvoClient, signal: AbortSignal): Promise<ProbeResult<Runtime>> {
  return settle(() => client.runtime({ signal }));
}

/** One active job: its search row, and the full job (the only place that carries `lease_expires_at`). */
export interface ActiveJob {
  readonly summary: JobSummary;
  /** `GET /api/v1/jobs/{id}`; may fail on its own (the job finished between the search and the read: 404). */
  readonly detail: ProbeResult<Job>;
}

/** The longest-running active jobs, and how many are active in all. */
export interface ActiveJobs {
  /** `total` of the search: every active job, not only the ones read. */
  readonly total: number;
  readonly jobs: readonly ActiveJob[];
}

/** How many active jobs the bot reads one by one (one `GET /jobs/{id}` each). */
export const ACTIVE_JOBS_LIMIT = 20;

/**
 * Active jobs, oldest start first, each re-read with `GET /api/v1/jobs/{id}`: the search rows have no
 * `lease_expires_at` (reference/targets.md §1.3), so the runbook's jq on them prints null. Fails only when the
 * search fails; a failed per-job read is kept in that job's `detail`.
 */
export function probeActiveJobs(
  client: CorvoClient,
  signal: AbortSignal,
  limit: number = ACTIVE_JOBS_LIMIT,
): Promise<ProbeResult<ActiveJobs>> {
  return settle(async () => {
    const found = await client.searchJobs({ state: ['active'], limit, sort: 'started_at', order: 'asc' }, { signal });
    const rows = found.jobs.slice(0, limit);
    const details = await Promise.all(rows.map((row) => settle(() => client.getJob(row.id, { signal }))));
    return {
      total: Math.max(found.total, rows.length),
      jobs: rows.map((summary, i) => ({ summary, detail: details[i]! })),
    };
  });
}

/** Every core probe. */
export const ALL_PROBES: readonly ProbeName[] = Object.keys(CORVO_PROBES) as ProbeName[];

/**
 * Runs the core probes in parallel against one Corvo node (all of them unless `only` names some; the others are
 * skipped, which no rule reads and no finding reports). Never throws: a failed probe is `{ ok: false, error }`.
 */
export function observeCorvo(
  client: CorvoClient,
  signal: AbortSignal,
  only: readonly ProbeName[] = ALL_PROBES,
): Promise<CorvoObservations> {
  return runProbes(CORVO_PROBES, client, signal, only);
}

/** A workflow's own probe (runtime, active jobs), reported like the core ones when it fails. */
export type ExtraProbe = RanProbe;

/**
 * `/healthz` answering 503 `{"code":"UNHEALTHY"}` is a verdict, not a failed probe: the node answered that its
 * database is unavailable. The rule `corvo.health.unhealthy` reports it.
 */
export function isUnhealthyAnswer(error: unknown): boolean {
  return isTargetError(error) && error.code === 'UNHEALTHY';
}

/** {@link failedProbes}' `isAnswer` for Corvo: `/healthz` 503 UNHEALTHY is an answer. */
export function isCorvoAnswer(probe: RanProbe, error: unknown): boolean {
  return probe.name === 'healthz' && isUnhealthyAnswer(error);
}

/** The probes that ran (core ones not skipped, then the workflow's own), with their results. */
export function corvoProbesRun(obs: CorvoObservations, extras: readonly ExtraProbe[] = []): RanProbe[] {
  return probesRun(CORVO_PROBES, obs, extras);
}

/**
 * True when no probe that ran got an answer (the extras included): the report then says so in one line instead
 * of one per probe.
 */
export function isUnreachable(obs: CorvoObservations, extras: readonly ExtraProbe[] = []): boolean {
  const ran = corvoProbesRun(obs, extras);
  return nothingAnswered(ran, failedProbes(ran, isCorvoAnswer));
}

function errorKind(error: unknown): string {
  return isTargetError(error) ? error.kind : 'unexpected';
}

function titleFor(kind: string, target: string, what: string): string {
  switch (kind) {
    case 'timeout':
      return `Corvo ${target} did not answer in time (${what})`;
    case 'unreachable':
      return `Corvo ${target} is unreachable (${what})`;
    case 'unauthorized':
      return `Corvo ${target} rejected the bot's API key (${what})`;
    case 'forbidden':
      return `The bot's API key may not read ${what} on Corvo ${target}`;
    case 'rate-limited':
      return `Corvo ${target} is rate-limiting the bot (${what})`;
    default:
      return `Could not read Corvo ${target}'s ${what}`;
  }
}

/**
 * The inconclusive findings for the failed probes, worded for Corvo. Failures of the same kind are merged (one
 * "API key rejected" line rather than four), and when nothing answered (`allFailed`) there is exactly one finding,
 * e.g. "Corvo prod is unreachable" with the first error as evidence.
 */
export function corvoFailureFindings(failed: readonly FailedProbe[], allFailed: boolean, target: string): Finding[] {
  const first = failed[0];
  if (!first) return [];

  if (allFailed) {
    const kinds = new Set(failed.map((f) => errorKind(f.error)));
    const kind = kinds.size === 1 ? errorKind(first.error) : 'mixed';
    const title =
      kind === 'unreachable' || kind === 'timeout'
        ? `Corvo ${target} is unreachable`
        : kind === 'unauthorized'
          ? `Corvo ${target} rejected the bot's API key`
          : `Corvo ${target} could not be probed`;
    const finding = probeFailureFinding('corvo.probe.unreachable', title, first.error, HEALTH_CHECK);
    return [{ ...finding, evidence: `${finding.evidence} (all ${failed.length} probes failed)` }];
  }

  const groups = new Map<string, FailedProbe[]>();
  for (const f of failed) {
    const kind = errorKind(f.error);
    groups.set(kind, [...(groups.get(kind) ?? []), f]);
  }
  const findings: Finding[] = [];
  for (const [kind, members] of groups) {
    const lead = members[0]!;
    const what = members.map((m) => m.what).join(', ');
    const code = members.length === 1 ? `corvo.probe.${kebab(lead.name)}` : `corvo.probe.${kind}`;
    const section = members.every((m) => m.name === 'healthz') ? HEALTH_CHECK : KEY_ENDPOINTS;
    const finding = probeFailureFinding(code, titleFor(kind, target, what), lead.error, section);
    const others = members.slice(1).map((m) => m.endpoint);
    findings.push(
      others.length === 0 ? finding : { ...finding, evidence: `${finding.evidence} (also ${others.join(', ')})` },
    );
  }
  return findings;
}

/** {@link corvoFailureFindings} for the probes of these observations (and the workflow's own) that failed. */
export function probeFailureFindings(
  obs: CorvoObservations,
  target: string,
  extras: readonly ExtraProbe[] = [],
): Finding[] {
  const ran = corvoProbesRun(obs, extras);
  const failed = failedProbes(ran, isCorvoAnswer);
  return corvoFailureFindings(failed, nothingAnswered(ran, failed), target);
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
