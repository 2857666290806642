/**
 * Two crashes in a row on a real Redis: a job whose first two workers stop mid-job (closed without waiting, their
 * locks left to expire, as a killed process leaves them) is failed by BullMQ's default, and finished by the third
 * worker with the bot's MAX_STALLED_COUNT (found by the soak with overlapping kills).
 */
import { Queue, Worker, type Job } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../test/support/namespace.js';
import { bullmqConnections } from '../../test/support/services.js';
import { MAX_STALLED_COUNT } from './max-stalled-count.js';

const { connect, disconnectAll } = bullmqConnections();
afterAll(() => {
  disconnectAll();
});

const TIMING = { lockDuration: 300, stalledInterval: 300 };

/** The job's state once it is completed or failed. */
async function settled(queue: Queue, id: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const state = await queue.getJobState(id);
    if (state === 'completed' || state === 'failed') return state;
    if (Date.now() > deadline) throw new Error(`job ${id} did not settle in time (${state})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Runs the job through two workers that stop mid-job, then one that finishes it (each new worker's stalled-job check
 * takes the job over from the one before, as after a crash); the job's final state and how often it started.
 */
async function twoCrashesThenDone(maxStalledCount: number | undefined): Promise<{ state: string; runs: number }> {
  const prefix = uniqueName('stalls');
  const name = 'jobs';
  const queue = new Queue(name, { connection: connect(), prefix });
  let runs = 0;
  const opts = { prefix, ...TIMING, ...(maxStalledCount === undefined ? {} : { maxStalledCount }) };
  try {
    await queue.add('work', {}, { jobId: 'j1' });
    for (let crash = 0; crash < 2; crash++) {
      let started!: () => void;
      const picked = new Promise<void>((r) => (started = r));
      const dying = new Worker(
        name,
        () => {
          runs++;
          started();
          return new Promise<never>(() => {}); // never ends: the process is "killed" mid-job
        },
        { connection: connect(), ...opts },
      );
      dying.on('error', () => {});
      await picked;
      await dying.close(true);
    }
    const done = new Worker(
      name,
      async (_job: Job) => {
        runs++;
      },
      { connection: connect(), ...opts },
    );
    try {
      return { state: await settled(queue, 'j1'), runs };
    } finally {
      await done.close();
    }
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

describe('MAX_STALLED_COUNT', () => {
  it('lets a job survive two crashes in a row, where BullMQ default fails it', async () => {
    expect(MAX_STALLED_COUNT).toBeGreaterThanOrEqual(3);
    expect(await twoCrashesThenDone(undefined)).toEqual({ state: 'failed', runs: 2 });
    expect(await twoCrashesThenDone(MAX_STALLED_COUNT)).toEqual({ state: 'completed', runs: 3 });
  }, 60_000);
});
