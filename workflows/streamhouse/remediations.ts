import type { ArgSpec } from '../../src/core/command.js';
import type { Remediation } from '../../src/core/remediation.js';
import { refusedBeforeWrite } from '../../src/core/target-error.js';
import type {
  LeaseState,
  LeaseVisibility,
  ResetLeaseResult,
  StreamhouseClients,
} from '../../integrations/streamhouse/index.js';
import { LEASE_THRESHOLDS, hiddenText, leasesVisible, scopeText } from './lease-rules.js';
import { ago, formatAge } from './format.js';

const TOPIC: ArgSpec = { name: 'topic', description: 'topic name', required: true, pattern: /^[A-Za-z0-9._-]{1,249}$/ };
const PARTITION: ArgSpec = {
  name: 'partition',
  description: 'partition number',
  required: true,
  pattern: /^\d{1,10}$/,
};
/** Pinned by the offer on a finding: the holder and epoch the operator saw. Optional when typed by hand. */
const HOLDER: ArgSpec = {
  name: 'holder',
  description: 'expected leader_agent_id',
  required: false,
  pattern: /^[A-Za-z0-9._:-]{1,255}$/,
};
const EPOCH: ArgSpec = { name: 'epoch', description: 'expected epoch', required: false, pattern: /^\d{1,18}$/ };

/** Streamhouse fixes that go through its metadata store. Circuit reset, scaling and restarts are manual steps. */
export const streamhouseRemediations: readonly Remediation<StreamhouseClients>[] = [
  {
    id: 'reset-lease',
    title: 'Reset partition lease',
    description: "Expire a partition's lease so another agent takes it over (needs a second person's approval).",
    level: 'approval',
    destructive: true,
    params: [TOPIC, PARTITION, HOLDER, EPOCH],
    describeCall: (p) =>
      `UPDATE partition_leases SET lease_expires_at = <now − 60 s> WHERE topic = '${p.topic}' AND partition_id = ` +
      `${p.partition}${p.holder ? ` AND leader_agent_id = '${p.holder}'` : ''}${p.epoch ? ` AND epoch = ${p.epoch}` : ''}` +
      ' — in one transaction that first re-reads the lease FOR UPDATE and refuses unless it is still what the card ' +
      'showed: same holder, same epoch (a live holder bumps it on every 10 s renewal), holder still without a heartbeat',
    describeEffect: (p) =>
      `Partition ${p.topic}/${p.partition} stops being led by ${p.holder ?? 'its current holder'}: the next agent to ` +
      'acquire it bumps the epoch and takes over, and the old holder is fenced off by the new epoch. Writes to the ' +
      'partition pause until then. Nothing changes if the holder renewed, heartbeats again, or another agent took ' +
      'over meanwhile — the result says which.',
    verify: { workflow: 'leases', findingCode: 'streamhouse.leases.dead-holder' },
    async execute({ clients, params, signal, clock }) {
      const topic = params.topic!;
      const partition = Number(params.partition);
      const name = `${topic}/${partition}`;
      let holder = params.holder;
      const epoch = params.epoch === undefined ? undefined : Number(params.epoch);
      if (holder === undefined) {
        // Typed by hand: the holder is whoever holds it now; the reset still refuses unless that holder is dead.
        const { leases, visibility } = await clients.metadata.leases({ topic, signal });
        if (!leasesVisible(visibility)) throw refusedBeforeWrite(`nothing changed: ${hiddenRefusal(name, visibility)}`);
        const lease = leases.find((l) => l.partition === partition);
        if (!lease) throw refusedBeforeWrite(`nothing changed: ${name} has no lease row${scopeText(visibility)}`);
        holder = lease.holder;
      }
      const r = await clients.metadata.resetLease(
        topic,
        partition,
        { holder, epoch, deadAfterMs: LEASE_THRESHOLDS.heartbeatDeadMs },
        { signal },
      );
      if (r.changed) {
        return {
          summary:
            `lease of ${name} (holder ${r.lease.holder}, epoch ${r.lease.epoch}, ` +
            `${heartbeatText(r.lease, clock.now())}) expired; the next acquirer takes over`,
        };
      }
      // The conditional UPDATE matched no row: the lease is not what the card showed, so nothing was written.
      throw refusedBeforeWrite(`nothing changed: ${refusalText(name, holder, epoch, r, clock.now())}`);
    },
  },
];

function heartbeatText(l: LeaseState, nowMs: number): string {
  return l.holderHeartbeatMs === null ? 'no agent row' : `last heartbeat ${ago(l.holderHeartbeatMs, nowMs)}`;
}

/** Row-level security hides the lease: say that, never "it has no lease row". */
function hiddenRefusal(name: string, v: LeaseVisibility): string {
  return `the bot cannot see the lease of ${name} — ${hiddenText(v)}. Give its role a view of the leases (owner, BYPASSRLS or organizationId; see /streamhouse leases)`;
}

/** Why the re-read lease is not what the card showed, with its current state. */
function refusalText(
  name: string,
  holder: string,
  epoch: number | undefined,
  r: Extract<ResetLeaseResult, { changed: false }>,
  nowMs: number,
): string {
  const l = r.lease;
  const state = l
    ? `held by ${l.holder} at epoch ${l.epoch}, ${l.expiresAtMs >= nowMs ? `expires in ${formatAge(l.expiresAtMs - nowMs)}` : `expired ${ago(l.expiresAtMs, nowMs)}`}, ${heartbeatText(l, nowMs)}`
    : '';
  switch (r.refusal) {
    case 'hidden':
      return hiddenRefusal(name, r.visibility);
    case 'no-row':
      return `${name} has no lease row${scopeText(r.visibility)}${r.visibility.scope === 'organization' ? " (other organizations' leases are not visible to the bot)" : ''}`;
    case 'holder-changed':
      return `the lease of ${name} moved on: the card showed ${holder}, it is now ${state}`;
    case 'renewed':
      return `${holder} renewed the lease of ${name} since the card (epoch ${epoch ?? '?'} → ${l!.epoch}; every 10 s renewal bumps it), so it is alive: ${state}`;
    case 'holder-alive':
      return `${holder} is heartbeating, so it is not dead: ${state}`;
    case 'already-expired':
      return `the lease of ${name} already expired, so any agent can take it over without a reset: ${state}`;
  }
}
