/**
 * Applying alert events to incidents on a real Postgres (one fresh database per file): idempotence, out-of-order
 * snapshots, in-order application of one incident's events, routing at creation, and exact storm counting when many
 * processors run at once.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/support/namespace.js';
import type { AlertEvent } from '../core/alert.js';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { migrate } from '../store/migrate.js';
import { incidentIdFor } from './incident-store.js';
import { processAlertEvent, type ProcessAlertEventDeps } from './process-alert-event.js';

let db: pg.Pool;
let deps: ProcessAlertEventDeps;

beforeAll(async () => {
  db = new pg.Pool({ connectionString: await createTestDatabase(), max: 20 });
  await migrate(db, silentLogger);
  deps = {
    db,
    rules: {
      pagerduty: [{ match: { service: 'Corvo Production' }, system: 'corvo', target: 'prod', channel: 'incidents' }],
      alertmanager: [],
    },
    channels: { incidents: { slack: 'C0INC' } },
    workflowsOf: () => ['health', 'sqlite-diverged'],
    targetsOf: () => ['prod'],
    platforms: ['slack'],
    storm: { threshold: 5, windowMs: 60_000 },
    clock: systemClock,
    logger: silentLogger,
  };
});
afterAll(() => db?.end());

let seq = 0;
function event(o: Partial<AlertEvent> & { externalId: string; status?: 'triggered' | 'acknowledged' | 'resolved' }) {
  const status = o.status ?? 'triggered';
  const e: AlertEvent = {
    source: 'pagerduty',
    eventId: `pd:test-${++seq}`,
    type: `incident.${status}`,
    occurredAt: '2026-09-01T08:00:00.000Z',
    snapshot: {
      status,
      title: `Incident ${o.externalId}`,
      service: 'Corvo Production',
      assignees: [],
      startedAt: '2026-09-01T08:00:00.000Z',
      ...(status === 'resolved' ? { resolvedAt: o.occurredAt ?? '2026-09-01T08:00:00.000Z' } : {}),
    },
    note: `${status} note`,
    opens: status === 'triggered',
    labels: { service: 'Corvo Production', title: `Incident ${o.externalId}` },
    ...o,
  };
  return e;
}

async function record(e: AlertEvent, receivedAt?: string): Promise<string> {
  await db.query(
    `insert into alert_events (id, source, external_id, event_type, occurred_at, event, queued_at, received_at)
     values ($1, $2, $3, $4, $5, $6, now(), coalesce($7::timestamptz, now()))`,
    [e.eventId, e.source, e.externalId, e.type, e.occurredAt, JSON.stringify(e), receivedAt ?? null],
  );
  return e.eventId;
}

describe('processAlertEvent', () => {
  it('creates, routes and opens a thread once; processing the same event again changes nothing', async () => {
    const id = await record(event({ externalId: 'P1' }));
    const first = await processAlertEvent(id, deps);
    expect(first).toMatchObject({ outcome: 'applied', threads: [{ platform: 'slack', version: 1 }], summaries: [] });
    const again = await processAlertEvent(id, deps);
    expect(again.outcome).toBe('already-processed');
    const { rows } = await db.query(`select * from incidents where external_id = 'P1'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      route: 'rule',
      system: 'corvo',
      target: 'prod',
      workflows: ['health'],
      channel: 'incidents',
      diagnostics_generation: 1,
      version: 1,
    });
    const notes = await db.query(`select * from incident_notes where incident_id = $1`, [rows[0].id]);
    expect(notes.rows).toHaveLength(0); // the opening event's root says it all
  });

  it('ignores a snapshot older than the one applied (resolved before triggered)', async () => {
    const resolved = await record(
      event({ externalId: 'P2', status: 'resolved', occurredAt: '2026-09-01T08:30:00.000Z' }),
      '2026-09-01T09:00:00Z',
    );
    const triggered = await record(event({ externalId: 'P2', occurredAt: '2026-09-01T08:00:00.000Z' }));
    expect((await processAlertEvent(resolved, deps)).outcome).toBe('applied');
    expect((await processAlertEvent(triggered, deps)).outcome).toBe('stale');
    const { rows } = await db.query(`select status, diagnostics_generation from incidents where external_id = 'P2'`);
    expect(rows[0]).toEqual({ status: 'resolved', diagnostics_generation: 0 });
    const outcomes = await db.query(`select outcome from alert_events where external_id = 'P2' order by occurred_at`);
    expect(outcomes.rows.map((r) => r.outcome)).toEqual(['stale', 'applied']);
  });

  it('applies the events of one incident in the order they were received', async () => {
    const first = await record(event({ externalId: 'P3' }), '2026-09-01T10:00:00Z');
    const note = await record(
      {
        source: 'pagerduty',
        eventId: 'pd:note-p3',
        externalId: 'P3',
        type: 'incident.annotated',
        occurredAt: '2026-09-01T08:01:00.000Z',
        reference: { title: 'Incident P3' },
        note: 'a note',
        opens: false,
        labels: { title: 'Incident P3' },
      },
      '2026-09-01T10:00:01Z',
    );
    // The note was received later; while the trigger is unprocessed (and recent), the note waits.
    await db.query(`update alert_events set received_at = now() - interval '1 second' where id = $1`, [first]);
    await db.query(`update alert_events set received_at = now() where id = $1`, [note]);
    expect((await processAlertEvent(note, deps)).outcome).toBe('deferred');
    expect((await processAlertEvent(first, deps)).outcome).toBe('applied');
    expect((await processAlertEvent(note, deps)).outcome).toBe('noted');
    const { rows } = await db.query(`select route, version from incidents where external_id = 'P3'`);
    expect(rows[0]).toEqual({ route: 'rule', version: 2 });
  });

  it('records an alert no rule matches as unrouted, without a thread', async () => {
    const id = await record(event({ externalId: 'P4', labels: { service: 'Billing', title: 'x' } }));
    expect(await processAlertEvent(id, deps)).toMatchObject({ outcome: 'applied', threads: [] });
    const { rows } = await db.query(
      `select i.route, (select count(*)::int from incident_threads t where t.incident_id = i.id) as threads
       from incidents i where external_id = 'P4'`,
    );
    expect(rows[0]).toEqual({ route: 'unrouted', threads: 0 });
  });

  it('reopening runs the diagnostics again (next generation)', async () => {
    const a = await record(event({ externalId: 'P5' }));
    const b = await record(event({ externalId: 'P5', status: 'resolved', occurredAt: '2026-09-01T08:10:00.000Z' }));
    const c = await record(
      event({
        externalId: 'P5',
        type: 'incident.reopened',
        status: 'triggered',
        occurredAt: '2026-09-01T08:20:00.000Z',
      }),
    );
    for (const id of [a, b, c]) await processAlertEvent(id, deps);
    const { rows } = await db.query(`select status, diagnostics_generation from incidents where id = $1`, [
      incidentIdFor('pagerduty', 'P5'),
    ]);
    expect(rows[0]).toEqual({ status: 'triggered', diagnostics_generation: 2 });
  });

  it('counts a storm exactly under concurrency: threshold threads, the rest suppressed into one window', async () => {
    const stormDeps: ProcessAlertEventDeps = { ...deps, channels: { incidents: { slack: 'C0STORMUNIT' } } };
    const ids = [];
    for (let i = 0; i < 40; i++) ids.push(await record(event({ externalId: `STORM${i}` })));
    const results = await Promise.all(ids.map((id) => processAlertEvent(id, stormDeps)));
    expect(results.filter((r) => r.threads.length === 1)).toHaveLength(5);
    expect(results.filter((r) => r.summaries.length === 1)).toHaveLength(35);
    const windows = await db.query(`select threads, suppressed from storm_windows where channel_id = 'C0STORMUNIT'`);
    expect(windows.rows).toEqual([{ threads: 40, suppressed: 35 }]);
    const suppressedCounts = results.flatMap((r) => r.summaries.map((s) => s.suppressed)).sort((x, y) => x - y);
    expect(suppressedCounts).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
  });
});
