/**
 * Checklists in schedules and in the finding history, with the real systems registry: `checklist: daily` runs the
 * system's checklist, an unknown name is refused at config load with the known ones, and a checklist run by hand
 * says what changed since the last run of that checklist on that target (real Postgres).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedTestPool } from '../../test/support/services.js';
import { systems } from '../../workflows/index.js';
import { parseConfig } from '../config/config-file.js';
import { ConfigError } from '../config/env.js';
import type { Invocation } from '../core/invocation.js';
import type { Finding } from '../core/report.js';
import { recordRunHistory } from './record-run-history.js';
import { resolveScheduledRun } from './resolve-scheduled-run.js';

const systemOf = (id: string) => systems.find((s) => s.id === id);

describe('a schedule’s checklist: resolves to the system’s checklist', () => {
  it.each([
    ['tryitnow', 'daily', 'Try It Now daily checklist'],
    ['tryitnow', 'on-deploy', 'Try It Now on-deploy checklist'],
    ['kyrodb', 'weekly', 'KyroDB weekly checklist'],
    ['corvo', 'daily', 'Corvo daily checklist'],
    ['m4', 'daily', 'M4 daily checklist'],
    ['streamhouse', 'daily', 'Streamhouse daily checklist'],
  ])('%s %s', (system, checklist, title) => {
    expect(resolveScheduledRun(systemOf(system), { name: 's', checklist })).toEqual({
      workflow: 'checklist',
      args: { checklist },
      title,
    });
  });

  it('an unknown name says which exist', () => {
    expect(resolveScheduledRun(systemOf('corvo'), { name: 's', checklist: 'weekly' })).toEqual({
      problem: 'Corvo has no checklist "weekly" (one of: daily)',
    });
  });
});

describe('schedules: checklist names at config load', () => {
  const yaml = (checklist: string) =>
    [
      'targets:',
      '  tryitnow:',
      '    prod: { url: "http://10.0.0.1:8080", natsUrl: "nats://10.0.0.1:4222", natsMonitorUrl: "http://10.0.0.1:8222",',
      '            valkeyUrl: "redis://10.0.0.1:6379", caddyAdminUrl: "http://10.0.0.1:2019" }',
      'channels:',
      '  ops: { slack: C0OPS }',
      'schedules:',
      `  - { name: tin, system: tryitnow, target: prod, checklist: ${checklist}, pattern: "0 9 * * *", timezone: Europe/Berlin, channel: ops }`,
      '',
    ].join('\n');

  it('accepts a checklist of the system', () => {
    expect(parseConfig(yaml('weekly'), 'bot.yaml', systems, {}).schedules?.[0]?.checklist).toBe('weekly');
  });

  it('refuses an unknown one, listing the known ones', () => {
    let problems: readonly string[] = [];
    try {
      parseConfig(yaml('yearly'), 'bot.yaml', systems, {});
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    expect(problems).toEqual([
      'schedules.0.checklist (line 8): unknown checklist "yearly" of Try It Now (one of: daily, weekly, monthly, on-deploy)',
    ]);
  });
});

describe('a checklist run by hand', () => {
  let db: pg.Pool;
  beforeAll(async () => {
    db = await createMigratedTestPool(3);
  }, 60_000);
  afterAll(async () => {
    await db?.end();
  });

  const T0 = Date.parse('2026-12-05T08:00:00Z');
  const invocation = (id: string, checklist: string): Invocation => ({
    invocationId: id,
    system: 'tryitnow',
    target: 'prod',
    workflow: 'checklist',
    args: { checklist },
    actor: { platform: 'slack', userId: 'U1' },
    conversation: { platform: 'slack', channelId: 'C1' },
    requestedAt: new Date(T0).toISOString(),
  });
  const f = (code: string, severity: Finding['severity']): Finding => ({
    code,
    severity,
    title: `Title of ${code}`,
    evidence: `evidence of ${code}`,
  });
  const draft = (findings: Finding[]) => ({ title: 'Try It Now daily checklist', summary: 's', findings, notes: [] });

  it('says what changed since the last run of that checklist on that target, not since another checklist', async () => {
    const first = await recordRunHistory(
      db,
      invocation('h1', 'daily'),
      draft([f('a', 'warning'), f('b', 'critical')]),
      {
        now: new Date(T0),
        schedule: null,
      },
    );
    expect(first.diff).toBeUndefined();
    expect(first.draft.summary).toBe('s');
    // Another checklist in between is not "the last run" of the daily one.
    await recordRunHistory(db, invocation('h2', 'weekly'), draft([]), { now: new Date(T0 + 3600_000), schedule: null });
    const next = await recordRunHistory(db, invocation('h3', 'daily'), draft([f('b', 'critical'), f('c', 'warning')]), {
      now: new Date(T0 + 24 * 3600_000),
      schedule: null,
    });
    expect(next.draft.summary).toBe('s · since the last run (Dec 5, 08:00 UTC): 1 new warning, 1 cleared');
    expect(next.draft.notes).toEqual([
      'New since the last run (warning): Title of c (c)',
      'Cleared since the last run (was warning): Title of a (a)',
    ]);
    const runs = await db.query(`select workflow from finding_runs where run_id like 'h%' order by at`);
    expect(runs.rows.map((r) => r.workflow)).toEqual(['checklist:daily', 'checklist:weekly', 'checklist:daily']);
  });
});
