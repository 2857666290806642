/**
 * The one Corvo pipeline, for `/corvo health` and every symptom workflow: the core's {@link diagnoseProbes}
 * (probe failures, nothing-answered short-circuit, the rules, worst first) with Corvo's wording, and a summary line.
 */
import type { CorvoClients } from '../../integrations/corvo/index.js';
import { diagnoseProbes } from '../../src/core/diagnose.js';
import { countsText } from '../../src/core/report.js';
import type { WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import {
  corvoFailureFindings,
  corvoProbesRun,
  isCorvoAnswer,
  type CorvoObservations,
  type ExtraProbe,
} from './observe.js';
import type { CorvoRule } from './rules/helpers.js';
import { readLeadership, readRaftGroups } from './signals.js';

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

/** What a Corvo workflow hands to {@link diagnose}. */
export interface DiagnoseOptions<O extends CorvoObservations> {
  /** The observations, core probes and the workflow's own. */
  readonly obs: O;
  /** Its checks, in report order within a severity. */
  readonly rules: readonly CorvoRule<O>[];
  /** The workflow's own probes, so their failures are reported (and count for "unreachable"). */
  readonly extras?: readonly ExtraProbe[];
  /** Manual steps and copyable commands, shown whatever the findings (also when Corvo is unreachable). */
  readonly notes?: readonly string[];
  /** What the workflow looked at, for the summary ("queue emails: 4,312 pending, paused"). */
  readonly headline?: (obs: O) => string | undefined;
}

/**
 * Turns a Corvo workflow's observations into its result: probe failures are inconclusive findings (one line when
 * nothing answered), then the rules, worst first, and a one-line summary.
 */
export function diagnose<O extends CorvoObservations>(
  ctx: WorkflowContext<CorvoClients>,
  options: DiagnoseOptions<O>,
): WorkflowResult {
  const { obs, extras = [], notes = [] } = options;
  const withNotes = notes.length > 0 ? { notes } : {};
  const { findings, nothingAnswered } = diagnoseProbes({
    obs,
    ran: corvoProbesRun(obs, extras),
    rules: options.rules,
    nowMs: ctx.clock.now(),
    thresholds: ctx.thresholds,
    isAnswer: isCorvoAnswer,
    failureFindings: (failed, allFailed) => corvoFailureFindings(failed, allFailed, ctx.target),
  });
  if (nothingAnswered) {
    return {
      findings,
      summary: findings[0]?.title ?? `Corvo ${ctx.target} could not be checked`,
      ...withNotes,
    };
  }
  const summary = [describeCluster(obs), options.headline?.(obs), countsText(findings)].filter(Boolean).join('; ');
  return { findings, summary, ...withNotes };
}
