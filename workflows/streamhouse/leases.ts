import type { StreamhouseClients } from '../../integrations/streamhouse/index.js';
import type { ArgSpec } from '../../src/core/command.js';
import { formatNumber } from '../../src/core/format.js';
import { diagnoseProbes } from '../../src/core/diagnose.js';
import { countsText } from '../../src/core/report.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { LEADER_CHANGES_NOT_RECORDED, SECTION } from './corrections.js';
import { deadHolderLeases, leaseRules, leasesVisible, partitionName, resetLeaseSql, scopeText } from './lease-rules.js';
import { ago, formatAge } from './format.js';
import { PROBES, observeLeases, type LeaseObservations } from './observe.js';
import { ranProbe, serviceFailureFindings } from './probe-findings.js';

/** Streamhouse topic names (Kafka's rule). */
export const TOPIC_ARG: ArgSpec = {
  name: 'topic',
  description: 'topic name',
  required: false,
  pattern: /^[A-Za-z0-9._-]{1,249}$/,
};

/** Leases and leader changes listed in the notes. */
const LISTED_LEASES = 25;
const LISTED_CHANGES = 10;
const LISTED_RESETS = 5;

function notes(obs: LeaseObservations, now: number): string[] {
  const out: string[] = [];
  if (obs.leases.ok && leasesVisible(obs.leases.value.visibility)) {
    const list = obs.leases.value;
    const byPartition = [...list.leases].sort((a, b) =>
      a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
    );
    const rows = byPartition.slice(0, LISTED_LEASES).map((l) => {
      const left = l.expiresAtMs - now;
      const when = left >= 0 ? `in ${formatAge(left)}` : `expired ${formatAge(-left)} ago`;
      return `${partitionName(l)}  leader_agent_id=${l.holder}  epoch=${l.epoch}  lease_expires_at=${l.expiresAtMs} (${when})`;
    });
    if (rows.length > 0) {
      const more = list.total > rows.length ? `\n… ${formatNumber(list.total - rows.length)} more` : '';
      out.push(`partition_leases${scopeText(list.visibility)} (epoch ms):\n${rows.join('\n')}${more}`);
    }
    const stuck = deadHolderLeases(list, now).slice(0, LISTED_RESETS);
    if (stuck.length > 0) {
      out.push(
        'Manual step — hand a blocked partition over now (a no-op if the holder renewed or another agent took over; ' +
          `the next acquirer bumps the epoch):\n${stuck.map(resetLeaseSql).join('\n')}`,
      );
    }
  }
  if (obs.agents.ok && obs.agents.value.length > 0) {
    const rows = obs.agents.value.map((a) => {
      const held =
        a.leaseVisibility.scope === 'hidden'
          ? 'leases=? (hidden by row-level security)'
          : `leases=${a.leases}${a.leaseVisibility.scope === 'organization' ? ' (this organization)' : ''}`;
      return `${a.agentId}  ${a.address}  ${a.availabilityZone}  last_heartbeat=${a.lastHeartbeatMs} (${ago(a.lastHeartbeatMs, now)})  ${held}`;
    });
    out.push(`agents:\n${rows.join('\n')}`);
  }
  if (obs.leaderChanges.ok && obs.leaderChanges.value.length > 0) {
    const rows = obs.leaderChanges.value
      .slice(0, LISTED_CHANGES)
      .map(
        (c) =>
          `${new Date(c.changedAtMs).toISOString()}  ${c.topic}/${c.partition}  ${c.from ?? '—'} → ${c.to}  epoch=${c.epoch}  reason=${c.reason}  gap=${c.gapMs} ms`,
      );
    out.push(`Recent leader_changes (last hour, newest first):\n${rows.join('\n')}`);
  }
  out.push(LEADER_CHANGES_NOT_RECORDED);
  out.push(
    'To query by hand, use the real columns: `SELECT topic, partition_id, leader_agent_id, epoch, lease_expires_at, ' +
      'acquired_at FROM partition_leases ORDER BY lease_expires_at;` (not `agent_id` / `lease_epoch`), as the ' +
      "tables' owner (`-U streamhouse`) or a BYPASSRLS role: under any other role row-level security returns 0 rows " +
      'and no error.',
  );
  return out;
}

function describe(obs: LeaseObservations): string {
  if (!obs.leases.ok) return 'Leases unknown';
  const list = obs.leases.value;
  if (!leasesVisible(list.visibility)) return "Leases hidden from the bot's role by row-level security";
  const topics = new Set(list.leases.map((l) => l.topic)).size;
  const scope = obs.topic !== undefined ? ` of ${obs.topic}` : ` on ${topics} topic${topics === 1 ? '' : 's'}`;
  const org = list.visibility.scope === 'organization' ? ` (organization ${list.visibility.organizationId} only)` : '';
  return `${formatNumber(list.total)} lease${list.total === 1 ? '' : 's'}${scope}${org}`;
}

/** `/streamhouse leases [topic]`. */
export const leasesWorkflow: Workflow<StreamhouseClients> = {
  id: 'leases',
  title: 'Streamhouse partition leases',
  description:
    'Lists partition leases (holder, epoch, expiry), expired leases, leases held by dead agents, and leader changes where recorded; says when row-level security hides leases from the bot.',
  args: [TOPIC_ARG],
  async run(ctx: WorkflowContext<StreamhouseClients>): Promise<WorkflowResult> {
    const now = ctx.clock.now();
    const topic = ctx.args.topic;
    const obs = await observeLeases(ctx.clients, now, ctx.signal, topic);
    const { findings } = diagnoseProbes({
      obs,
      ran: [
        ranProbe('metadata-leases', PROBES.metadataLeases, obs.leases),
        ranProbe('metadata-agents', PROBES.metadataAgents, obs.agents),
        ranProbe('metadata-leader-changes', PROBES.leaderChanges, obs.leaderChanges),
      ],
      rules: leaseRules,
      nowMs: now,
      failureFindings: (failed, allFailed) =>
        serviceFailureFindings('Metadata database of', ctx.target, failed, allFailed, 'metadata', SECTION.database),
    });
    return { findings, summary: `${describe(obs)}; ${countsText(findings)}`, notes: notes(obs, now) };
  },
};
