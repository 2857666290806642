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
import type { Finding } from '../../src/core/report.js';
import { inconclusiveFinding, isTargetError } from '../../src/core/target-error.js';
import { settle, type ProbeResult } from '../../src/core/probe.js';

export type { ProbeResult } from '../../src/core/probe.js';

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

/** The probes, in the order they are reported, with the endpoint each one reads. */
export const CORVO_PROBES: readonly { readonly name: ProbeName; readonly endpoint: string; readonly what: string }[] = [
  { name: 'healthz', endpoint: 'GET /healthz', what: 'health' },
  { name: 'clusterStatus', endpoint: 'GET /api/v1/cluster/status', what: 'cluster status' },
  { name: 'metrics', endpoint: 'GET /api/v1/metrics', what: 'metrics' },
  { name: 'queues', endpoint: 'GET /api/v1/queues', what: 'queues' },
  { name: 'workers', endpoint: 'GET /api/v1/workers', what: 'workers' },
];

export function probeHealthz(client: CorvoClient, signal: AbortSignal): Promise<ProbeResult<Healthz>> {
  return settle(() => client.healthz({ signal }));
}

export function probeClusterStatus(client: CorvoClient, signal: AbortSignal): Promise<ProbeResult<ClusterStatus>> {
  return settle(() => client.clusterStatus({ signal }));
}

/** Fetches and parses the exposition; the parser never throws, bad lines land in `problems`. */
export function probeMetrics(client: CorvoClient, signal: AbortSignal): Promise<ProbeResult<Exposition>> {
  return settle(async () => parseExposition(await client.metricsText({ signal })));
}

export function probeQueues(client: CorvoClient, signal: AbortSignal): Promise<ProbeResult<readonly QueueInfo[]>> {
  return settle(() => client.queues({ signal }));
}

export function probeWorkers(client: CorvoClient, signal: AbortSignal): Promise<ProbeResult<readonly WorkerInfo[]>> {
  return settle(() => client.workers({ signal }));
}

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

/** Why a probe has no answer when the workflow did not ask for it: not a failure, just nothing to read. */
export class ProbeSkipped {
  readonly reason = 'not probed by this workflow';
}

const SKIPPED: ProbeResult<never> = { ok: false, error: new ProbeSkipped() };

function isSkipped(result: ProbeResult<unknown>): boolean {
  return !result.ok && result.error instanceof ProbeSkipped;
}

/** Every core probe. */
export const ALL_PROBES: readonly ProbeName[] = CORVO_PROBES.map((p) => p.name);

/**
 * Runs the core probes in parallel against one Corvo node (all of them unless `only` names some; the others are
 * {@link ProbeSkipped}, which no rule reads and no finding reports). Never throws: a failed probe is
 * `{ ok: false, error }`.
 */
export async function observeCorvo(
  client: CorvoClient,
  signal: AbortSignal,
  only: readonly ProbeName[] = ALL_PROBES,
): Promise<CorvoObservations> {
  const run = <T>(name: ProbeName, probe: () => Promise<ProbeResult<T>>): Promise<ProbeResult<T>> =>
    only.includes(name) ? probe() : Promise.resolve(SKIPPED);
  const [healthz, clusterStatus, metrics, queues, workers] = await Promise.all([
    run('healthz', () => probeHealthz(client, signal)),
    run('clusterStatus', () => probeClusterStatus(client, signal)),
    run('metrics', () => probeMetrics(client, signal)),
    run('queues', () => probeQueues(client, signal)),
    run('workers', () => probeWorkers(client, signal)),
  ]);
  return { healthz, clusterStatus, metrics, queues, workers };
}

/** A workflow's own probe (runtime, active jobs), reported like the core ones when it fails. */
export interface ExtraProbe {
  /** camelCase; the finding code of its lone failure is `corvo.probe.<kebab-name>`. */
  readonly name: string;
  readonly endpoint: string;
  readonly what: string;
  readonly result: ProbeResult<unknown>;
}

/**
 * `/healthz` answering 503 `{"code":"UNHEALTHY"}` is a verdict, not a failed probe: the node answered that its
 * database is unavailable. The rule `corvo.health.unhealthy` reports it.
 */
export function isUnhealthyAnswer(error: unknown): boolean {
  return isTargetError(error) && error.code === 'UNHEALTHY';
}

interface FailedProbe {
  readonly name: string;
  readonly endpoint: string;
  readonly what: string;
  readonly error: unknown;
}

/** The probes that ran (core ones not skipped, then the extras), with their results. */
function probesRun(obs: CorvoObservations, extras: readonly ExtraProbe[]): ExtraProbe[] {
  return [
    ...CORVO_PROBES.map((p) => ({ ...p, result: obs[p.name] as ProbeResult<unknown> })).filter(
      (p) => !isSkipped(p.result),
    ),
    ...extras,
  ];
}

function failedProbes(obs: CorvoObservations, extras: readonly ExtraProbe[]): FailedProbe[] {
  const failed: FailedProbe[] = [];
  for (const probe of probesRun(obs, extras)) {
    const result = probe.result;
    if (result.ok) continue;
    if (probe.name === 'healthz' && isUnhealthyAnswer(result.error)) continue;
    failed.push({ name: probe.name, endpoint: probe.endpoint, what: probe.what, error: result.error });
  }
  return failed;
}

/**
 * True when no probe that ran got an answer (the extras included): the report then says so in one line instead
 * of one per probe.
 */
export function isUnreachable(obs: CorvoObservations, extras: readonly ExtraProbe[] = []): boolean {
  const ran = probesRun(obs, extras).length;
  return ran > 0 && failedProbes(obs, extras).length === ran;
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
 * The inconclusive findings for the probes that failed. Failures of the same kind are merged (one "API key
 * rejected" line rather than four), and when every probe failed there is exactly one finding, e.g.
 * "Corvo prod is unreachable" with the `/healthz` error as evidence.
 */
export function probeFailureFindings(
  obs: CorvoObservations,
  target: string,
  extras: readonly ExtraProbe[] = [],
): Finding[] {
  const failed = failedProbes(obs, extras);
  if (failed.length === 0) return [];
  const first = failed[0]!;

  if (isUnreachable(obs, extras)) {
    const kinds = new Set(failed.map((f) => errorKind(f.error)));
    const kind = kinds.size === 1 ? errorKind(first.error) : 'mixed';
    const title =
      kind === 'unreachable' || kind === 'timeout'
        ? `Corvo ${target} is unreachable`
        : kind === 'unauthorized'
          ? `Corvo ${target} rejected the bot's API key`
          : `Corvo ${target} could not be probed`;
    const finding = inconclusiveFinding('corvo.probe.unreachable', title, first.error, 'Health Check');
    return [{ ...finding, evidence: `${finding.evidence} (all ${failed.length} probes failed)` }];
  }

  const groups = new Map<string, typeof failed>();
  for (const f of failed) {
    const kind = errorKind(f.error);
    groups.set(kind, [...(groups.get(kind) ?? []), f]);
  }
  const findings: Finding[] = [];
  for (const [kind, members] of groups) {
    const lead = members[0]!;
    const what = members.map((m) => m.what).join(', ');
    const code = members.length === 1 ? `corvo.probe.${kebab(lead.name)}` : `corvo.probe.${kind}`;
    const section = members.every((m) => m.name === 'healthz') ? 'Health Check' : 'Key Diagnostic Endpoints';
    const finding = inconclusiveFinding(code, titleFor(kind, target, what), lead.error, section);
    const others = members.slice(1).map((m) => m.endpoint);
    findings.push(
      others.length === 0 ? finding : { ...finding, evidence: `${finding.evidence} (also ${others.join(', ')})` },
    );
  }
  return findings;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
