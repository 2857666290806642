/** The runbook's "Health Check": does the node answer `/healthz`, and who leads. */
import { isTargetError } from '../../../src/core/target-error.js';
import { isUnhealthyAnswer } from '../observe.js';
import { HEALTH_CHECK } from '../sections.js';
import { describeSelf, readLeadership, readRaftGroups } from '../signals.js';
import { leaderHint, perGroup, type CorvoRule } from './helpers.js';

export const healthCheckRules: readonly CorvoRule[] = [
  {
    code: 'corvo.health.unhealthy',
    title: "Corvo reports it can't reach its database",
    okTitle: 'Corvo /healthz answers ok',
    section: HEALTH_CHECK,
    nextStep:
      "The node's database ping failed (503 UNHEALTHY): check the node's disk and data dir and its logs; if only this " +
      'node is affected, restart it (it rejoins from the leader).',
    evaluate(obs) {
      if (!obs.healthz.ok) {
        if (!isUnhealthyAnswer(obs.healthz.error)) return null;
        const err = obs.healthz.error;
        return {
          severity: 'critical',
          evidence: isTargetError(err) ? err.message : 'GET /healthz answered 503 UNHEALTHY',
        };
      }
      const h = obs.healthz.value;
      if (h.status !== 'ok') {
        return {
          severity: 'warning',
          title: `Corvo /healthz says "${h.status}"`,
          evidence: `GET /healthz status "${h.status}", raft_state ${h.raft_state} — expected "ok"`,
        };
      }
      return { severity: 'ok', evidence: `GET /healthz status "ok", raft_state ${h.raft_state}, leader ${h.leader}` };
    },
  },

  {
    code: 'corvo.raft.no-leader',
    title: 'Raft has no known leader',
    okTitle: 'Raft has a leader',
    section: HEALTH_CHECK,
    nextStep:
      'Without a leader, writes fail with 503 LEADER_UNAVAILABLE and the scheduler does not run. Check that a quorum ' +
      'of voters is up and that the Raft port (`--raft-bind`, default :9000) is open between the nodes; watch ' +
      '`corvo_raft_state` on each node for flapping (network partitions, overloaded nodes, disk I/O stalls).',
    evaluate(obs) {
      const lead = readLeadership(obs);
      const part = perGroup(readRaftGroups(obs), (s) => {
        const self = s.node_id ? `${s.node_id} is ${s.state ?? 'in an unknown state'}` : `state ${s.state ?? '?'}`;
        if (s.state === 'Shutdown') return { severity: 'critical', text: `${self}: raft is shut down on this node` };
        if (!s.leader_id) return { severity: 'critical', text: `no known leader (${self})` };
        if (s.state === 'Leader') return { severity: 'ok', text: `${s.node_id ?? 'this node'} is the leader` };
        return {
          severity: 'ok',
          text: `${self}; leader is ${s.leader_id}${s.leader_addr ? ` (${s.leader_addr})` : ''}`,
        };
      });
      if (part) {
        const nodes = lead.nodeCount !== undefined ? ` — ${lead.nodeCount} nodes` : '';
        const follower = part.severity === 'ok' && lead.isLeader === false;
        return {
          severity: part.severity,
          evidence: part.text + nodes,
          nextStep: follower
            ? `The bot probed a follower: writes and remediations sent to ${describeSelf(lead)} are forwarded to ` +
              `${leaderHint(lead)} on this node's own HTTP port — they work only if every node uses the same HTTP ` +
              'port, else they fail with 503 FORWARD_LOOP (then point the target at the leader). The scheduler runs ' +
              'only on the leader, and workers must stream from the leader (a follower answers NOT_LEADER).'
            : undefined,
        };
      }
      if (!obs.healthz.ok) return null;
      // Cluster status unavailable: /healthz alone can tell a leader, not who leads when this node follows.
      const h = obs.healthz.value;
      if (h.leader) return { severity: 'ok', evidence: `GET /healthz: raft_state ${h.raft_state}, leader true` };
      if (h.raft_state === 'Candidate' || h.raft_state === 'Shutdown') {
        return {
          severity: 'critical',
          evidence: `GET /healthz: raft_state ${h.raft_state} — ${h.raft_state === 'Candidate' ? 'an election is under way' : 'raft is shut down on this node'}`,
        };
      }
      return {
        severity: 'inconclusive',
        title: 'Raft leader not confirmed',
        evidence: `GET /healthz: raft_state ${h.raft_state}, leader false; the cluster status (which names the leader) could not be read`,
      };
    },
  },
];
