/**
 * One made-up Streamhouse cluster (three agents, three topics, twelve partitions) shared by the HTTP simulator and
 * the metadata seed, so `/admin/agents` and the `agents`/`partition_leases` rows tell the same story. Timings follow
 * the code at HEAD (`reference/targets.md` §3.3): leases last 300 000 ms and are renewed every 10 s; agents
 * heartbeat every 20 s.
 */

/** The organization of the sample cluster (the one in the reference's sample payloads). */
export const SAMPLE_ORG_ID = '3f0c2a7e-1b9d-4c55-9a61-2d7f0e4b8c10';

/** `DEFAULT_LEASE_DURATION_MS` at HEAD (30 000 at the runbook commit). */
export const LEASE_DURATION_MS = 300_000;
/** Lease renewal period (`lease_manager.rs`). */
export const LEASE_RENEW_INTERVAL_MS = 10_000;
/** Agent heartbeat period (`heartbeat.rs`). */
export const HEARTBEAT_INTERVAL_MS = 20_000;

/** What the cluster looks like: every agent alive, one dead but still leasing, one dead with expired leases… */
export type SampleClusterState = 'healthy' | 'agent-dead' | 'expired-lease' | 'lease-churn';

export interface SampleAgent {
  readonly agentId: string;
  readonly address: string;
  readonly availabilityZone: string;
  readonly agentGroup: string;
  readonly lastHeartbeat: number;
  readonly startedAt: number;
}

export interface SampleLease {
  readonly topic: string;
  readonly partition: number;
  readonly holder: string;
  readonly expiresAt: number;
  readonly acquiredAt: number;
  readonly epoch: number;
}

export interface SampleLeaderChange {
  readonly topic: string;
  readonly partition: number;
  readonly from: string | null;
  readonly to: string;
  readonly reason: string;
  readonly epoch: number;
  readonly gapMs: number;
  readonly changedAt: number;
}

export interface SampleCluster {
  readonly organizationId: string;
  readonly topics: readonly { readonly name: string; readonly partitions: number }[];
  readonly agents: readonly SampleAgent[];
  readonly leases: readonly SampleLease[];
  /**
   * Leader changes as the SQLite store records them. Streamhouse's Postgres store never writes `leader_changes`
   * (real-systems.md, Streamhouse 2), so the metadata seed inserts them only when asked to.
   */
  readonly leaderChanges: readonly SampleLeaderChange[];
}

/** The agent that dies in `agent-dead` and `expired-lease`. */
export const DEAD_AGENT_ID = 'agent-us-east-1c-03';
/** The partition whose leader flaps in `lease-churn`. */
export const CHURN_PARTITION = { topic: 'orders', partition: 1 } as const;

const AGENTS = [
  { agentId: 'agent-us-east-1a-01', address: '10.1.4.21:9090', availabilityZone: 'us-east-1a' },
  { agentId: 'agent-us-east-1b-02', address: '10.1.5.22:9090', availabilityZone: 'us-east-1b' },
  { agentId: DEAD_AGENT_ID, address: '10.1.6.23:9090', availabilityZone: 'us-east-1c' },
] as const;

const TOPICS = [
  { name: 'orders', partitions: 6 },
  { name: 'payments', partitions: 3 },
  { name: 'clicks', partitions: 3 },
] as const;

const DAY_MS = 86_400_000;

/** Heartbeat age of the dead agent: 4 min in `agent-dead` (leases still valid), 7 min in `expired-lease`. */
function deadSinceMs(state: SampleClusterState): number | undefined {
  if (state === 'agent-dead') return 240_000;
  if (state === 'expired-lease') return 420_000;
  return undefined;
}

/** The sample cluster as it stands at `nowMs`. Deterministic. */
export function createSampleCluster(state: SampleClusterState, nowMs: number): SampleCluster {
  const deadFor = deadSinceMs(state);
  const agents: SampleAgent[] = AGENTS.map((a, i) => {
    const dead = deadFor !== undefined && a.agentId === DEAD_AGENT_ID;
    return {
      ...a,
      agentGroup: 'default',
      // Alive agents heartbeat every 20 s: their last one is 3–15 s old.
      lastHeartbeat: dead ? nowMs - deadFor : nowMs - 3_000 - i * 6_000,
      startedAt: nowMs - DAY_MS - i * 3_600_000,
    };
  });

  const leases: SampleLease[] = [];
  let k = 0;
  for (const topic of TOPICS) {
    for (let p = 0; p < topic.partitions; p++, k++) {
      const holder = AGENTS[k % AGENTS.length]!.agentId;
      const dead = deadFor !== undefined && holder === DEAD_AGENT_ID;
      // Renewed within the last 10 s while the holder lives; frozen at its last renewal once it died.
      const renewedAt = dead ? nowMs - deadFor - 5_000 : nowMs - ((k * 1_700) % LEASE_RENEW_INTERVAL_MS);
      const churn = state === 'lease-churn' && topic.name === CHURN_PARTITION.topic && p === CHURN_PARTITION.partition;
      // First acquired a day ago (the churned partition 2 min ago). Every 10 s renewal goes through the acquire
      // upsert (real-systems.md, Streamhouse 3): `epoch` rises by one and `acquired_at` resets to the renewal time.
      const firstAcquiredAt = churn ? nowMs - 120_000 : nowMs - DAY_MS + k * 1_000;
      leases.push({
        topic: topic.name,
        partition: p,
        holder: churn ? AGENTS[0]!.agentId : holder,
        expiresAt: renewedAt + LEASE_DURATION_MS,
        acquiredAt: renewedAt,
        epoch: 1 + Math.floor((renewedAt - firstAcquiredAt) / LEASE_RENEW_INTERVAL_MS),
      });
    }
  }

  const leaderChanges: SampleLeaderChange[] = [
    // Initial acquisitions a day ago are outside every "recent" window; one graceful handoff 2 h ago.
    {
      topic: 'payments',
      partition: 0,
      from: AGENTS[2]!.agentId,
      to: AGENTS[0]!.agentId,
      reason: 'graceful_handoff',
      epoch: 4,
      gapMs: 120,
      changedAt: nowMs - 2 * 3_600_000,
    },
  ];
  if (state === 'lease-churn') {
    // orders/1 bounced between agents 1 and 2 six times in the last 12 minutes.
    for (let i = 0; i < 6; i++) {
      leaderChanges.push({
        topic: CHURN_PARTITION.topic,
        partition: CHURN_PARTITION.partition,
        from: AGENTS[i % 2]!.agentId,
        to: AGENTS[(i + 1) % 2]!.agentId,
        reason: 'lease_expired',
        epoch: 8 + i,
        gapMs: 9_000 + i * 500,
        changedAt: nowMs - 720_000 + i * 120_000,
      });
    }
  }

  return { organizationId: SAMPLE_ORG_ID, topics: TOPICS, agents, leases, leaderChanges };
}

/** One registered version of a subject. */
export interface SampleSchemaVersion {
  readonly version: number;
  readonly id: number;
  readonly schemaType: 'AVRO' | 'PROTOBUF' | 'JSON';
  readonly schema: string;
}

/** The sample organization's schema registry: subjects, their versions, and subject-level compatibility. */
export interface SampleSubject {
  readonly subject: string;
  readonly versions: readonly SampleSchemaVersion[];
  /** Subject-level compatibility; undefined: the global level applies. */
  readonly compatibility?: string;
}

const avro = (name: string, fields: readonly string[]): string =>
  JSON.stringify({ type: 'record', name, fields: fields.map((f) => ({ name: f, type: 'string' })) });

/** Global compatibility, seeded `backward` in `schema_registry_global_config`. */
export const SAMPLE_GLOBAL_COMPATIBILITY = 'BACKWARD';

/** The sample registry (ids are global, versions per subject). */
export function createSampleSubjects(): SampleSubject[] {
  return [
    {
      subject: 'orders-value',
      versions: [
        { version: 1, id: 10, schemaType: 'AVRO', schema: avro('Order', ['id']) },
        { version: 2, id: 11, schemaType: 'AVRO', schema: avro('Order', ['id', 'customer']) },
        { version: 3, id: 12, schemaType: 'AVRO', schema: avro('Order', ['id', 'customer', 'amount']) },
      ],
    },
    {
      subject: 'payments-value',
      versions: [
        { version: 1, id: 20, schemaType: 'JSON', schema: JSON.stringify({ type: 'object' }) },
        { version: 2, id: 21, schemaType: 'JSON', schema: JSON.stringify({ type: 'object', required: ['id'] }) },
      ],
      compatibility: 'FULL',
    },
    { subject: 'clicks-value', versions: [{ version: 1, id: 30, schemaType: 'AVRO', schema: avro('Click', ['url']) }] },
  ];
}
