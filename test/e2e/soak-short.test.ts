/**
 * The soak of issue 16, short (45 s of load), in `npm test`: real web, two workers, the soak's own Redis and Postgres,
 * a mixed load of commands, clicks and approvals, PagerDuty and Alertmanager webhooks with redeliveries, while a
 * worker is SIGKILLed at random intervals and Redis, Postgres and the web process are restarted once each. The
 * invariants are asserted; the figures are printed when one fails. `npm run soak` is the long version.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runSoak } from '../soak/soak-run.js';

// Bounds for starting processes on a loaded machine are generous; the invariants are not.
vi.setConfig({ testTimeout: 900_000, hookTimeout: 120_000 });

describe('soak (short)', () => {
  it('loses nothing acknowledged and runs no approved step twice, across kills and restarts', async () => {
    const outputFile = join(tmpdir(), `runbook-soak-short-${process.pid}.log`);
    const result = await runSoak({ seconds: 45, drainSeconds: 180, outputFile });
    // The figures, with the seed that replays the run (SOAK_SEED with `npm run soak`).
    console.log(`${result.figures}\nEverything the bot printed: ${outputFile}`);
    expect(result.invariants.length).toBeGreaterThan(0);
    for (const invariant of result.invariants)
      expect(invariant.ok, `${invariant.name}: ${invariant.detail}`).toBe(true);
    // An invariant over nothing proves nothing: every kind of load was accepted, every fault was injected.
    expect(result.counts.commandsAccepted, result.figures).toBeGreaterThan(5);
    expect(result.counts.webhooksAccepted, result.figures).toBeGreaterThan(5);
    expect(result.counts.approvalsSucceeded, result.figures).toBeGreaterThan(0);
    expect(result.counts.workerKills, result.figures).toBeGreaterThan(0);
    expect(result.counts.restarts, result.figures).toEqual({ redis: 1, postgres: 1, web: 1 });
  });
});
