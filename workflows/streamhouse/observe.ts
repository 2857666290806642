import type { StreamhouseClients } from '../../integrations/streamhouse/index.js';
import type { AgentRow, LeaderChangeRow, LeaseList } from '../../integrations/streamhouse/metadata-store.js';
import { PROMQL } from '../../integrations/streamhouse/metric-names.js';
import type { Agent, Health, Readiness, SchemaVersion } from '../../integrations/streamhouse/schemas.js';
import { parseExposition } from '../../integrations/prometheus/parse-exposition.js';
import type { Clock } from '../../src/core/clock.js';
import { isTargetError } from '../../src/core/target-error.js';
import { ratesFromPrometheus, ratesFromScrapes, type RateSignals } from './signals.js';
import { settle, type ProbeResult } from '../../src/core/probe.js';

/** Probes come from the core; this system's workflows import them from here. */
export { settle, type ProbeResult } from '../../src/core/probe.js';

/** Waits `ms`, or rejects when `signal` aborts. Injected in tests (with a clock that moves). */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** How the health workflow samples `/metrics` when no Prometheus is configured. */
export interface SampleOptions {
  /** Time between the two scrapes, ms. Default 5000. */
  readonly windowMs: number;
  readonly sleep: Sleep;
}

export const DEFAULT_SAMPLE: SampleOptions = { windowMs: 5000, sleep: realSleep };

// ---------------------------------------------------------------------------------------------------------------
// Health.

export interface HealthObservations {
  /** `GET /health`. */
  readonly health: ProbeResult<Health>;
  /** `GET /ready` (503 is an answer: `{ ready: false }`). */
  readonly ready: ProbeResult<Readiness>;
  /** `GET /admin/agents` (needs an admin key when auth is on). */
  readonly agents: ProbeResult<readonly Agent[]>;
  /** `agents` rows of the metadata store, with lease counts: the authority on heartbeats. */
  readonly dbAgents: ProbeResult<readonly AgentRow[]>;
  /** `partition_leases` of the metadata store. */
  readonly leases: ProbeResult<LeaseList>;
  /** Rates: Prometheus when configured (and answering), else two scrapes of `/metrics`. */
  readonly rates: ProbeResult<RateSignals>;
  /** Set when Prometheus was configured but failed, and the rates fell back to scraping. */
  readonly prometheusError?: unknown;
}

async function prometheusRates(clients: StreamhouseClients, signal: AbortSignal): Promise<RateSignals> {
  const q = (query: string) => clients.streamhouse.prometheusQuery(query, { signal });
  const [producerErrorRates, producerRecordRate, s3ErrorRates, s3RequestRate, s3LatencyP99, consumerLag] =
    await Promise.all([
      q(PROMQL.producerErrorRates),
      q(PROMQL.producerRecordRate),
      q(PROMQL.s3ErrorRates),
      q(PROMQL.s3RequestRate),
      q(PROMQL.s3LatencyP99),
      q(PROMQL.consumerLag),
    ]);
  return ratesFromPrometheus({
    producerErrorRates,
    producerRecordRate,
    s3ErrorRates,
    s3RequestRate,
    s3LatencyP99,
    consumerLag,
  });
}

/** Two scrapes `windowMs` apart; the elapsed time is measured with the injected clock. */
async function scrapeRates(
  clients: StreamhouseClients,
  clock: Clock,
  signal: AbortSignal,
  sample: SampleOptions,
): Promise<RateSignals> {
  const firstText = await clients.streamhouse.metricsText({ signal });
  const t1 = clock.now();
  await sample.sleep(sample.windowMs, signal);
  const secondText = await clients.streamhouse.metricsText({ signal });
  const elapsed = (clock.now() - t1) / 1000;
  return ratesFromScrapes(
    parseExposition(firstText),
    parseExposition(secondText),
    elapsed > 0 ? elapsed : sample.windowMs / 1000,
  );
}

/** Every health probe, in parallel; the metrics sample is the slow one. Never throws. */
export async function observeHealth(
  clients: StreamhouseClients,
  clock: Clock,
  signal: AbortSignal,
  sample: SampleOptions,
): Promise<HealthObservations> {
  const rates = async (): Promise<{ rates: ProbeResult<RateSignals>; prometheusError?: unknown }> => {
    if (clients.streamhouse.hasPrometheus) {
      const viaPrometheus = await settle(() => prometheusRates(clients, signal));
      if (viaPrometheus.ok) return { rates: viaPrometheus };
      return {
        rates: await settle(() => scrapeRates(clients, clock, signal, sample)),
        prometheusError: viaPrometheus.error,
      };
    }
    return { rates: await settle(() => scrapeRates(clients, clock, signal, sample)) };
  };
  const [health, ready, agents, dbAgents, leases, sampled] = await Promise.all([
    settle(() => clients.streamhouse.health({ signal })),
    settle(() => clients.streamhouse.ready({ signal })),
    settle(() => clients.streamhouse.agents({ signal })),
    settle(() => clients.metadata.agents({ signal })),
    settle(() => clients.metadata.leases({ signal })),
    rates(),
  ]);
  return { health, ready, agents, dbAgents, leases, ...sampled };
}

// ---------------------------------------------------------------------------------------------------------------
// Leases.

/** How far back "recent" leader changes go. */
export const LEADER_CHANGE_WINDOW_MS = 60 * 60_000;

export interface LeaseObservations {
  readonly topic?: string;
  readonly leases: ProbeResult<LeaseList>;
  readonly agents: ProbeResult<readonly AgentRow[]>;
  readonly leaderChanges: ProbeResult<readonly LeaderChangeRow[]>;
}

export async function observeLeases(
  clients: StreamhouseClients,
  nowMs: number,
  signal: AbortSignal,
  topic: string | undefined,
): Promise<LeaseObservations> {
  const [leases, agents, leaderChanges] = await Promise.all([
    settle(() => clients.metadata.leases({ topic, signal })),
    settle(() => clients.metadata.agents({ signal })),
    settle(() =>
      clients.metadata.leaderChanges({ sinceMs: nowMs - LEADER_CHANGE_WINDOW_MS, topic, limit: 200, signal }),
    ),
  ]);
  return { topic, leases, agents, leaderChanges };
}

// ---------------------------------------------------------------------------------------------------------------
// Schemas.

/** At most this many subjects are read in detail (three requests each). */
export const MAX_SUBJECTS = 25;

export interface SubjectObservation {
  readonly subject: string;
  readonly versions: ProbeResult<readonly number[]>;
  readonly latest: ProbeResult<SchemaVersion>;
  /** Undefined inside `ok`: the subject has no level of its own (the global one applies). */
  readonly compatibility: ProbeResult<string | undefined>;
}

export interface SchemaObservations {
  /** The subject asked about, if any. */
  readonly subject?: string;
  readonly subjects: ProbeResult<readonly string[]>;
  readonly globalCompatibility: ProbeResult<string>;
  /** The subjects read in detail (at most {@link MAX_SUBJECTS}). */
  readonly details: readonly SubjectObservation[];
}

export async function observeSchemas(
  clients: StreamhouseClients,
  signal: AbortSignal,
  subject: string | undefined,
): Promise<SchemaObservations> {
  const sh = clients.streamhouse;
  const [subjects, globalCompatibility] = await Promise.all([
    settle(() => sh.subjects({ signal })),
    settle(() => sh.globalCompatibility({ signal })),
  ]);
  const names = subject !== undefined ? [subject] : subjects.ok ? subjects.value.slice(0, MAX_SUBJECTS) : [];
  const details = await Promise.all(
    names.map(async (name) => {
      const [versions, latest, compatibility] = await Promise.all([
        settle(() => sh.subjectVersions(name, { signal })),
        settle(() => sh.schemaVersion(name, 'latest', { signal })),
        settle(() => sh.subjectCompatibility(name, { signal })),
      ]);
      return { subject: name, versions, latest, compatibility };
    }),
  );
  return { subject, subjects, globalCompatibility, details };
}

// ---------------------------------------------------------------------------------------------------------------
// Errors.

/** True for the registry's "not found" (HTTP 404, error_code 40401). */
export function isNotFound(error: unknown): boolean {
  return isTargetError(error) && error.status === 404;
}
