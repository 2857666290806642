import type { ClusterStatus, CorvoClient, Healthz, QueueInfo, WorkerInfo } from '../../integrations/corvo/index.js';
import { parseExposition, type Exposition } from '../../integrations/prometheus/parse-exposition.js';
import type { Finding } from '../../src/core/report.js';
import { inconclusiveFinding, isTargetError } from '../../src/core/target-error.js';

/** What one probe got: the answer, or why there is none. Probes never throw. */
export type ProbeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

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

async function settle<T>(call: () => Promise<T>): Promise<ProbeResult<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error };
  }
}

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

/** Runs every probe in parallel against one Corvo node. Never throws: a failed probe is `{ ok: false, error }`. */
export async function observeCorvo(client: CorvoClient, signal: AbortSignal): Promise<CorvoObservations> {
  const [healthz, clusterStatus, metrics, queues, workers] = await Promise.all([
    probeHealthz(client, signal),
    probeClusterStatus(client, signal),
    probeMetrics(client, signal),
    probeQueues(client, signal),
    probeWorkers(client, signal),
  ]);
  return { healthz, clusterStatus, metrics, queues, workers };
}

/**
 * `/healthz` answering 503 `{"code":"UNHEALTHY"}` is a verdict, not a failed probe: the node answered that its
 * database is unavailable. The rule `corvo.health.unhealthy` reports it.
 */
export function isUnhealthyAnswer(error: unknown): boolean {
  return isTargetError(error) && error.code === 'UNHEALTHY';
}

function failedProbes(obs: CorvoObservations): { name: ProbeName; endpoint: string; what: string; error: unknown }[] {
  const failed = [];
  for (const probe of CORVO_PROBES) {
    const result = obs[probe.name];
    if (result.ok) continue;
    if (probe.name === 'healthz' && isUnhealthyAnswer(result.error)) continue;
    failed.push({ ...probe, error: result.error });
  }
  return failed;
}

/** True when no probe got an answer: the report then says so in one line instead of one per probe. */
export function isUnreachable(obs: CorvoObservations): boolean {
  return failedProbes(obs).length === CORVO_PROBES.length;
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
export function probeFailureFindings(obs: CorvoObservations, target: string): Finding[] {
  const failed = failedProbes(obs);
  if (failed.length === 0) return [];
  const first = failed[0]!;

  if (failed.length === CORVO_PROBES.length) {
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
