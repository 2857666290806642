import type { CorvoClients } from '../../integrations/corvo/index.js';
import { formatNumber } from '../../src/core/format.js';
import type { Workflow } from '../../src/core/workflow.js';
import { manualSteps } from './manual-steps.js';
import { observeCorvo } from './observe.js';
import { diagnose } from './diagnose.js';
import type { CorvoRule } from './rules/helpers.js';
import { SECTIONS } from './sections.js';
import { isMultiRaft, readLeadership, readRaftGroups } from './signals.js';

const n = formatNumber;

const JOIN_CORRECTION =
  'The runbook says SHARD_COUNT_MISMATCH means the joining node has a different `--raft-shards` than the leader: ' +
  "only a multi-raft leader (`--raft-shards > 1`) checks it, against the join body's `shard_count` (409). Its " +
  'manual join `curl` sends no API key: `/api/v1/cluster/join` needs an admin or operator key when keys are ' +
  'enabled (401 otherwise). A node started with `--join` also posts its join without a key, so on such a cluster ' +
  'it gets 401 (inferred from the code) and must be added by hand.';

const members: CorvoRule = {
  code: 'corvo.join.members',
  title: 'No leader to accept a join',
  okTitle: 'Cluster members',
  section: SECTIONS.clusterJoin,
  nextStep:
    'A join goes to the leader (a follower proxies it): without one it fails with 503 LEADER_UNAVAILABLE. Restore ' +
    'the quorum first (`/corvo leader-instability`).',
  evaluate(obs) {
    const groups = readRaftGroups(obs);
    if (!groups) return null;
    const lead = readLeadership(obs);
    const describe = (g: (typeof groups)[number]): string => {
      const nodes = g.status.nodes ?? [];
      const list = nodes.map((node) => `${node.id} ${node.address}${node.voter ? '' : ' (non-voter)'}`).join(', ');
      const leader = g.status.leader_id ? `leader ${g.status.leader_id}` : 'no leader';
      return `${g.label ? `${g.label}: ` : ''}${leader}; ${n(nodes.length)} node${nodes.length === 1 ? '' : 's'}: ${list || 'none listed'}`;
    };
    const leaderless = groups.filter((g) => !g.status.leader_id);
    const mode = isMultiRaft(obs) ? `multi-raft, ${n(groups.length)} shards` : 'single raft (--raft-shards 1)';
    const nodes = lead.nodeCount ?? 0;
    return {
      severity: leaderless.length > 0 ? 'critical' : 'ok',
      title:
        leaderless.length > 0
          ? undefined
          : `${n(nodes)} node${nodes === 1 ? '' : 's'}, ${mode}, leader ${lead.leaderIds.join(', ')}`,
      evidence:
        `${mode}; ${groups.map(describe).join(' | ')}. A node that joins again with the same id and address is ` +
        'answered `"added": false` (already a voter).',
    };
  },
};

const errorCodes: CorvoRule = {
  code: 'corvo.join.error-codes',
  title: 'Join errors this cluster can return',
  okTitle: 'Join errors this cluster can return',
  section: SECTIONS.clusterJoin,
  nextStep:
    "SHARD_COUNT_MISMATCH: restart the joining node with the leader's `--raft-shards`. JOIN_ERROR: raft refused " +
    "to add the voter — the reason is in the leader's log around the join. 401: add the node by hand with a key " +
    '(notes).',
  runbookCorrection: JOIN_CORRECTION,
  evaluate(obs) {
    const groups = readRaftGroups(obs);
    if (!groups) return null;
    const multi = isMultiRaft(obs);
    const shards = multi ? groups.length : 1;
    const mismatch = multi
      ? `This leader runs multi-raft with ${n(shards)} shards: a join whose \`shard_count\` is not ${n(shards)} ` +
        `gets 409 SHARD_COUNT_MISMATCH — start the joining node with \`--raft-shards ${shards}\`.`
      : 'This cluster runs single raft: its leader never answers 409 SHARD_COUNT_MISMATCH (only a multi-raft ' +
        "leader compares the join's `shard_count`).";
    return {
      severity: 'ok',
      title: multi
        ? `A joining node must run --raft-shards ${shards} (else 409 SHARD_COUNT_MISMATCH)`
        : 'SHARD_COUNT_MISMATCH cannot come from this single-raft leader',
      evidence:
        `${mismatch} Any other AddVoter error is 400 JOIN_ERROR (the cause is in the leader's log); a join without ` +
        'an API key on a cluster with keys is 401 UNAUTHORIZED; with no leader, 503 LEADER_UNAVAILABLE.',
      // Shown whatever the cluster's state: the runbook's join command itself misleads.
      runbookCorrection: JOIN_CORRECTION,
    };
  },
};

/** The checks of "Cluster Join Failures", in report order. Nothing here joins anything. */
export const clusterJoinRules: readonly CorvoRule[] = [members, errorCodes];

export const clusterJoinErrorsWorkflow: Workflow<CorvoClients> = {
  id: 'cluster-join-errors',
  title: 'Corvo cluster join',
  description:
    'Current nodes and shards, what SHARD_COUNT_MISMATCH and JOIN_ERROR mean here, the manual join (never run).',
  async run(ctx) {
    const obs = await observeCorvo(ctx.clients.corvo, ctx.signal, ['healthz', 'clusterStatus']);
    return diagnose(ctx, { obs, rules: clusterJoinRules, notes: [manualSteps.manualJoin, manualSteps.recoverNode] });
  },
};
