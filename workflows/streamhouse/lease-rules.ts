import type { LeaderChangeRow, LeaseList, LeaseRow, LeaseVisibility } from '../../integrations/streamhouse/index.js';
import { formatNumber } from '../../src/core/format.js';
import type { Rule } from '../../src/core/rule.js';
import * as correct from './corrections.js';
import { SECTION } from './corrections.js';
import type { LeaseObservations, ProbeResult } from './observe.js';
import { ago, formatAge, listText } from './format.js';

/** Thresholds of the lease checks (the runbook gives none; these follow the code's timings, §3.3). */
export const LEASE_THRESHOLDS = {
  /** Agents heartbeat every 20 s; `heartbeat.rs` considers one dead after 60 s. */
  heartbeatDeadMs: 60_000,
  /** A partition whose leader changed this many times in {@link LEASE_THRESHOLDS.churnWindowMs} is flapping. */
  churnChanges: 3,
  churnWindowMs: 15 * 60_000,
} as const;

const LISTED = 5;

/** `orders/3`. */
export function partitionName(l: Pick<LeaseRow, 'topic' | 'partition'>): string {
  return `${l.topic}/${l.partition}`;
}

/** Leases whose expiry has passed: nobody renewed them and nobody took over. */
export function expiredLeases(list: LeaseList, nowMs: number): LeaseRow[] {
  return list.leases.filter((l) => l.expiresAtMs < nowMs).sort((a, b) => a.expiresAtMs - b.expiresAtMs);
}

/** Leases still valid whose holder has not heartbeated for {@link LEASE_THRESHOLDS.heartbeatDeadMs}. */
export function deadHolderLeases(list: LeaseList, nowMs: number): LeaseRow[] {
  return list.leases.filter(
    (l) =>
      l.expiresAtMs >= nowMs &&
      (l.holderHeartbeatMs === null || nowMs - l.holderHeartbeatMs > LEASE_THRESHOLDS.heartbeatDeadMs),
  );
}

function truncated(list: LeaseList): string {
  return list.total > list.leases.length
    ? ` (first ${formatNumber(list.leases.length)} of ${formatNumber(list.total)} read)`
    : '';
}

/**
 * The manual reset, as SQL an operator can paste: guarded by holder and epoch, so it is a no-op if the agent renewed
 * or another agent took over in the meantime (the bot's `resetLease` does the same in one transaction).
 */
export function resetLeaseSql(l: Pick<LeaseRow, 'topic' | 'partition' | 'holder' | 'epoch'>): string {
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return (
    `UPDATE partition_leases SET lease_expires_at = (extract(epoch from now()) * 1000)::bigint - 60000 ` +
    `WHERE topic = ${q(l.topic)} AND partition_id = ${l.partition} AND leader_agent_id = ${q(l.holder)} ` +
    `AND epoch = ${l.epoch} AND lease_expires_at > (extract(epoch from now()) * 1000)::bigint - 60000;`
  );
}

interface WithLeases {
  readonly leases: ProbeResult<LeaseList>;
}

/** False when row-level security hides the leases from the bot's role: then 0 rows read is not 0 leases. */
export function leasesVisible(v: LeaseVisibility): boolean {
  return v.scope !== 'hidden';
}

/** ` of organization <id>` when the bot could read one organization's leases only, else empty. */
export function scopeText(v: LeaseVisibility): string {
  return v.scope === 'organization' ? ` of organization ${v.organizationId}` : '';
}

/** What the bot's role cannot see, said plainly, for findings and refusals. */
export function hiddenText(v: LeaseVisibility): string {
  if (v.scope !== 'hidden') return '';
  const rls =
    "row-level security on partition_leases (Streamhouse HEAD) hides every lease from the bot's database role — " +
    "it is not the tables' owner, not superuser and has no BYPASSRLS";
  return v.reason === 'unknown-organization'
    ? `${rls}; the bot set app.current_organization_id to the configured organizationId ${v.organizationId ?? ''}, ` +
        'but no such organization exists (migration 002 deletes the all-zero default organization), so it still sees none'
    : `${rls}, and no organizationId is configured for the bot to read one organization's leases`;
}

/** How to give the bot a view of the leases (README "Streamhouse credentials"). */
export const GRANT_LEASE_VIEW =
  "Give the bot's role a view of the leases: connect as the tables' owner (Streamhouse's own role), or grant " +
  'BYPASSRLS (`ALTER ROLE runbook_bot BYPASSRLS;` as a superuser) to see every organization, or set organizationId ' +
  "to your organization's id (`SELECT id, slug FROM organizations;` as the owner) and the bot reads that " +
  "organization's leases only. The reset also needs `GRANT UPDATE (lease_expires_at) ON partition_leases`.";

export const leasesVisibility: Rule<WithLeases> = {
  code: 'streamhouse.leases.visibility',
  title: "Row-level security hides the partition leases from the bot's role",
  okTitle: 'Leases read for one organization only',
  section: SECTION.database,
  nextStep: GRANT_LEASE_VIEW,
  runbookCorrection: correct.SELECT_LEASES_AS_OWNER,
  correctionWhen: 'always',
  evaluate(obs) {
    if (!obs.leases.ok) return null;
    const v = obs.leases.value.visibility;
    if (v.scope === 'all') return null;
    if (v.scope === 'organization') {
      return {
        severity: 'ok',
        title: `Leases read for organization ${v.organizationId} only`,
        evidence:
          "row-level security limits the bot's role to one organization: the bot set app.current_organization_id = " +
          `${v.organizationId} for its own reads (SET LOCAL) and read ${formatNumber(obs.leases.value.total)} ` +
          'lease(s) of it; leases of other organizations are not shown',
      };
    }
    return {
      severity: 'inconclusive',
      nextStep: GRANT_LEASE_VIEW,
      evidence: `${hiddenText(v)}. Postgres returns 0 rows without an error, so the lease checks have no data: 0 leases read is not 0 leases`,
    };
  },
};

export const leasesExpired: Rule<WithLeases> = {
  code: 'streamhouse.leases.expired',
  title: 'Partition leases expired without a new leader',
  okTitle: 'No expired partition lease',
  section: SECTION.leases,
  nextStep:
    'These partitions have no live leader until an agent acquires them (acquisition takes over an expired lease and ' +
    'bumps the epoch). Check that agents are running (`/streamhouse health`) and look for "Partition … is already ' +
    'leased to another agent" or "Stale epoch" in the agent logs. ' +
    correct.MANUAL_RESTART,
  runbookCorrection: correct.LEASES,
  evaluate(obs, now) {
    if (!obs.leases.ok || !leasesVisible(obs.leases.value.visibility)) return null;
    const list = obs.leases.value;
    const scope = scopeText(list.visibility);
    const expired = expiredLeases(list, now);
    if (expired.length === 0) {
      const next = list.leases.reduce((min, l) => Math.min(min, l.expiresAtMs), Infinity);
      return {
        severity: 'ok',
        evidence:
          list.leases.length === 0
            ? `no partition lease${scope} in partition_leases`
            : `${formatNumber(list.total)} leases${scope}, none expired — the soonest expires in ${formatAge(next - now)}${truncated(list)}`,
      };
    }
    return {
      severity: 'critical',
      evidence:
        `${formatNumber(expired.length)} of ${formatNumber(list.total)} leases${scope} expired: ` +
        listText(
          expired.map((l) => `${partitionName(l)} (${l.holder}, epoch ${l.epoch}) expired ${ago(l.expiresAtMs, now)}`),
          LISTED,
        ) +
        truncated(list),
    };
  },
};

export const leasesDeadHolder: Rule<WithLeases> = {
  code: 'streamhouse.leases.dead-holder',
  title: 'Leases held by agents that stopped heartbeating',
  okTitle: 'Every lease holder is heartbeating',
  section: SECTION.leases,
  nextStep:
    'These partitions take no writes until their leases expire and another agent takes over. To hand one over now, ' +
    'press Reset (a second person approves; it moves the expiry into the past for that exact holder and epoch, ' +
    'in one transaction) or run the guarded SQL in the notes of `/streamhouse leases`. Then check the dead agent ' +
    '(`kubectl get pods -n streamhouse -l ' +
    'app=streamhouse-agent`, `kubectl logs …`). ' +
    correct.MANUAL_RESTART,
  runbookCorrection: correct.LEASES,
  evaluate(obs, now) {
    if (!obs.leases.ok || !leasesVisible(obs.leases.value.visibility)) return null;
    const list = obs.leases.value;
    const dead = deadHolderLeases(list, now);
    if (dead.length === 0) {
      const holders = new Set(list.leases.map((l) => l.holder)).size;
      return {
        severity: 'ok',
        evidence: `${formatNumber(holders)} lease holders${scopeText(list.visibility)}, all heartbeating within ${formatAge(LEASE_THRESHOLDS.heartbeatDeadMs)}${truncated(list)}`,
      };
    }
    const byHolder = new Map<string, LeaseRow[]>();
    for (const l of dead) byHolder.set(l.holder, [...(byHolder.get(l.holder) ?? []), l]);
    const parts = [...byHolder].map(([holder, leases]) => {
      const hb = leases[0]!.holderHeartbeatMs;
      const beat = hb === null ? 'no agent row' : `last heartbeat ${ago(hb, now)}`;
      const items = leases
        .slice(0, LISTED)
        .map((l) => `${partitionName(l)} epoch ${l.epoch} expires in ${formatAge(l.expiresAtMs - now)}`)
        .join(', ');
      const more = leases.length > LISTED ? `, +${leases.length - LISTED} more` : '';
      return `${holder} (${beat}) holds ${leases.length}: ${items}${more}`;
    });
    return {
      severity: 'critical',
      evidence: `${parts.join('; ')} — agents heartbeat every 20 s and count as dead after ${formatAge(LEASE_THRESHOLDS.heartbeatDeadMs)}`,
      // One button per blocked partition (the first few), pinned to the holder and epoch seen now.
      actions: dead.slice(0, LISTED).map((l) => ({
        remediation: 'reset-lease',
        label: `Reset ${partitionName(l)}`,
        params: { topic: l.topic, partition: String(l.partition), holder: l.holder, epoch: String(l.epoch) },
        level: 'approval' as const,
        destructive: true,
      })),
    };
  },
};

interface WithChanges {
  readonly leaderChanges: ProbeResult<readonly LeaderChangeRow[]>;
}

/**
 * Flapping leadership, from `leader_changes` rows when there are any. Streamhouse on Postgres never writes that table
 * at HEAD, so no rows is no evidence: the rule then says nothing (the notes say churn is not measured) instead of
 * "leadership is stable". Epoch growth and `acquired_at` are no substitute: both move on every 10 s renewal.
 */
export const leasesChurn: Rule<WithChanges> = {
  code: 'streamhouse.leases.churn',
  title: 'Partition leadership is flapping',
  okTitle: 'No partition changed leader often in leader_changes',
  section: SECTION.leases,
  nextStep:
    'Leadership moving back and forth means leases expire before renewal: look for clock skew between nodes, ' +
    'metadata-database latency, or agents restarting (`kubectl get pods -n streamhouse`). ' +
    correct.MANUAL_RESTART,
  runbookCorrection: correct.LEASES,
  evaluate(obs, now) {
    if (!obs.leaderChanges.ok) return null;
    const changes = obs.leaderChanges.value;
    const recent = changes.filter((c) => c.changedAtMs >= now - LEASE_THRESHOLDS.churnWindowMs);
    const byPartition = new Map<string, LeaderChangeRow[]>();
    for (const c of recent) byPartition.set(partitionName(c), [...(byPartition.get(partitionName(c)) ?? []), c]);
    const flapping = [...byPartition].filter(([, list]) => list.length >= LEASE_THRESHOLDS.churnChanges);
    const window = formatAge(LEASE_THRESHOLDS.churnWindowMs);
    // Few or no rows in a table Streamhouse does not write on Postgres proves nothing: no "stable" finding.
    if (flapping.length === 0) return null;
    return {
      severity: 'warning',
      evidence:
        listText(
          flapping.map(([name, list]) => {
            const last = list[0]!;
            return `${name} changed leader ${list.length} times in ${window} (latest ${last.from ?? '—'} → ${last.to}, epoch ${last.epoch}, reason ${last.reason}, ${ago(last.changedAtMs, now)})`;
          }),
          LISTED,
        ) +
        ` — threshold ${LEASE_THRESHOLDS.churnChanges} changes per partition in ${window}, from leader_changes rows`,
    };
  },
};

interface WithTopic extends WithLeases {
  readonly topic?: string;
}

export const leasesTopicMissing: Rule<WithTopic> = {
  code: 'streamhouse.leases.topic-unleased',
  title: 'No partition of this topic has a leader',
  okTitle: 'The topic has leased partitions',
  section: SECTION.leases,
  nextStep:
    'Check the topic name (`GET /api/v1/topics`). If it exists, no agent has acquired any of its partitions: check ' +
    'that agents are running and can reach the metadata store.',
  evaluate(obs) {
    if (obs.topic === undefined || !obs.leases.ok || !leasesVisible(obs.leases.value.visibility)) return null;
    const total = obs.leases.value.total;
    const scope = scopeText(obs.leases.value.visibility);
    if (total > 0) {
      return { severity: 'ok', evidence: `${formatNumber(total)} leased partitions of ${obs.topic}${scope}` };
    }
    const visibility = obs.leases.value.visibility;
    if (visibility.scope === 'organization') {
      // Row-level security shows the bot one organization's leases: the topic may well belong to another, so its
      // having no leader cannot be told from here (real-systems.md, Streamhouse 1).
      return {
        severity: 'inconclusive',
        title: 'No lease of this topic visible to the bot’s role',
        evidence:
          `partition_leases has no row with topic = '${obs.topic}' visible for organization ` +
          `${visibility.organizationId}; other organizations' leases are hidden from the bot by row-level security, ` +
          'so whether the topic has a leader cannot be told from here',
      };
    }
    return { severity: 'warning', evidence: `partition_leases has no row with topic = '${obs.topic}'` };
  },
};

/**
 * The leases workflow's checks, in report order within a severity (the health workflow reuses the visibility,
 * expired and dead-holder checks).
 */
export const leaseRules: readonly Rule<LeaseObservations>[] = [
  leasesVisibility,
  leasesTopicMissing,
  leasesExpired,
  leasesDeadHolder,
  leasesChurn,
];
