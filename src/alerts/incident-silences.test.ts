/**
 * Silences' bookkeeping on a real Postgres against the real `prometheus-alertmanager`: the group matchers read from
 * the group key, the reminder ten minutes before the end (only while alerts still fire, once), and ended silences
 * marked expired.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertmanagerSilences } from '../../integrations/alertmanager/silences-client.js';
import { startAlertmanager, type RunningAlertmanager } from '../../test/support/alertmanager.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import { silentLogger } from '../core/logger.js';
import { migrate } from '../store/migrate.js';
import { systemClock } from '../core/clock.js';
import { createSilence, groupMatchersOf, silenceMarker, sweepSilences } from './incident-silences.js';

let db: pg.Pool;
let am: RunningAlertmanager;
const refreshed: string[] = [];

beforeAll(async () => {
  db = new pg.Pool({ connectionString: await createTestDatabase(), max: 5 });
  await migrate(db, silentLogger);
  // Nothing listens there: notifications fail, which does not matter to the API under test.
  am = await startAlertmanager({ webhookUrl: 'http://127.0.0.1:9/unused', bearerToken: 'unused' });
}, 60_000);
afterAll(async () => {
  await am?.stop();
  await db?.end();
});

async function incident(id: string, groupKey: string, labels: Record<string, string>): Promise<void> {
  await db.query(
    `insert into incidents (id, source, external_id, status, title, started_at, route, labels)
     values ($1, 'alertmanager', $2, 'triggered', $1, now(), 'default', $3)`,
    [id, groupKey, JSON.stringify(labels)],
  );
}

async function silence(id: string, incidentId: string, matchers: object, endsInMs: number): Promise<void> {
  await db.query(
    `insert into incident_silences (id, incident_id, state, matchers, duration_ms, silence_id, created_by,
       created_by_name, platform, ends_at)
     values ($1, $2, 'active', $3, 3600000, 'x', 'slack:U0ONCALL', 'oncall', 'slack', now() + make_interval(secs => $4))`,
    [id, incidentId, JSON.stringify(matchers), endsInMs / 1000],
  );
}

const notesOf = async (incidentId: string) =>
  (await db.query(`select text from incident_notes where incident_id = $1`, [incidentId])).rows.map((r) => r.text);

describe('silences', () => {
  it('reads the group matchers from the group key, only when the incident carries the same values', () => {
    const labels = { alertname: 'DiskFull', service: 'db "main"', instance: 'db-1' };
    expect(
      groupMatchersOf({ externalId: '{}/{team="db"}:{alertname="DiskFull", service="db \\"main\\""}' }, labels),
    ).toEqual([
      { name: 'alertname', value: 'DiskFull' },
      { name: 'service', value: 'db "main"' },
    ]);
    // A value the incident does not carry, or no group labels at all: no silence is offered.
    expect(groupMatchersOf({ externalId: '{}:{alertname="Other"}' }, labels)).toBeUndefined();
    expect(groupMatchersOf({ externalId: '{}:{}' }, labels)).toBeUndefined();
  });

  it('reminds once, ten minutes before the end, while alerts still fire; marks ended silences expired', async () => {
    await am.postAlerts([
      {
        labels: { alertname: 'DiskFull', service: 'db' },
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        endsAt: new Date(Date.now() + 30 * 60_000).toISOString(),
      },
    ]);
    await incident('inc_aa01', '{}:{alertname="DiskFull", service="db"}', { alertname: 'DiskFull', service: 'db' });
    await incident('inc_aa02', '{}:{alertname="Quiet", service="db"}', { alertname: 'Quiet', service: 'db' });
    await incident('inc_aa03', '{}:{alertname="Later", service="db"}', { alertname: 'Later', service: 'db' });
    await silence(
      'sil_aa01',
      'inc_aa01',
      [
        { name: 'alertname', value: 'DiskFull' },
        { name: 'service', value: 'db' },
      ],
      5 * 60_000,
    );
    await silence('sil_aa02', 'inc_aa02', [{ name: 'alertname', value: 'Quiet' }], 5 * 60_000);
    await silence('sil_aa03', 'inc_aa03', [{ name: 'alertname', value: 'Later' }], 30 * 60_000);
    await silence('sil_aa04', 'inc_aa03', [{ name: 'alertname', value: 'Later' }], -1000);
    const deps = {
      db,
      alertmanager: createAlertmanagerSilences({ url: am.url }),
      refreshThreads: async (id: string) => {
        refreshed.push(id);
      },
      logger: silentLogger,
    };
    await sweepSilences(deps);
    await sweepSilences(deps);
    expect(await notesOf('inc_aa01')).toEqual([
      expect.stringMatching(/^The silence by oncall ends at \d\d:\d\d UTC and 1 alert\(s\) still fire$/),
    ]);
    // Nothing fires for the quiet one; the later one is not due yet.
    expect(await notesOf('inc_aa02')).toEqual([]);
    expect(await notesOf('inc_aa03')).toEqual([]);
    const { rows } = await db.query(`select id, state from incident_silences order by id`);
    expect(rows).toEqual([
      { id: 'sil_aa01', state: 'active' },
      { id: 'sil_aa02', state: 'active' },
      { id: 'sil_aa03', state: 'active' },
      { id: 'sil_aa04', state: 'expired' },
    ]);
    expect(refreshed).toEqual(expect.arrayContaining(['inc_aa01', 'inc_aa03']));
  });
});

describe('a worker that stops while creating a silence', () => {
  const matchers = [
    { name: 'alertname', value: 'CrashWindow' },
    { name: 'service', value: 'db' },
  ];
  async function draft(id: string, incidentId: string, state = 'draft'): Promise<void> {
    await incident(incidentId, `{}:{alertname="CrashWindow", service="db", n="${incidentId}"}`, {
      alertname: 'CrashWindow',
      service: 'db',
    });
    await db.query(
      `insert into incident_silences (id, incident_id, state, matchers, duration_ms, created_by, created_by_name,
         platform) values ($1, $2, $3, $4, 3600000, 'slack:U0ONCALL', 'oncall', 'slack')`,
      [id, incidentId, state, JSON.stringify(matchers)],
    );
  }
  const depsWith = (pool: pg.Pool) => ({
    db: pool,
    alertmanager: createAlertmanagerSilences({ url: am.url }),
    transports: {},
    refreshThreads: async (id: string) => {
      refreshed.push(id);
    },
    clock: systemClock,
    logger: silentLogger,
  });
  /** A pool whose recording of the created silence's id fails: the worker dies right after the POST. */
  const dyingAfterPost = () =>
    new Proxy(db, {
      get(target, key) {
        const v = Reflect.get(target, key, target) as unknown;
        if (key === 'query') {
          return (sql: string, params?: unknown[]) =>
            /silence_id = \$2/.test(sql) ? Promise.reject(new Error('worker killed')) : target.query(sql, params);
        }
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  const ours = async (recordId: string) =>
    (await createAlertmanagerSilences({ url: am.url }).listSilences()).filter((s) =>
      s.comment?.includes(silenceMarker(recordId)),
    );
  const backdate = (id: string) =>
    db.query(`update incident_silences set creating_at = now() - interval '1 minute' where id = $1`, [id]);

  it('between the POST and recording the id: the retry finds the silence by its record id, creates no second', async () => {
    await draft('sil_cc01', 'inc_cc01');
    await expect(createSilence(depsWith(dyingAfterPost()), 'sil_cc01', false)).rejects.toThrow(/recording/);
    expect(await ours('sil_cc01')).toHaveLength(1);
    await backdate('sil_cc01'); // BullMQ re-runs the stalled job after its lock expired
    expect(await createSilence(depsWith(db), 'sil_cc01', false)).toMatch(/^Silenced for 1h by oncall/);
    const created = await ours('sil_cc01');
    expect(created).toHaveLength(1);
    const { rows } = await db.query(`select state, silence_id from incident_silences where id = 'sil_cc01'`);
    expect(rows[0]).toEqual({ state: 'active', silence_id: created[0]!.id });
    expect(await notesOf('inc_cc01')).toEqual([expect.stringMatching(/^Silenced for 1h by oncall until/)]);
  });

  it('before the POST: the retry finds none and creates it once', async () => {
    await draft('sil_cc02', 'inc_cc02', 'creating');
    await db.query(`update incident_silences set creating_at = now() - interval '1 minute' where id = 'sil_cc02'`);
    await createSilence(depsWith(db), 'sil_cc02', false);
    await createSilence(depsWith(db), 'sil_cc02', false);
    expect(await ours('sil_cc02')).toHaveLength(1);
    const { rows } = await db.query(`select state from incident_silences where id = 'sil_cc02'`);
    expect(rows[0].state).toBe('active');
  });

  it('abandoned (no retry came): the sweep records the silence it finds, and fails the one it does not', async () => {
    await draft('sil_cc03', 'inc_cc03');
    await expect(createSilence(depsWith(dyingAfterPost()), 'sil_cc03', false)).rejects.toThrow(/recording/);
    await draft('sil_cc04', 'inc_cc04', 'creating');
    await db.query(
      `update incident_silences set creating_at = now() - interval '5 minutes' where id in ('sil_cc03', 'sil_cc04')`,
    );
    await sweepSilences(depsWith(db));
    const { rows } = await db.query(
      `select id, state, silence_id from incident_silences where id in ('sil_cc03', 'sil_cc04') order by id`,
    );
    expect(rows).toEqual([
      { id: 'sil_cc03', state: 'active', silence_id: (await ours('sil_cc03'))[0]!.id },
      { id: 'sil_cc04', state: 'failed', silence_id: null },
    ]);
    expect(await ours('sil_cc04')).toHaveLength(0);
    expect(await notesOf('inc_cc04')).toEqual([expect.stringMatching(/was not created: the bot stopped/)]);
  });
});
