import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from '../../test/support/namespace.js';
import { systems } from '../../workflows/index.js';
import { ScheduleSchema, type ScheduleConfig } from '../config/config-file.js';
import { SCHEDULES_QUEUE, syncJobSchedulers } from '../schedules/start-schedules.js';
import { checkDurationsSetup, checkSchedulesSetup, type SchedulesSetupOptions } from './check-schedules-setup.js';

const daily = ScheduleSchema.parse({
  name: 'tryitnow-daily',
  system: 'tryitnow',
  target: 'prod',
  checklist: 'daily',
  pattern: '0 9 * * *',
  timezone: 'Europe/Berlin',
  channel: 'ops',
});
const kyroEvery = ScheduleSchema.parse({
  name: 'kyrodb-health',
  system: 'kyrodb',
  target: 'prod',
  workflow: 'health',
  every: '1m',
  channel: 'ops',
});
const NOW = new Date('2026-12-06T07:00:00Z');

function check(over: Partial<SchedulesSetupOptions>) {
  return checkSchedulesSetup({
    schedules: [daily],
    systems,
    channels: { ops: { slack: 'C0OPS' } },
    platforms: ['slack'],
    schedulers: [],
    now: NOW,
    ...over,
  });
}

const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
afterAll(() => redis.disconnect());

describe('checkSchedulesSetup', () => {
  it('OK: what runs when, where, and the next run as Redis holds it (a real queue brought in step)', async () => {
    const prefix = uniqueName('chk');
    const queue = new Queue(SCHEDULES_QUEUE, { connection: redis, prefix });
    try {
      await syncJobSchedulers(queue, [daily, kyroEvery]);
      const [line, every] = check({
        schedules: [daily, kyroEvery],
        schedulers: await queue.getJobSchedulers(0, -1),
        now: new Date(),
      });
      expect(line).toMatchObject({ status: 'OK', name: 'schedules.tryitnow-daily' });
      expect(line!.detail).toMatch(
        /^Try It Now daily checklist on tryitnow\.prod, "0 9 \* \* \*" \(Europe\/Berlin\), into ops \(slack\); next run ([A-Z][a-z]{2} \d+, )?09:00 Europe\/Berlin$/,
      );
      expect(every).toMatchObject({ status: 'OK', detail: expect.stringMatching(/KyroDB.* every 1 min, .*next run/) });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('WARN: not in Redis yet, or Redis holds an older timing: no worker has started with this config', () => {
    expect(check({})[0]).toMatchObject({ status: 'WARN', detail: expect.stringContaining('not in Redis yet') });
    const older = { key: 'schedule:tryitnow-daily', name: 'run', pattern: '0 8 * * *', tz: 'Europe/Berlin' };
    expect(check({ schedulers: [older as never] })[0]).toMatchObject({
      status: 'WARN',
      detail: expect.stringContaining('previous timing'),
      fix: expect.stringContaining('worker'),
    });
  });

  it('OK without a next run when Redis could not be read (the redis line says why)', () => {
    expect(check({ schedulers: 'Redis not read: ECONNREFUSED' })[0]).toMatchObject({
      status: 'OK',
      detail: expect.stringContaining('next run unknown (Redis not read: ECONNREFUSED)'),
    });
  });

  it('WARN: its channel has no destination on a platform the environment turns on', () => {
    expect(check({ platforms: ['teams'] })[0]).toMatchObject({
      status: 'WARN',
      detail: expect.stringContaining('channel ops has no destination on a configured chat platform (it has slack'),
      fix: expect.stringContaining('SLACK_BOT_TOKEN'),
    });
  });

  it('FAIL: a workflow or checklist the system does not have', () => {
    const bad: ScheduleConfig = { ...kyroEvery, workflow: 'nope' };
    expect(check({ schedules: [bad] })[0]).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining('KyroDB has no workflow "nope"'),
      fix: 'schedules[0].workflow',
    });
    const { workflow: _w, ...rest } = kyroEvery;
    expect(check({ schedules: [{ ...rest, checklist: 'hourly' }] })[0]).toMatchObject({
      status: 'FAIL',
      fix: 'schedules[0].checklist',
    });
  });
});

describe('checkDurationsSetup', () => {
  const targets = { kyrodb: { prod: {}, staging: {} }, corvo: { prod: {} } };

  it('per target of an overridden held duration: OK with an every: schedule, WARN without one', () => {
    const lines = checkDurationsSetup({
      schedules: [kyroEvery, { ...daily, system: 'kyrodb', target: 'staging' }],
      systems,
      thresholds: { kyrodb: { 'circuit-breaker-open': 15_000 } },
      targets,
    });
    expect(lines).toEqual([
      {
        status: 'OK',
        name: 'thresholds.kyrodb.prod',
        detail: 'circuit-breaker-open 15 s: measured across the runs of schedule kyrodb-health (every 1 min)',
      },
      {
        status: 'WARN',
        name: 'thresholds.kyrodb.staging',
        detail: expect.stringMatching(/^durations are not measured for kyrodb\.staging: no every: schedule/),
        fix: expect.stringContaining('every:'),
      },
    ]);
  });

  it('a duration longer than the interval is fine, and a value threshold (one read) needs no schedule: no line', () => {
    expect(
      checkDurationsSetup({
        schedules: [kyroEvery],
        systems,
        thresholds: { kyrodb: { 'server-down': 3_600_000 }, corvo: { 'scheduler-stalled': 30_000 } },
        targets: { kyrodb: { prod: {} }, corvo: { prod: {} } },
      }).map((l) => [l.name, l.status]),
    ).toEqual([['thresholds.kyrodb.prod', 'OK']]);
  });
});
