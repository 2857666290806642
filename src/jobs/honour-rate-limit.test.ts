/**
 * The queue's retry classification on a real Redis: a chat platform's permanent refusal fails the job on its first
 * attempt; a transient error spends its attempts.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { TeamsPermanentError } from '../../integrations/teams/teams-transport.js';
import { SlackPermanentError } from '../../integrations/slack/slack-transport.js';
import { uniqueName } from '../../test/support/namespace.js';
import { bullmqConnections } from '../../test/support/services.js';
import { honourRateLimit } from './honour-rate-limit.js';

const { connect, disconnectAll } = bullmqConnections();
afterAll(() => {
  disconnectAll();
});

const FAILURES: Record<string, () => Error> = {
  slack: () => new SlackPermanentError('channel_not_found'),
  teams: () => new TeamsPermanentError('Forbidden'),
  transient: () => new Error('ECONNRESET'),
};

async function settled(queue: Queue, id: string): Promise<Job> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    // The state first, then the job: a job read before it failed would carry its old attempt count.
    if ((await queue.getJobState(id)) === 'failed') return (await queue.getJob(id))!;
    if (Date.now() > deadline) throw new Error(`job ${id} did not fail in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('honourRateLimit', () => {
  it('fails a Slack or Teams permanent refusal at once, and retries a transient error', async () => {
    const prefix = uniqueName('permanent');
    const name = 'posts';
    const queue = new Queue(name, { connection: connect(), prefix });
    const worker = new Worker(
      name,
      (job, token) =>
        honourRateLimit(job, token, async () => {
          throw FAILURES[job.name]!();
        }),
      { connection: connect(), prefix },
    );
    try {
      for (const kind of Object.keys(FAILURES)) {
        await queue.add(kind, {}, { jobId: kind, attempts: 3, backoff: { type: 'fixed', delay: 10 } });
      }
      const [slack, teams, transient] = await Promise.all(
        ['slack', 'teams', 'transient'].map((id) => settled(queue, id)),
      );
      expect(slack!.attemptsMade).toBe(1);
      expect(slack!.failedReason).toBe('Slack refused the call: channel_not_found');
      expect(teams!.attemptsMade).toBe(1);
      expect(teams!.failedReason).toBe('Forbidden');
      expect(transient!.attemptsMade).toBe(3);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
