import {
  PROMQL,
  type Agent,
  type AgentRow,
  type Health,
  type LeaderChangeRow,
  type LeaseList,
  type Readiness,
  type SchemaVersion,
  type StreamhouseClients,
} from '../../integrations/streamhouse/index.js';
import { parseExposition } from '../../integrations/prometheus/parse-exposition.js';
import type { Clock } from '../../src/core/clock.js';
import { isTargetError } from '../../src/core/target-error.js';
import { ratesFromPrometheus, ratesFromScrapes, type RateSignals } from './signals.js';
import { runProbes, settle, type ProbeResult, type ProbeSpec, type ProbeTable } from '../../src/core/probe.js';

/** Probes come from the core; this system's workflows import them from here. */
export type { ProbeResult } from '../../src/core/probe.js';

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
// Probes.

/** How far back "recent" leader changes go. */
export const LEADER_CHANGE_WINDOW_MS = 60 * 60_000;

/** What a Streamhouse probe reads from: the clients, the time of the check and the topic asked about, if any. */
export interface ProbeContext {
  readonly clients: StreamhouseClients;
  readonly nowMs: number;
  readonly topic?: string;
}

/** A Streamhouse probe: what it reads (`what` names it in the failure titles) and the call. */
type Probe<T> = ProbeSpec<ProbeContext, T>;

/**
 * Every Streamhouse probe, once: the workflows' probe tables pick from these, and the failure findings name a
 * probe by its `what`.
 */
export const PROBES = {
  health: {
    endpoint: 'GET /health',
    what: 'health',
    call: ({ clients }, signal) => clients.streamhouse.health({ signal }),
  } satisfies Probe<Health>,
  ready: {
    endpoint: 'GET /ready',
    what: 'readiness',
    call: ({ clients }, signal) => clients.streamhouse.ready({ signal }),
  } satisfies Probe<Readiness>,
  agents: {
    endpoint: 'GET /admin/agents',
    what: 'agent list',
    call: ({ clients }, signal) => clients.streamhouse.agents({ signal }),
  } satisfies Probe<readonly Agent[]>,
  /** The rates: Prometheus when configured, else two scrapes of `/metrics` (run by {@link observeHealth} itself). */
  metrics: { endpoint: 'GET /metrics', what: 'metrics' },
  metadataAgents: {
    endpoint: 'agents (metadata store)',
    what: 'agents',
    call: ({ clients }, signal) => clients.metadata.agents({ signal }),
  } satisfies Probe<readonly AgentRow[]>,
  metadataLeases: {
    endpoint: 'partition_leases (metadata store)',
    what: 'partition leases',
    call: ({ clients, topic }, signal) => clients.metadata.leases({ topic, signal }),
  } satisfies Probe<LeaseList>,
  leaderChanges: {
    endpoint: 'leader_changes (metadata store)',
    what: 'leader changes',
    call: ({ clients, nowMs, topic }, signal) =>
      clients.metadata.leaderChanges({ sinceMs: nowMs - LEADER_CHANGE_WINDOW_MS, topic, limit: 200, signal }),
  } satisfies Probe<readonly LeaderChangeRow[]>,
  subjects: {
    endpoint: 'GET /subjects (schema registry)',
    what: 'subjects',
    call: ({ clients }, signal) => clients.streamhouse.subjects({ signal }),
  } satisfies Probe<readonly string[]>,
  globalCompatibility: {
    endpoint: 'GET /config (schema registry)',
    what: 'global compatibility',
    call: ({ clients }, signal) => clients.streamhouse.globalCompatibility({ signal }),
  } satisfies Probe<string>,
} as const;

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

/** The health workflow's probes; the rates are sampled on their own (Prometheus, else two scrapes). */
export const HEALTH_PROBES: ProbeTable<ProbeContext, Omit<HealthObservations, 'rates' | 'prometheusError'>> = {
  health: PROBES.health,
  ready: PROBES.ready,
  agents: PROBES.agents,
  dbAgents: PROBES.metadataAgents,
  leases: PROBES.metadataLeases,
};

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
  const [probes, sampled] = await Promise.all([
    runProbes(HEALTH_PROBES, { clients, nowMs: clock.now() }, signal),
    rates(),
  ]);
  return { ...probes, ...sampled };
}

// ---------------------------------------------------------------------------------------------------------------
// Leases.

export interface LeaseObservations {
  readonly topic?: string;
  readonly leases: ProbeResult<LeaseList>;
  readonly agents: ProbeResult<readonly AgentRow[]>;
  readonly leaderChanges: ProbeResult<readonly LeaderChangeRow[]>;
}

/** The leases workflow's probes, all on the metadata store. */
export const LEASE_PROBES: ProbeTable<ProbeContext, Omit<LeaseObservations, 'topic'>> = {
  leases: PROBES.metadataLeases,
  agents: PROBES.metadataAgents,
  leaderChanges: PROBES.leaderChanges,
};

export async function observeLeases(
  clients: StreamhouseClients,
  nowMs: number,
  signal: AbortSignal,
  topic: string | undefined,
): Promise<LeaseObservations> {
  return { topic, ...(await runProbes(LEASE_PROBES, { clients, nowMs, topic }, signal)) };
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

/** The schema registry's probes; each subject is then read in detail ({@link observeSchemas}). */
export const SCHEMA_PROBES: ProbeTable<ProbeContext, Omit<SchemaObservations, 'subject' | 'details'>> = {
  subjects: PROBES.subjects,
  globalCompatibility: PROBES.globalCompatibility,
};

export async function observeSchemas(
  clients: StreamhouseClients,
  nowMs: number,
  signal: AbortSignal,
  subject: string | undefined,
): Promise<SchemaObservations> {
  const sh = clients.streamhouse;
  const { subjects, globalCompatibility } = await runProbes(SCHEMA_PROBES, { clients, nowMs }, signal);
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
