import type { Health, KyroClient, Ready, Slo } from '../../integrations/kyrodb/index.js';
import { parseExposition, type Exposition } from '../../integrations/prometheus/parse-exposition.js';
import type { Finding } from '../../src/core/report.js';
import { isTargetError } from '../../src/core/target-error.js';
import { ESCALATIONS, escalationFields, escalationText } from './escalation.js';
import { RECOVERY_PORT_CORRECTION, portCorrection, restoreFromBackupSteps } from './corrections.js';
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
import { setTimeout as sleep } from 'node:timers/promises';

export type { ProbeResult } from '../../src/core/probe.js';

/** Everything the KyroDB rules read, one probe per HTTP endpoint, taken at the same moment from one server. */
export interface KyroObservations {
  /** `scheme://host:port` the bot talks to (no credentials), for the corrected commands shown to operators. */
  readonly origin: string;
  /** `GET /health`: `healthy`/`degraded` (200) or `starting`/`unhealthy` (503, still an answer). */
  readonly health: ProbeResult<Health>;
  /** `GET /ready`. */
  readonly ready: ProbeResult<Ready>;
  /** `GET /slo`: breaches, current values and thresholds (latency in ns). */
  readonly slo: ProbeResult<Slo>;
  /** `GET /metrics`, parsed; unparseable lines are in `problems`. */
  readonly metrics: ProbeResult<Exposition>;
  /**
   * A second `GET /metrics`, `afterMs` after the first, for the write check: KyroDB does not export its WAL circuit
   * breaker's state, so "writes refused now" is read from failed versus total inserts between the two scrapes.
   * Undefined when the check took one scrape only (the latency workflow, `writeWindowMs: 0`, a failed first scrape).
   */
  readonly later?: { readonly afterMs: number; readonly metrics: ProbeResult<Exposition> };
}

/** What {@link observeKyro} takes besides the client. */
export interface ObserveOptions {
  /** Take a second `/metrics` scrape this long after the first, ms (0 or absent: one scrape). */
  readonly writeWindowMs?: number;
}

/** The observations filled by one probe each: every key but `origin` and the write check's `later` scrape. */
export type KyroProbeObservations = Omit<KyroObservations, 'origin' | 'later'>;

/** Fetches and parses the exposition; the parser never throws, bad lines land in `problems`. */
async function readMetrics(client: KyroClient, signal: AbortSignal): Promise<Exposition> {
  return parseExposition(await client.metricsText({ signal }), { format: 'prometheus' });
}

/** The probes, in the order they are reported, with the endpoint each one reads. */
export const KYRO_PROBES: ProbeTable<KyroClient, KyroProbeObservations> = {
  health: { endpoint: 'GET /health', what: 'health', call: (client, signal) => client.health({ signal }) },
  ready: { endpoint: 'GET /ready', what: 'readiness', call: (client, signal) => client.ready({ signal }) },
  slo: { endpoint: 'GET /slo', what: 'SLO status', call: (client, signal) => client.slo({ signal }) },
  metrics: { endpoint: 'GET /metrics', what: 'metrics', call: readMetrics },
};

/**
 * Runs every probe in parallel against one KyroDB server, then, with `writeWindowMs`, scrapes `/metrics` once more
 * after that wait. Never throws: a failed probe is `{ ok: false, error }` (a cancelled wait included).
 */
export async function observeKyro(
  client: KyroClient,
  signal: AbortSignal,
  options: ObserveOptions = {},
): Promise<KyroObservations> {
  const probes = await runProbes(KYRO_PROBES, client, signal);
  const afterMs = options.writeWindowMs ?? 0;
  if (afterMs <= 0 || !probes.metrics.ok) return { origin: client.origin, ...probes };
  const later = await settle(async () => {
    await sleep(afterMs, undefined, { signal });
    return readMetrics(client, signal);
  });
  return { origin: client.origin, ...probes, later: { afterMs, metrics: later } };
}

/** The probes that ran (all four), for the core's failed-probe and nothing-answered checks. */
export function kyroProbesRun(obs: KyroObservations): RanProbe[] {
  return probesRun(KYRO_PROBES, obs);
}

/** True when no probe got an answer: the report then says so in one line instead of one per probe. */
export function isUnreachable(obs: KyroObservations): boolean {
  const ran = kyroProbesRun(obs);
  return nothingAnswered(ran, failedProbes(ran));
}

function errorKind(error: unknown): string {
  return isTargetError(error) ? error.kind : 'unexpected';
}

function titleFor(kind: string, target: string, what: string): string {
  switch (kind) {
    case 'timeout':
      return `KyroDB ${target} did not answer in time (${what})`;
    case 'unreachable':
      return `KyroDB ${target} is unreachable (${what})`;
    case 'unauthorized':
      return `KyroDB ${target} rejected the bot's API key (${what})`;
    case 'forbidden':
      return `The bot's API key may not read ${what} on KyroDB ${target}`;
    default:
      return `Could not read KyroDB ${target}'s ${what}`;
  }
}

const HEALTH_SECTION = 'Health Check Failed';

/** The inconclusive findings for the probes of `obs` that failed (see {@link kyroFailureFindings}). */
export function probeFailureFindings(obs: KyroObservations, target: string): Finding[] {
  const ran = kyroProbesRun(obs);
  const failed = failedProbes(ran);
  return kyroFailureFindings(failed, nothingAnswered(ran, failed), obs.origin, target);
}

/**
 * The inconclusive findings for the probes that failed. Failures of the same kind are merged (one "API key
 * rejected" line for `/slo` and `/metrics` under `observability_auth: metrics_and_slo`), and when every probe failed
 * (`allFailed`) there is exactly one finding, e.g. "KyroDB prod is unreachable", carrying the runbook's "server
 * down" step with its P0 severity, the corrected port (of `origin`) and the real backup commands.
 */
export function kyroFailureFindings(
  failed: readonly FailedProbe[],
  allFailed: boolean,
  origin: string,
  target: string,
): Finding[] {
  if (failed.length === 0) return [];
  const first = failed[0]!;

  if (allFailed) {
    const kinds = new Set(failed.map((f) => errorKind(f.error)));
    const kind = kinds.size === 1 ? errorKind(first.error) : 'mixed';
    const down = kind === 'unreachable' || kind === 'timeout';
    const refused = failed.some((f) => f.error instanceof Error && /connection refused/i.test(f.error.message));
    const title = down
      ? refused
        ? `KyroDB ${target} is unreachable: not running, or still recovering`
        : `KyroDB ${target} is unreachable`
      : kind === 'unauthorized'
        ? `KyroDB ${target} rejected the bot's API key`
        : `KyroDB ${target} could not be probed`;
    const finding = probeFailureFinding('kyrodb.probe.unreachable', title, first.error, HEALTH_SECTION);
    // KyroDB opens its HTTP port only after WAL recovery (56 s for 1,800 vectors on the real server): a refused
    // connection is what a recovering server looks like, so "start the server" alone could be the wrong advice.
    const recovering =
      'It may be recovering, not down: KyroDB opens its HTTP port only after replaying the WAL (56 s for 1,800 ' +
      'vectors on a real server; longer with more data), so until then connections are refused. How to tell: ' +
      '`systemctl status kyrodb` (or `ps aux | grep kyrodb_server`) — running and its uptime; `journalctl -u kyrodb ' +
      '-n 100` shows recovery progress or the error that stopped it. Running and recovering → wait and re-check; ' +
      'not running → `systemctl start kyrodb`. If it will not start, a config key it does not know stops it at ' +
      `startup (deny_unknown_fields); a snapshot/WAL error means ${restoreFromBackupSteps()}`;
    return [
      {
        ...finding,
        evidence: `${finding.evidence} (all ${failed.length} probes failed)`,
        nextStep: down
          ? `${escalationText(ESCALATIONS.serverDown)} ${finding.nextStep ?? ''} Runbook "Decision Tree › Check ` +
            `process", corrected: ${recovering}`
          : finding.nextStep,
        runbookCorrection: down ? `${RECOVERY_PORT_CORRECTION} ${portCorrection(origin)}` : portCorrection(origin),
        // "Server down >5 min" → P0: pending until it has held, then the page (issue 14).
        ...(down ? escalationFields(ESCALATIONS.serverDown, finding.code) : {}),
      },
    ];
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
    const code = members.length === 1 ? `kyrodb.probe.${lead.name}` : `kyrodb.probe.${kind}`;
    const finding = probeFailureFinding(code, titleFor(kind, target, what), lead.error, HEALTH_SECTION);
    const others = members.slice(1).map((m) => m.endpoint);
    const authHint =
      kind === 'unauthorized'
        ? ' KyroDB protects these with `server.observability_auth` (`metrics_and_slo` or `all`); the key goes in ' +
          '`x-api-key` (configure `apiKey` for this target).'
        : '';
    findings.push({
      ...finding,
      evidence: others.length === 0 ? finding.evidence : `${finding.evidence} (also ${others.join(', ')})`,
      nextStep: `${finding.nextStep ?? ''}${authHint}`.trim() || undefined,
    });
  }
  return findings;
}
