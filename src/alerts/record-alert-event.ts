import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type pg from 'pg';
import type { AlertIntake, AlertSeen } from '../core/alert-intake.js';
import type { AlertEventJob } from '../jobs/job-schemas.js';

/** BullMQ job id of an event's processing job (no `:`; stable, so a re-queue maps onto a job still in Redis). */
export function alertEventJobId(eventId: string): string {
  return `ae-${createHash('sha256').update(eventId).digest('hex').slice(0, 32)}`;
}

/**
 * One statement: insert the event unless it exists, and tell whether it was new and whether it was already queued.
 * (When a concurrent first delivery of the same event is still in flight, neither branch returns a row.)
 */
const RECORD = `
  with ins as (
    insert into alert_events (id, source, external_id, event_type, occurred_at, delivery_id, event)
    values ($1, $2, $3, $4, $5, $6, $7)
    on conflict (id) do nothing
    returning queued_at
  )
  select true as inserted, null::timestamptz as queued_at from ins
  union all
  select false, queued_at from alert_events where id = $1 and not exists (select 1 from ins)`;

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
 * The web side of every alert webhook: record the event in Postgres (the dedupe record: a redelivery finds it), then
 * queue its processing in Redis, then remember that it was queued. Resolves only when both stores have it; a
 * redelivery of an event already recorded and queued costs one query and changes nothing. An event recorded whose
 * queueing failed is queued by its redelivery (or by the worker's sweep).
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
  const record = recordAndQueue(deps);
  const deadlineMs = deps.deadlineMs ?? 3000;
  return (event, meta) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`recording took longer than ${deadlineMs} ms`)), deadlineMs);
    });
    return Promise.race([record(event, meta), deadline]).finally(() => clearTimeout(timer));
  };
}

function recordAndQueue(deps: { db: pg.Pool; queue: Queue<AlertEventJob>; known?: KnownEvents }): AlertIntake {
  return async (event, meta) => {
    const { rows } = await deps.db.query<{ inserted: boolean; queued_at: Date | null }>(RECORD, [
      event.eventId,
      event.source,
      event.externalId,
      event.type,
      event.occurredAt,
      meta.deliveryId ?? null,
      JSON.stringify(event),
    ]);
    const row = rows[0];
    if (row && !row.inserted && row.queued_at) {
      deps.known?.add(event.eventId);
      return 'duplicate';
    }
    await deps.queue.add('event', { kind: 'event', eventId: event.eventId }, { jobId: alertEventJobId(event.eventId) });
    await deps.db.query(`update alert_events set queued_at = now() where id = $1 and queued_at is null`, [
      event.eventId,
    ]);
    deps.known?.add(event.eventId);
    return row?.inserted ? 'accepted' : 'duplicate';
  };
}

/**
 * Whether an event is known to be recorded and queued already: the redelivery fast path of the webhooks. Answers
 * from this process's {@link KnownEvents} only; on a miss the webhook takes the full path, whose single recording
 * statement also recognizes a redelivery (so a new event costs no extra round trip).
 */
export function createAlertSeen(known: KnownEvents): AlertSeen {
  return async (eventId) => known.has(eventId);
}
