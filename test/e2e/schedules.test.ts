/**
 * Schedules end to end (issue 14): the real `web` and two real `worker` processes, a 10-second schedule of Corvo's
 * health into #ops. For 35 seconds it runs 3 or 4 times, never twice for one tick, each run a new top-level message;
 * the simulated Corvo switched to a failing scenario between two ticks makes the next digest name the new finding;
 * a worker started with the schedule gone from its config removes it from Redis.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBotStack, type BotStack } from './bot-stack.js';
import { writeConfigFile } from './bot-processes.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const CHANNEL = 'C0OPS';
let stack: BotStack;
let startedAt: number;

beforeAll(async () => {
  startedAt = Date.now();
  stack = await startBotStack({
    extraConfig:
      `channels:\n  ops: { slack: ${CHANNEL} }\n` +
      'schedules:\n' +
      '  - { name: corvo-health, system: corvo, target: prod, workflow: health, every: 10s, channel: ops }\n',
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const runsOf = async (schedule: string) =>
  (
    await stack.db.query<{ run_id: string; at: Date }>(
      `select run_id, at from finding_runs where schedule = $1 order by at`,
      [schedule],
    )
  ).rows;

const textOf = (m: { text?: string; blocks?: unknown }) => `${m.text ?? ''}\n${JSON.stringify(m.blocks ?? [])}`;

describe('schedules', () => {
  it('runs every 10 s on one worker per tick, posts each run, and the digest names what appeared', async () => {
    // Wait for the first run, then turn Corvo's SQLite mirror bad before the second.
    await expect.poll(async () => (await runsOf('corvo-health')).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    stack.corvo.setScenario('sqlite-diverged');
    const firstAt = (await runsOf('corvo-health'))[0]!.at.getTime();
    // 35 seconds from the first tick.
    await new Promise((r) => setTimeout(r, Math.max(0, firstAt + 35_000 - Date.now())));
    const runs = await runsOf('corvo-health');
    const inWindow = runs.filter((r) => r.at.getTime() < firstAt + 35_000);
    expect(inWindow.length).toBeGreaterThanOrEqual(3);
    expect(inWindow.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]!.at.getTime() - runs[i - 1]!.at.getTime(), 'two runs for one tick').toBeGreaterThan(5000);
    }
    // Each run is one new message in #ops (not a thread reply), titled with the schedule.
    await expect
      .poll(() => stack.slack.messages(CHANNEL).length, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(runs.length);
    const messages = stack.slack.messages(CHANNEL);
    expect(messages.length).toBe((await runsOf('corvo-health')).length);
    expect(messages.every((m) => m.thread_ts === undefined)).toBe(true);
    expect(textOf(messages[0]!)).toContain('Corvo health (schedule corvo-health)');

    // The second run's digest names the finding that appeared since the first.
    const second = (await stack.db.query(`select report from reports where invocation_id = $1`, [runs[1]!.run_id]))
      .rows[0]?.report as { summary: string; notes?: string[] };
    expect(second.summary).toMatch(/since the last run \(\d\d:\d\d UTC\): 1 new critical/);
    expect(second.notes?.some((n) => /^New since the last run \(critical\): .+ \(corvo\.sqlite\./.test(n))).toBe(true);
    expect(textOf(messages[1]!)).toContain('New since the last run');
    // Later runs: the finding persists and says since when.
    const third = (await stack.db.query(`select report from reports where invocation_id = $1`, [runs[2]!.run_id]))
      .rows[0]?.report as { findings: { severity: string; evidence: string }[] };
    expect(
      third.findings.some(
        (f) => f.severity === 'critical' && /\nOpen since \d\d:\d\d UTC \(\d+ s\)\.$/.test(f.evidence),
      ),
    ).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(120_000);
  });

  it('a worker started with the schedule removed from its config removes it from Redis', async () => {
    const queue = new Queue('schedules', { connection: stack.redis, prefix: stack.prefix });
    try {
      expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual(['schedule:corvo-health']);
      await Promise.all(stack.workers.map((w) => w.stop()));
      const bare = writeConfigFile(
        `targets:\n  corvo:\n    prod: { url: "${stack.corvo.url}", apiKey: "\${CORVO_API_KEY}", timeoutMs: 2000 }\n` +
          `channels:\n  ops: { slack: ${CHANNEL} }\n`,
      );
      stack.workers = [await stack.spawnWorker({ RUNBOOK_BOT_CONFIG: bare })];
      await expect.poll(async () => (await queue.getJobSchedulers()).length, { timeout: 15_000 }).toBe(0);
      expect(await queue.getDelayedCount()).toBe(0);
    } finally {
      await queue.close();
    }
  });
});
