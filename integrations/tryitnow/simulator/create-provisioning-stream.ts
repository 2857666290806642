/**
 * Test support: builds the JetStream layout Try It Now creates (`reference/targets.md` §5.3,
 * `internal/queue/nats.go`) on a real NATS server, and publishes tasks into it. Never used in production — where,
 * notably, nothing publishes to this stream at all.
 */
import { randomUUID } from 'node:crypto';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JSONCodec,
  RetentionPolicy,
  StorageType,
  connect,
  headers,
  nanos,
  type NatsConnection,
} from 'nats';

export interface ProvisioningStreamOptions {
  /** `ProvisionTask` messages to publish on `<stream>.provision`. Default 0. */
  readonly provisionMessages?: number;
  /** `CleanupTask` messages to publish on `<stream>.cleanup` (after the provision ones). Default 0. */
  readonly cleanupMessages?: number;
  /** `NATS_WORKER_COUNT`; MaxAckPending is twice this. Default 3. */
  readonly workerCount?: number;
}

export interface ProvisioningStream {
  readonly stream: string;
  readonly provisionSubject: string;
  readonly cleanupSubject: string;
  /** Stream sequences of the published provision and cleanup tasks, in order. */
  readonly provisionSeqs: readonly number[];
  readonly cleanupSeqs: readonly number[];
}

/** The consumers Try It Now's workers pull from. */
export const PROVISION_CONSUMER = 'provision-workers';
export const CLEANUP_CONSUMER = 'cleanup-workers';

const jc = JSONCodec();

/**
 * Creates stream `streamName` as Try It Now does (subjects `<stream>.provision` and `<stream>.cleanup`, WorkQueue
 * retention, file storage, 1 replica, MaxAge 24 h, no limits, discard old) with its two durable pull consumers
 * (`provision-workers`: AckWait 30 s, MaxDeliver 5; `cleanup-workers`: AckWait 60 s, MaxDeliver 3; explicit ack,
 * MaxAckPending 2 × workers), then publishes the tasks, each with `Nats-Msg-Id` = `task_id`.
 */
export async function createProvisioningStream(
  natsUrl: string,
  streamName: string,
  options: ProvisioningStreamOptions = {},
): Promise<ProvisioningStream> {
  const nc = await connect({ servers: natsUrl.replace(/^nats:\/\//, ''), reconnect: false });
  try {
    return await build(nc, streamName, options);
  } finally {
    await nc.close();
  }
}

async function build(nc: NatsConnection, stream: string, o: ProvisioningStreamOptions): Promise<ProvisioningStream> {
  const provisionSubject = `${stream}.provision`;
  const cleanupSubject = `${stream}.cleanup`;
  const maxAckPending = 2 * (o.workerCount ?? 3);
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({
    name: stream,
    subjects: [provisionSubject, cleanupSubject],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: 1,
    max_age: nanos(24 * 60 * 60 * 1000),
    max_msgs: -1,
    max_bytes: -1,
    max_consumers: -1,
    discard: DiscardPolicy.Old,
  });
  await jsm.consumers.add(stream, {
    durable_name: PROVISION_CONSUMER,
    filter_subject: provisionSubject,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(30_000),
    max_deliver: 5,
    max_ack_pending: maxAckPending,
    deliver_policy: DeliverPolicy.All,
  });
  await jsm.consumers.add(stream, {
    durable_name: CLEANUP_CONSUMER,
    filter_subject: cleanupSubject,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(60_000),
    max_deliver: 3,
    max_ack_pending: maxAckPending,
    deliver_policy: DeliverPolicy.All,
  });

  const js = nc.jetstream();
  const now = new Date().toISOString();
  const provisionSeqs: number[] = [];
  for (let i = 0; i < (o.provisionMessages ?? 0); i++) {
    const taskId = randomUUID();
    const h = headers();
    h.set('Nats-Msg-Id', taskId);
    const ack = await js.publish(provisionSubject, jc.encode({ task_id: taskId, priority: 0, created_at: now }), {
      headers: h,
    });
    provisionSeqs.push(ack.seq);
  }
  const cleanupSeqs: number[] = [];
  for (let i = 0; i < (o.cleanupMessages ?? 0); i++) {
    const taskId = randomUUID();
    const h = headers();
    h.set('Nats-Msg-Id', taskId);
    const instanceId = `inst-${i}`;
    const ack = await js.publish(
      cleanupSubject,
      jc.encode({
        task_id: taskId,
        instance_id: instanceId,
        container_id: `c-${i}`,
        db_prefix: `demo_${i}_`,
        hostname: `${instanceId}.demo.local`,
        port: 20000 + i,
        created_at: now,
      }),
      { headers: h },
    );
    cleanupSeqs.push(ack.seq);
  }
  return { stream, provisionSubject, cleanupSubject, provisionSeqs, cleanupSeqs };
}
