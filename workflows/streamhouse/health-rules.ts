import { PRODUCER_ERROR_TYPE } from '../../integrations/streamhouse/index.js';
import { formatNumber, formatSeconds } from '../../src/core/format.js';
import type { Severity } from '../../src/core/report.js';
import type { Rule } from '../../src/core/rule.js';
import * as correct from './corrections.js';
import { SECTION } from './corrections.js';
import { LEASE_THRESHOLDS, leasesDeadHolder, leasesExpired, leasesVisibility } from './lease-rules.js';
import type { HealthObservations } from './observe.js';
import { ago, formatAge, listText } from './format.js';
import type { RateSignals } from './signals.js';

/**
 * Thresholds of the health checks. The runbook gives one (throttled share > 10 %); the others are the bot's own and
 * are printed in each evidence line so the operator sees what the value was compared with.
 */
export const HEALTH_THRESHOLDS = {
  /** Runbook `HighThrottlingRate`: rate-limited share of produce attempts. */
  rateLimitedShare: 0.1,
  /** Rate-limited writes per second, when the server prints no records counter to compare with. */
  rateLimitedPerSecond: 1,
  /** S3 request latency p99, s. */
  s3LatencyWarnSeconds: 1,
  s3LatencyCriticalSeconds: 5,
  /** Records behind, on the worst partition. */
  consumerLagWarn: 10_000,
  consumerLagCritical: 100_000,
} as const;

const n = formatNumber;
const perSecond = (v: number): string => `${n(v)}/s`;

function rates(obs: HealthObservations): RateSignals | undefined {
  return obs.rates.ok ? obs.rates.value : undefined;
}

function sinceStart(r: RateSignals, errorType: string): string {
  const total = r.producerErrorTotals?.get(errorType);
  if (!total) return '';
  const uptime = r.uptimeSeconds !== undefined ? ` (up ${formatSeconds(r.uptimeSeconds)})` : '';
  return `; ${n(total)} since the server started${uptime}`;
}

function topicsOf(r: RateSignals, errorType: string): string {
  const topics = r.producerErrorTopics?.get(errorType);
  return topics && topics.length > 0 ? ` on ${topics.slice(0, 3).join(', ')}${topics.length > 3 ? '…' : ''}` : '';
}

function silent(r: RateSignals, family: string): string {
  return r.silentRunbookFamilies?.includes(family) ? ` — \`${family}\` prints no sample on this server` : '';
}

// ---------------------------------------------------------------------------------------------------------------

const serverHealth: Rule<HealthObservations> = {
  code: 'streamhouse.server.health',
  title: 'Streamhouse /health is not ok',
  okTitle: 'Streamhouse answers /health',
  section: SECTION.agentHealth,
  nextStep:
    'Check the server pod and its logs (`kubectl get pods -n streamhouse`, `kubectl logs -n streamhouse ' +
    'deployment/streamhouse-agent --tail=100`). ' +
    correct.MANUAL_RESTART,
  evaluate(obs) {
    if (!obs.health.ok) return null;
    const status = obs.health.value.status;
    return status.toLowerCase() === 'ok'
      ? { severity: 'ok', evidence: 'GET /health → {"status":"ok"}' }
      : { severity: 'critical', evidence: `GET /health → status "${status.slice(0, 40)}", expected "ok"` };
  },
};

const serverReady: Rule<HealthObservations> = {
  code: 'streamhouse.server.ready',
  title: 'Streamhouse is not ready: its metadata store is failing',
  okTitle: 'Streamhouse is ready',
  section: SECTION.agentHealth,
  nextStep:
    "The unified server answers /ready with 503 when its metadata-store query fails: check the server's " +
    'DATABASE_URL Postgres (reachable, not out of connections, not read-only) and the server logs.',
  evaluate(obs) {
    if (!obs.ready.ok) return null;
    return obs.ready.value.ready
      ? { severity: 'ok', evidence: 'GET /ready → 200 {"status":"ready"}' }
      : { severity: 'critical', evidence: `GET /ready → ${obs.ready.value.status} with an empty body` };
  },
};

interface AgentView {
  readonly id: string;
  readonly address: string;
  readonly zone: string;
  readonly lastHeartbeatMs: number;
  /** Leases held; null when row-level security keeps the bot from counting them all (and no other source has). */
  readonly leases: number | null;
  /** Why {@link AgentView.leases} may undercount: ` of organization <id>` (one organization's only). */
  readonly leaseScope: string;
}

/** The agents, from the metadata store when it answered (it has every row), else from `/admin/agents`. */
export function readAgents(obs: HealthObservations): { agents: AgentView[]; source: string } | undefined {
  if (obs.dbAgents.ok) {
    // The server's /admin/agents counts every lease (it owns the tables); the bot's role may see fewer, or none,
    // through row-level security. Prefer the server's count then, and never show a count the bot cannot know.
    const served = obs.agents.ok ? new Map(obs.agents.value.map((a) => [a.agent_id, a.active_leases])) : undefined;
    return {
      source: 'the metadata store',
      agents: obs.dbAgents.value.map((a) => {
        const v = a.leaseVisibility;
        const fromServer = served?.get(a.agentId);
        const all = v.scope === 'all';
        return {
          id: a.agentId,
          address: a.address,
          zone: a.availabilityZone,
          lastHeartbeatMs: a.lastHeartbeatMs,
          leases: all ? a.leases : (fromServer ?? (v.scope === 'organization' && a.leases > 0 ? a.leases : null)),
          leaseScope:
            all || fromServer !== undefined || v.scope !== 'organization' ? '' : ` of organization ${v.organizationId}`,
        };
      }),
    };
  }
  if (obs.agents.ok) {
    return {
      source: 'GET /admin/agents',
      agents: obs.agents.value.map((a) => ({
        id: a.agent_id,
        address: a.address,
        zone: a.availability_zone,
        lastHeartbeatMs: a.last_heartbeat,
        leases: a.active_leases,
        leaseScope: '',
      })),
    };
  }
  return undefined;
}

const isDead = (a: AgentView, now: number): boolean => now - a.lastHeartbeatMs > LEASE_THRESHOLDS.heartbeatDeadMs;

const agentsAlive: Rule<HealthObservations> = {
  code: 'streamhouse.agents.alive',
  title: 'No live Streamhouse agent',
  okTitle: 'Agents are heartbeating',
  section: SECTION.agentHealth,
  nextStep:
    'No agent heartbeated within 60 s, so no partition can get a leader: check the agent pods ' +
    '(`kubectl get pods -n streamhouse -l app=streamhouse-agent`) and their access to the metadata store. ' +
    correct.MANUAL_RESTART,
  evaluate(obs, now) {
    const view = readAgents(obs);
    if (!view) return null;
    const alive = view.agents.filter((a) => !isDead(a, now));
    const counted = view.agents.every((a) => a.leases !== null);
    const leases = view.agents.reduce((sum, a) => sum + (a.leases ?? 0), 0);
    if (view.agents.length === 0) {
      return {
        severity: 'warning',
        title: 'No agent is registered',
        evidence: `${view.source} lists no agent`,
      };
    }
    const holding = counted ? `holding ${n(leases)} leases` : 'lease counts hidden from the bot by row-level security';
    const evidence = `${alive.length} of ${view.agents.length} agents heartbeated within ${formatAge(LEASE_THRESHOLDS.heartbeatDeadMs)}, ${holding} (from ${view.source})`;
    return { severity: alive.length === 0 ? 'critical' : 'ok', evidence };
  },
};

const agentsStale: Rule<HealthObservations> = {
  code: 'streamhouse.agents.stale-heartbeat',
  title: 'Agents stopped heartbeating',
  okTitle: 'No agent with a stale heartbeat',
  section: SECTION.leases,
  nextStep:
    'An agent without a heartbeat that still holds leases blocks those partitions until the leases expire (300 s ' +
    'after its last renewal at HEAD). Check its pod and logs; `/streamhouse leases` shows the blocked partitions ' +
    'and the guarded reset. ' +
    correct.MANUAL_RESTART,
  runbookCorrection: correct.LEASES,
  evaluate(obs, now) {
    const view = readAgents(obs);
    if (!view) return null;
    const dead = view.agents.filter((a) => isDead(a, now)).sort((a, b) => a.lastHeartbeatMs - b.lastHeartbeatMs);
    const limit = formatAge(LEASE_THRESHOLDS.heartbeatDeadMs);
    if (dead.length === 0) {
      const oldest = view.agents.reduce((min, a) => Math.min(min, a.lastHeartbeatMs), Infinity);
      return {
        severity: 'ok',
        evidence:
          view.agents.length === 0
            ? 'no agent registered'
            : `oldest heartbeat ${ago(oldest, now)} — agents heartbeat every 20 s, dead after ${limit}`,
      };
    }
    // A dead agent whose leases the bot cannot count may hold some: it stays critical (never "holds 0 leases").
    const holding = dead.some((a) => a.leases === null || a.leases > 0 || a.leaseScope !== '');
    const held = (a: AgentView): string =>
      a.leases === null
        ? "holds an unknown number of leases (row-level security hides partition_leases from the bot's role)"
        : a.leaseScope !== ''
          ? `holds ${n(a.leases)} lease${a.leases === 1 ? '' : 's'}${a.leaseScope} (other organizations' leases are not visible to the bot)`
          : `holds ${n(a.leases)} lease${a.leases === 1 ? '' : 's'}`;
    return {
      severity: holding ? 'critical' : 'warning',
      evidence:
        listText(
          dead.map(
            (a) => `${a.id} (${a.address}, ${a.zone}): last heartbeat ${ago(a.lastHeartbeatMs, now)}, ${held(a)}`,
          ),
          5,
        ) + ` — agents heartbeat every 20 s, dead after ${limit}`,
    };
  },
};

const circuitBreaker: Rule<HealthObservations> = {
  code: 'streamhouse.producer.circuit-breaker',
  title: 'S3 circuit breaker is open: producers get UNAVAILABLE',
  okTitle: 'No write rejected by the S3 circuit breaker',
  section: SECTION.circuit,
  nextStep:
    'The breaker opened after 5 S3 failures; it half-opens by itself after 30 s and closes after 2 successes. ' +
    'Check S3 itself (AWS health, credentials, network, 503 SlowDown) — see the S3 findings. There is no API to ' +
    'reset it; restarting the agent resets it but drops in-flight writes (a manual step, and pointless while S3 fails).',
  runbookCorrection: correct.CIRCUIT_BREAKER,
  correctionWhen: 'always',
  evaluate(obs) {
    const r = rates(obs);
    if (!r) return null;
    const type = PRODUCER_ERROR_TYPE.circuitBreaker;
    const rate = r.producerErrorRates.get(type) ?? 0;
    const tail = silent(r, 'streamhouse_circuit_breaker_state');
    if (rate > 0) {
      return {
        severity: 'critical',
        evidence: `${perSecond(rate)} writes rejected with error_type="${type}"${topicsOf(r, type)} ${r.window} — any is critical${tail}`,
      };
    }
    return { severity: 'ok', evidence: `0 writes rejected by the breaker ${r.window}${sinceStart(r, type)}${tail}` };
  },
};

const rateLimited: Rule<HealthObservations> = {
  code: 'streamhouse.producer.rate-limited',
  title: 'S3 rate limiter is rejecting writes: producers get RESOURCE_EXHAUSTED',
  okTitle: 'S3 rate limiting is below the runbook threshold',
  section: SECTION.throttling,
  nextStep:
    'Producers should back off and retry. If the load is legitimate, raise the PUT rate limit (default 3000/s, burst ' +
    '5000) or shard S3 prefixes — a configuration change and restart, both manual steps. After S3 503s the adaptive ' +
    'limiter lowers the rate itself: check the S3 findings first.',
  runbookCorrection: correct.THROTTLING,
  correctionWhen: 'always',
  evaluate(obs) {
    const r = rates(obs);
    if (!r) return null;
    const type = PRODUCER_ERROR_TYPE.rateLimited;
    const limited = r.producerErrorRates.get(type) ?? 0;
    const tail = silent(r, 'streamhouse_throttle_decisions');
    const errors = [...r.producerErrorRates.values()].reduce((s, v) => s + v, 0);
    const attempts = r.producerRecordRate !== undefined ? r.producerRecordRate + errors : undefined;
    let severity: Severity;
    let measured: string;
    if (attempts !== undefined && attempts > 0) {
      const share = limited / attempts;
      severity = share > HEALTH_THRESHOLDS.rateLimitedShare ? 'warning' : 'ok';
      measured = `${perSecond(limited)} of ${perSecond(attempts)} produce attempts rate-limited (${Math.floor(share * 1000) / 10} %)${topicsOf(r, type)} ${r.window} — runbook threshold ${HEALTH_THRESHOLDS.rateLimitedShare * 100} %`;
    } else {
      severity = limited > HEALTH_THRESHOLDS.rateLimitedPerSecond ? 'warning' : 'ok';
      measured = `${perSecond(limited)} writes rate-limited${topicsOf(r, type)} ${r.window} (no produce rate to compare with) — threshold ${perSecond(HEALTH_THRESHOLDS.rateLimitedPerSecond)}`;
    }
    return { severity, evidence: `${measured}${severity === 'ok' ? sinceStart(r, type) : ''}${tail}` };
  },
};

const KNOWN_TYPES: readonly string[] = [PRODUCER_ERROR_TYPE.circuitBreaker, PRODUCER_ERROR_TYPE.rateLimited];

const producerErrors: Rule<HealthObservations> = {
  code: 'streamhouse.producer.errors',
  title: 'Producers are getting write errors',
  okTitle: 'No other producer errors',
  section: SECTION.identify,
  nextStep:
    'Look for the error in the agent logs (`kubectl logs -n streamhouse deployment/streamhouse-agent --tail=100`): ' +
    '`writer_error` and `append_error` come from the segment writer and the WAL (disk full, WAL corruption) — see ' +
    'the runbook\'s "WAL Recovery Failures" and "Resource Pressure".',
  runbookCorrection: correct.METRIC_NAMES,
  evaluate(obs) {
    const r = rates(obs);
    if (!r) return null;
    const others = [...r.producerErrorRates].filter(([type, v]) => !KNOWN_TYPES.includes(type) && v > 0);
    if (others.length === 0) return { severity: 'ok', evidence: `0 writer/append errors ${r.window}` };
    return {
      severity: 'warning',
      evidence: `${others.map(([type, v]) => `${perSecond(v)} error_type="${type}"${topicsOf(r, type)}`).join(', ')} ${r.window} — any is reported`,
    };
  },
};

const s3Errors: Rule<HealthObservations> = {
  code: 'streamhouse.s3.errors',
  title: 'S3 requests are failing',
  okTitle: 'No S3 errors',
  section: SECTION.circuit,
  nextStep:
    'Check S3 from the agent (`aws s3 ls s3://<bucket>/<topic>/partition-0/ | tail`), AWS health, credentials and ' +
    '503 SlowDown responses (CloudWatch 5xxErrors). `failed` means a segment upload gave up after retries; 5 ' +
    'failures open the circuit breaker.',
  runbookCorrection: correct.S3_ERRORS,
  evaluate(obs) {
    const r = rates(obs);
    if (!r) return null;
    const failed = r.s3ErrorRates.get('failed') ?? 0;
    const retry = r.s3ErrorRates.get('retry') ?? 0;
    const requests = r.s3RequestRate !== undefined ? ` out of ${perSecond(r.s3RequestRate)} requests` : '';
    const evidence = `${perSecond(failed)} failed, ${perSecond(retry)} retried${requests} ${r.window}`;
    const severity: Severity = failed > 0 ? 'critical' : retry > 0 ? 'warning' : 'ok';
    return {
      severity,
      evidence: severity === 'ok' ? evidence : `${evidence} — any failure is critical, any retry a warning`,
    };
  },
};

const s3Latency: Rule<HealthObservations> = {
  code: 'streamhouse.s3.latency',
  title: 'S3 requests are slow',
  okTitle: 'S3 latency is normal',
  section: SECTION.throttling,
  nextStep:
    'Slow S3 PUTs back up segment flushes and the WAL. Check S3 throttling (503 SlowDown) and the network path; ' +
    'several agents writing the same prefix share its request-rate limit.',
  runbookCorrection: correct.S3_ERRORS,
  evaluate(obs) {
    const r = rates(obs);
    if (!r) return null;
    const p99 = r.s3LatencyP99;
    if (p99 === undefined) return { severity: 'ok', evidence: `no S3 request completed ${r.window}` };
    const t = HEALTH_THRESHOLDS;
    const severity: Severity =
      p99 > t.s3LatencyCriticalSeconds ? 'critical' : p99 > t.s3LatencyWarnSeconds ? 'warning' : 'ok';
    return {
      severity,
      evidence: `S3 p99 ${formatSeconds(p99)} ${r.window} — warning above ${formatSeconds(t.s3LatencyWarnSeconds)}, critical above ${formatSeconds(t.s3LatencyCriticalSeconds)}`,
    };
  },
};

const consumerLag: Rule<HealthObservations> = {
  code: 'streamhouse.consumer.lag',
  title: 'Consumers are falling behind',
  okTitle: 'Consumer lag is low',
  section: SECTION.resources,
  nextStep:
    'Check the consumer group (`GET /api/v1/consumer-groups/{group}/lag`) and its consumers: are they running, ' +
    'rebalancing, or slower than the produce rate? Scaling consumers is a manual step.',
  runbookCorrection: correct.METRIC_NAMES,
  evaluate(obs) {
    const r = rates(obs);
    if (!r) return null;
    if (r.consumerLag.length === 0) return { severity: 'ok', evidence: 'no consumer group reports lag' };
    const sorted = [...r.consumerLag].sort((a, b) => b.lag - a.lag);
    const worst = sorted[0]!;
    const t = HEALTH_THRESHOLDS;
    const severity: Severity =
      worst.lag > t.consumerLagCritical ? 'critical' : worst.lag > t.consumerLagWarn ? 'warning' : 'ok';
    const shown = severity === 'ok' ? [worst] : sorted.filter((x) => x.lag > t.consumerLagWarn);
    return {
      severity,
      evidence:
        listText(
          shown.map((x) => `${x.group} on ${x.topic}/${x.partition}: ${n(x.lag)} records behind`),
          3,
        ) + ` — warning above ${n(t.consumerLagWarn)}, critical above ${n(t.consumerLagCritical)}`,
    };
  },
};

/** The Streamhouse health checks, in report order. */
export const healthRules: readonly Rule<HealthObservations>[] = [
  serverHealth,
  serverReady,
  agentsAlive,
  agentsStale,
  leasesVisibility,
  leasesExpired,
  leasesDeadHolder,
  circuitBreaker,
  rateLimited,
  producerErrors,
  s3Errors,
  s3Latency,
  consumerLag,
];
