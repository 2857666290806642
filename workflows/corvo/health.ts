import type { CorvoClients } from '../../integrations/corvo/index.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { isUnreachable, observeCorvo, probeFailureFindings, type CorvoObservations } from './observe.js';
import { corvoRules, evaluateRules } from './rules.js';
import { readLeadership, readRaftGroups } from './signals.js';
import { countsText, sortFindings } from '../../src/core/report.js';

/** "Leader node-1, 3 nodes", "Multi-raft, 4 groups, leaders node-1, node-2, 3 nodes", "No known leader". */
export function describeCluster(obs: CorvoObservations): string {
  const lead = readLeadership(obs);
  const groups = readRaftGroups(obs);
  const nodes = lead.nodeCount !== undefined ? `, ${lead.nodeCount} node${lead.nodeCount === 1 ? '' : 's'}` : '';
  const via = lead.isLeader === false && lead.selfId ? ` (via follower ${lead.selfId})` : '';
  if (groups && groups.length > 1) {
    const leaderless = groups.filter((g) => !g.status.leader_id).length;
    // One node leading every shard is one leader (`node-1-s00`, `node-1-s01` are node-1's two shards).
    const leaders =
      lead.leaderIds.length === 1 && lead.ledGroups === groups.length
        ? `, leader ${lead.leaderIds[0]} (every shard)`
        : lead.leaderIds.length > 0
          ? `, leaders ${lead.leaderIds.join(', ')}`
          : '';
    const missing = leaderless > 0 ? `, ${leaderless} group${leaderless === 1 ? '' : 's'} without leader` : '';
    return `Multi-raft, ${groups.length} groups${leaders}${missing}${nodes}`;
  }
  if (groups) {
    const leader = lead.leaderIds[0];
    return leader ? `Leader ${leader}${via}${nodes}` : `No known leader${nodes}`;
  }
  if (obs.healthz.ok) {
    return obs.healthz.value.leader ? 'This node is the leader' : `This node is ${obs.healthz.value.raft_state}`;
  }
  return 'Leader unknown';
}

/** `/corvo health`: every probe in parallel, then every rule of the runbook's health and metrics sections. */
export async function runHealth(ctx: WorkflowContext<CorvoClients>): Promise<WorkflowResult> {
  const obs = await observeCorvo(ctx.clients.corvo, ctx.signal);
  const failures = probeFailureFindings(obs, ctx.target);
  if (isUnreachable(obs)) {
    return { findings: failures, summary: failures[0]?.title ?? `Corvo ${ctx.target} could not be checked` };
  }
  const findings = sortFindings([...failures, ...evaluateRules(corvoRules, obs, ctx.clock.now())]);
  ctx.logger.debug({ findings: findings.length }, 'corvo health evaluated');
  return { findings, summary: `${describeCluster(obs)}; ${countsText(findings)}` };
}

export const healthWorkflow: Workflow<CorvoClients> = {
  id: 'health',
  title: 'Corvo health',
  description: 'Checks leadership, apply pipeline, streams, Raft, SQLite mirror, scheduler, queues and workers.',
  run: runHealth,
};
