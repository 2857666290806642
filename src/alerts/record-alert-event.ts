import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type pg from 'pg';
import type { AlertEvent } from '../core/alert.js';
import type { AlertDeliveryMeta, AlertIntake, AlertSeen } from '../core/alert-intake.js';
import type { AlertEventJob } from '../jobs/job-schemas.js';

/** BullMQ job id of an event's processing job (no `:`; stable, so a re-queue maps onto a job still in Redis). */
export function alertEventJobId(eventId: string): string {
  return `ae-${createHash('sha256').update(eventId).digest('hex').slice(0, 32)}`;
}

/**
 * One statement: insert the event unless it exists, marked queued (the queueing runs alongside; if it fails the mark
 * is taken back, and if the process dies in between the worker's sweep re-queues it), and tell whether it was new and
 * whether it was already queued. (When a concurrent first delivery of the same event is still in flight, neither
 * branch returns a row.) Prepared once per connection: it is the one statement of every new event.
 */
const RECORD = {
  name: 'rbb-record-alert-event',
  text: `
  with ins as (
    insert into alert_events (id, source, external_id, event_type, occurred_at, delivery_id, event, queued_at)
    values ($1, $2, $3, $4, $5, $6, $7, now())
    on conflict (id) do nothing
    returning queued_at
  )
  select true as inserted, null::timestamptz as queued_at from ins
  union all
  select false, queued_at from alert_events where id = $1 and not exists (select 1 from ins)`,
};

/** Rejects with `what took longer than ms` unless `promise` settles first. */
async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Event ids this process knows are recorded and queued. These are immutable facts (an event once recorded and
 * queued stays so), so caching them changes no outcome: a miss asks Postgres, and every process may hold a different
 * subset. Bounded (least recently used first out), so memory stays flat whatever PagerDuty sends.
 */
export class KnownEvents {
  readonly #ids = new Map<string, true>();

  constructor(readonly capacity = 50_000) {}

  has(id: string): boolean {
    if (!this.#ids.has(id)) return false;
    this.#ids.delete(id);
    this.#ids.set(id, true);
    return true;
  }

  add(id: string): void {
    this.#ids.delete(id);
    this.#ids.set(id, true);
    if (this.#ids.size > this.capacity) this.#ids.delete(this.#ids.keys().next().value!);
  }
}

/**
 * The web side of every alert webhook: record the event in Postgres (the dedupe record: a redelivery finds it) and
 * queue its processing in Redis, then remember that both were done. Resolves only when both stores have it; a
 * redelivery of an event already recorded and queued changes nothing. An event recorded whose queueing failed is
 * queued by its redelivery (or by the worker's sweep). A new event costs one Postgres statement and one Redis call,
 * made at the same time.
 */
export function createAlertIntake(deps: {
  db: pg.Pool;
  queue: Queue<AlertEventJob>;
  known?: KnownEvents;
  /**
   * Longest the recording may take, ms (default 3000): senders give up after 5 s (PagerDuty) and a store that hangs
   * instead of failing (a half-open connection) must still turn into a 503 they will retry.
   */
  deadlineMs?: number;
}): AlertIntake {
  const deadlineMs = deps.deadlineMs ?? 3000;
  // Queueing gets two thirds of the budget, so that taking back the queued mark fits in the rest.
  const queueMs = Math.max(1, Math.floor((deadlineMs * 2) / 3));

  const insert = (event: AlertEvent, meta: AlertDeliveryMeta) =>
    deps.db.query<{ inserted: boolean; queued_at: Date | null }>({
      ...RECORD,
      values: [
        event.eventId,
        event.source,
        event.externalId,
        event.type,
        event.occurredAt,
        meta.deliveryId ?? null,
        JSON.stringify(event),
      ],
    });
  const queue = (eventId: string) =>
    withDeadline(
      deps.queue.add('event', { kind: 'event', eventId }, { jobId: alertEventJobId(eventId) }),
      queueMs,
      'queueing',
    );

  // Both stores at once: the acknowledgement waits for the slower, not for the sum. A job that runs before its row
  // is committed waits for it (the worker defers an event it cannot find yet); the job id makes queueing a
  // redelivery a no-op.
  const record: AlertIntake = async (event, meta) => {
    const [recorded, queued] = await Promise.allSettled([insert(event, meta), queue(event.eventId)]);
    if (recorded.status === 'rejected') throw recorded.reason;
    const row = recorded.value.rows[0];
    if (queued.status === 'rejected') {
      // Not queued (or not known to be): take the mark back so that the redelivery queues it; the sweep covers a
      // failure of this statement too (marked long ago, never processed).
      if (row?.inserted) {
        await deps.db
          .query(`update alert_events set queued_at = null where id = $1`, [event.eventId])
          .catch(() => undefined);
      }
      throw queued.reason;
    }
    // Recorded earlier but its queueing failed then: it is queued now, mark it.
    if (row && !row.inserted && !row.queued_at) {
      await deps.db.query(`update alert_events set queued_at = now() where id = $1 and queued_at is null`, [
        event.eventId,
      ]);
    }
    deps.known?.add(event.eventId);
    return row?.inserted ? 'accepted' : 'duplicate';
  };

  return (event, meta) => withDeadline(record(event, meta), deadlineMs, 'recording');
}

/**
 * Whether an event is known to be recorded and queued already: the redelivery fast path of the webhooks. Answers
 * from this process's {@link KnownEvents} only; on a miss the webhook takes the full path, whose single recording
 * statement also recognizes a redelivery (so a new event costs no extra round trip).
 */
export function createAlertSeen(known: KnownEvents): AlertSeen {
  return async (eventId) => known.has(eventId);
}
