import type { CorvoClients, RaftGroupStatus } from '../../integrations/corvo/index.js';
import { formatNumber } from '../../src/core/format.js';
import type { Severity } from '../../src/core/report.js';
import type { Workflow } from '../../src/core/workflow.js';
import { manualSteps } from './manual-steps.js';
import { observeCorvo } from './observe.js';
import { diagnose } from './diagnose.js';
import { MULTI_RAFT_CORRECTION } from './rules/corrections.js';
import { perGroup, type CorvoRule } from './rules/helpers.js';
import { reuseRule } from './rules/index.js';
import { SECTIONS } from './sections.js';
import { isMultiRaft, readMetric, readRaftGroups } from './signals.js';

const n = formatNumber;

/** `corvo_raft_state` values (unknown states print 0). */
const RAFT_STATE_NAMES = ['Follower', 'Candidate', 'Leader', 'Shutdown'] as const;

const raftState: CorvoRule = {
  code: 'corvo.raft.state',
  title: 'Raft state unstable',
  okTitle: 'Raft state consistent',
  section: SECTIONS.leaderInstability,
  nextStep:
    'An election is under way, or the state changed between two reads taken at the same moment: run the check ' +
    'again in a minute and compare. Look for the causes in the notes (network partition, blocked Raft port, an ' +
    'overloaded node, disk stalls).',
  evaluate(obs) {
    const groups = readRaftGroups(obs);
    const statusState = groups?.[0]?.status.state;
    const healthState = obs.healthz.ok ? obs.healthz.value.raft_state : undefined;
    const metric = readMetric(obs, 'corvo_raft_state');
    const multi = isMultiRaft(obs);
    const metricName = metric !== undefined ? (RAFT_STATE_NAMES[metric] ?? `unknown ${metric}`) : undefined;
    if (statusState === undefined && healthState === undefined && metric === undefined) return null;

    const sources = [
      statusState !== undefined ? `cluster status ${statusState}${multi ? ' (shard 0)' : ''}` : '',
      healthState !== undefined ? `/healthz ${healthState}` : '',
      metric !== undefined ? `corvo_raft_state ${n(metric)} (${metricName})` : '',
    ].filter(Boolean);
    const states = [statusState, healthState, multi ? undefined : metricName].filter((s): s is string => !!s);
    const current = states[0] ?? 'unknown';
    const disagree = new Set(states).size > 1;
    let severity: Severity = 'ok';
    if (current === 'Shutdown') severity = 'critical';
    else if (disagree || states.includes('Candidate')) severity = 'warning';
    const shardStates =
      multi && groups ? `; groups: ${groups.map((g) => `${g.label ?? '?'} ${g.status.state ?? '?'}`).join(', ')}` : '';
    return {
      severity,
      title:
        severity === 'ok'
          ? `Raft state ${current}`
          : disagree
            ? `Raft state changed between reads (${[...new Set(states)].join(' vs ')})`
            : current === 'Candidate'
              ? 'This node is a Candidate: an election is under way'
              : 'Raft is shut down on this node',
      evidence:
        `${sources.join(', ')}${shardStates} — expected Leader or Follower, the same in every source` +
        (multi ? '; corvo_raft_state is not compared: multi-raft prints 0 on every node' : ''),
      runbookCorrection: multi ? MULTI_RAFT_CORRECTION : undefined,
    };
  },
};

function votersOf(status: RaftGroupStatus): { voters: number; others: number; list: string } {
  const nodes = status.nodes ?? [];
  const voters = nodes.filter((node) => node.voter).length;
  const list = nodes
    .map((node) => {
      const tags = [
        node.voter ? '' : 'non-voter',
        node.id === status.leader_id ? 'leader' : '',
        node.self ? 'probed' : '',
      ].filter(Boolean);
      return `${node.id} ${node.address}${tags.length > 0 ? ` (${tags.join(', ')})` : ''}`;
    })
    .join(', ');
  return { voters, others: nodes.length - voters, list };
}

const raftVoters: CorvoRule = {
  code: 'corvo.raft.voters',
  title: 'Raft membership weakens elections',
  okTitle: 'Raft voters',
  section: SECTIONS.leaderInstability,
  nextStep:
    'An even number of voters tolerates no more failures than one voter fewer and makes split votes more likely; ' +
    'a leader missing from the member list means the configuration changed under it. Fix the membership (add or ' +
    'remove a voter; manual join in `/corvo cluster-join-errors`).',
  evaluate(obs) {
    const groups = readRaftGroups(obs);
    const first = groups?.[0]?.status;
    if (!first?.nodes || first.nodes.length === 0) return null;
    let summary = '';
    const part = perGroup(groups, (s) => {
      if (!s.nodes || s.nodes.length === 0) return undefined;
      const { voters, others, list } = votersOf(s);
      const quorum = Math.floor(voters / 2) + 1;
      const tolerates = Math.max(0, voters - quorum);
      const leaderListed = !s.leader_id || s.nodes.some((node) => node.id === s.leader_id);
      const even = voters > 0 && voters % 2 === 0;
      summary ||= `${n(voters)} voter${voters === 1 ? '' : 's'}, quorum ${n(quorum)}, tolerates ${n(tolerates)} down`;
      return {
        severity: even || !leaderListed ? 'warning' : 'ok',
        text:
          `${n(voters)} voter${voters === 1 ? '' : 's'}${others > 0 ? ` and ${n(others)} non-voter${others === 1 ? '' : 's'}` : ''}: ` +
          `${list}; quorum ${n(quorum)}, tolerates ${n(tolerates)} node${tolerates === 1 ? '' : 's'} down` +
          (even ? ' — an even number of voters adds no fault tolerance' : '') +
          (leaderListed ? '' : ` — leader ${s.leader_id} is not among the members`),
      };
    });
    if (!part) return null;
    return {
      severity: part.severity,
      title: part.severity === 'ok' ? `Raft voters: ${summary}` : undefined,
      evidence: part.text,
    };
  },
};

/** The checks of "Leader Instability / Frequent Elections", in report order. */
export const leaderInstabilityRules: readonly CorvoRule[] = [
  reuseRule('corvo.raft.no-leader'),
  raftState,
  raftVoters,
  reuseRule('corvo.raft.replication-lag'),
  reuseRule('corvo.metrics.invalid-exposition'),
];

const FLAPPING_NOTE =
  'One scrape cannot see flapping: run `/corvo leader-instability` again in a minute, against every node ' +
  '(`--target`), or graph `changes(corvo_raft_state[15m])` and `corvo_cluster_is_leader` per node in Prometheus. ' +
  'Causes per the runbook: network partitions between nodes; the Raft port (`--raft-bind`, default :9000) ' +
  'blocked by a firewall; a node too overloaded to answer heartbeats in time (`/corvo runtime`, ' +
  '`/corvo apply-overloaded`); disk I/O stalls, especially with `--durable`.';

export const leaderInstabilityWorkflow: Workflow<CorvoClients> = {
  id: 'leader-instability',
  title: 'Corvo leader stability',
  description: "Raft state, leader, voters and commit/applied lag, and how to catch flapping one scrape can't see.",
  async run(ctx) {
    const obs = await observeCorvo(ctx.clients.corvo, ctx.signal, ['healthz', 'clusterStatus', 'metrics']);
    return diagnose(ctx, {
      obs,
      rules: leaderInstabilityRules,
      notes: [FLAPPING_NOTE, manualSteps.killStuckServer, manualSteps.recoverNode],
    });
  },
};
