import type { ArgSpec } from '../../src/core/command.js';
import type { Remediation } from '../../src/core/remediation.js';
import { TargetError } from '../../src/core/target-error.js';
import type { StreamhouseClients } from '../../integrations/streamhouse/index.js';

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
      ' (one transaction that re-checks holder and epoch)',
    describeEffect: (p) =>
      `Partition ${p.topic}/${p.partition} stops being led by ${p.holder ?? 'its current holder'}: the next agent to ` +
      'acquire it bumps the epoch and takes over, and the old holder is fenced off by the new epoch. Writes to the ' +
      'partition pause until then. Nothing changes if the holder renewed or another agent took over meanwhile.',
    verify: { workflow: 'leases', findingCode: 'streamhouse.leases.dead-holder' },
    async execute({ clients, params, signal }) {
      const topic = params.topic!;
      const partition = Number(params.partition);
      let holder = params.holder;
      let epoch = params.epoch === undefined ? undefined : Number(params.epoch);
      if (holder === undefined || epoch === undefined) {
        // Typed by hand: pin what the lease is now, so the guarded UPDATE still refuses a concurrent change.
        const { leases } = await clients.metadata.leases({ topic, signal });
        const lease = leases.find((l) => l.partition === partition);
        if (!lease) throw new TargetError('api-error', `partition ${topic}/${partition} has no lease row`);
        holder ??= lease.holder;
        epoch ??= lease.epoch;
      }
      const r = await clients.metadata.resetLease(topic, partition, holder, epoch, { signal });
      if (!r.changed) {
        const now = r.lease ? `it is now held by ${r.lease.holder} at epoch ${r.lease.epoch}` : 'it has no lease row';
        return { summary: `nothing changed: the lease moved on (${now})` };
      }
      return {
        summary: `lease of ${topic}/${partition} (holder ${holder}, epoch ${epoch}) expired; the next acquirer takes over`,
      };
    },
  },
];
