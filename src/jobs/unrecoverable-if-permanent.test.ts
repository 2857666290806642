import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { PermanentDeliveryError, RateLimitedError } from '../core/chat-transport.js';
import { SlackPermanentError } from '../../integrations/slack/slack-transport.js';
import { TeamsPermanentError } from '../../integrations/teams/teams-transport.js';
import { NoTransportError } from '../alerts/reconcile-incident-posts.js';
import { unrecoverableIfPermanent } from './unrecoverable-if-permanent.js';

describe('unrecoverableIfPermanent', () => {
  it("fails the job at once for every platform's permanent refusal, keeping its message", () => {
    for (const err of [
      new SlackPermanentError('channel_not_found'),
      new TeamsPermanentError('Forbidden'),
      new NoTransportError('teams'),
      new PermanentDeliveryError('gone'),
    ]) {
      expect(err).toBeInstanceOf(PermanentDeliveryError);
      const thrown = unrecoverableIfPermanent(err);
      expect(thrown).toBeInstanceOf(UnrecoverableError);
      expect((thrown as Error).message).toBe(err.message);
    }
  });

  it('leaves transient errors and rate limits to the retries and the delay', () => {
    const transient = new Error('ECONNRESET');
    const limited = new RateLimitedError(1000);
    expect(unrecoverableIfPermanent(transient)).toBe(transient);
    expect(unrecoverableIfPermanent(limited)).toBe(limited);
  });
});
