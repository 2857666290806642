/**
 * A verified command on its way to the queues, on a real Redis and Postgres: what is queued (ids, no raw text),
 * what is recorded, and what the user is answered, for a run, a fix asked for by name, help, usage errors and an
 * unknown command.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCommandPathServices, type CommandPathServices } from '../../test/support/services.js';
import { fixedClock } from '../core/clock.js';
import type { CommandRequest, CommandSpec } from '../core/command-spec.js';
import { createSystemCommand } from '../core/create-system-command.js';
import type { Actor, Conversation, Platform } from '../core/invocation.js';
import { silentLogger } from '../core/logger.js';
import { renderHelp } from '../core/render-help.js';
import { listInvocations } from '../store/invocations.js';
import type { BotQueues } from './create-queues.js';
import { dispatchCommand, invocationIdFor, type DispatchDeps } from './dispatch-command.js';

const T0 = Date.parse('2026-11-23T14:00:00Z');

const corvo = createSystemCommand(
  'corvo',
  'Corvo',
  [
    { id: 'health', description: 'Overall health' },
    {
      id: 'jobs-stuck-pending',
      description: 'Jobs that never start',
      args: [{ name: 'queue', description: 'queue name', required: true, pattern: /^[\w.-]+$/ }],
    },
  ],
  [
    {
      id: 'rebuild-sqlite',
      description: 'Rebuild the SQLite mirror',
      params: [{ name: 'node', description: 'node id', required: true }],
      level: 'approval',
    },
  ],
);
const runbook: CommandSpec = {
  name: 'runbook',
  system: 'runbook',
  displayName: 'Runbook',
  description: 'The bot itself',
  subcommands: [{ name: 'audit', description: 'Recent commands', args: [], workflow: 'audit', needsTarget: false }],
};

let db: pg.Pool;
let services: CommandPathServices | undefined;
let queues: BotQueues;
let deps: DispatchDeps;
let seq = 0;

beforeAll(async () => {
  services = await startCommandPathServices('dispatch');
  ({ db, queues } = services);
  deps = {
    commands: [corvo, runbook],
    targetsOf: (system) => (system === 'corvo' ? ['prod'] : []),
    titleOf: (system, workflow) => `${system === 'corvo' ? 'Corvo' : 'Runbook'} ${workflow}`,
    queues,
    db,
    clock: fixedClock(T0),
    logger: silentLogger,
  };
}, 60_000);

afterAll(async () => {
  await services?.close();
});

function request(command: string, text: string, platform: Platform = 'slack'): CommandRequest {
  const actor: Actor = { platform, userId: 'U0ALICE' };
  const conversation: Conversation = { platform, channelId: 'C0OPS' };
  seq += 1;
  return { command, text, actor, conversation, deliveryKey: `trigger-${seq}` };
}

async function recorded(id: string) {
  return (await listInvocations(db, 1000)).find((r) => r.id === id);
}

async function queuedCounts(): Promise<number[]> {
  return Promise.all(
    [queues.diagnostics, queues.interactions].map(async (q) => {
      const counts = await q.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    }),
  );
}

describe('invocationIdFor', () => {
  it('is the same for a redelivery and differs by platform and delivery', () => {
    const id = invocationIdFor('slack', 'trigger-1');
    expect(id).toMatch(/^inv_[0-9a-f]{20}$/);
    expect(invocationIdFor('slack', 'trigger-1')).toBe(id);
    expect(invocationIdFor('teams', 'trigger-1')).not.toBe(id);
    expect(invocationIdFor('slack', 'trigger-2')).not.toBe(id);
  });
});

describe('dispatchCommand', () => {
  it('queues a diagnostic whose job id is the invocation id and whose data holds no raw text', async () => {
    const req = request('corvo', 'jobs-stuck-pending emails --target prod');
    const reply = await dispatchCommand(req, deps);
    const id = invocationIdFor('slack', req.deliveryKey);
    expect(reply).toEqual({ text: `Running Corvo jobs-stuck-pending on prod… (${id})`, invocationId: id });

    const job = await queues.diagnostics.getJob(id);
    expect(job?.name).toBe('corvo.jobs-stuck-pending');
    expect(job?.data).toEqual({
      invocationId: id,
      actor: req.actor,
      conversation: req.conversation,
      requestedAt: new Date(T0).toISOString(),
      system: 'corvo',
      workflow: 'jobs-stuck-pending',
      target: 'prod',
      args: { queue: 'emails' },
    });
    expect(JSON.stringify(job?.data)).not.toContain('--target');
    // The worker records the invocation when it starts; the ack path does not.
    expect(await recorded(id)).toBeUndefined();
  });

  it('a redelivered command maps onto the job already queued', async () => {
    const req = request('corvo', 'health');
    const first = await dispatchCommand(req, deps);
    const before = await queuedCounts();
    const again = await dispatchCommand(req, deps);
    expect(again).toEqual(first);
    expect(await queuedCounts()).toEqual(before);
  });

  it('a command that needs no target names none in its answer', async () => {
    const req = request('runbook', 'audit');
    const reply = await dispatchCommand(req, deps);
    expect(reply.text).toBe(`Running Runbook audit… (${reply.invocationId})`);
    expect((await queues.diagnostics.getJob(reply.invocationId!))?.data).toMatchObject({ target: '', args: {} });
  });

  it('a fix asked for by name queues an approval request (nothing runs) and records the command', async () => {
    const req = request('corvo', 'rebuild-sqlite n2');
    const reply = await dispatchCommand(req, deps);
    const id = invocationIdFor('slack', req.deliveryKey);
    expect(reply).toEqual({
      text: `Asking for Corvo rebuild-sqlite on prod: an approval card will appear in this channel. (${id})`,
      invocationId: id,
    });
    expect(await queues.diagnostics.getJob(id)).toBeUndefined();
    const job = await queues.interactions.getJob(`request-${id}`);
    expect(job?.name).toBe('request');
    expect(job?.data).toEqual({
      kind: 'request',
      system: 'corvo',
      target: 'prod',
      remediation: 'rebuild-sqlite',
      params: { node: 'n2' },
      actor: req.actor,
      conversation: req.conversation,
      deliveryKey: id,
    });
    expect(await recorded(id)).toMatchObject({
      system: 'corvo',
      workflow: 'rebuild-sqlite',
      target: 'prod',
      args: { node: 'n2' },
      status: 'succeeded',
    });
  });

  it('help is answered from the spec; nothing is queued or recorded', async () => {
    const before = await queuedCounts();
    const req = request('corvo', 'help');
    expect(await dispatchCommand(req, deps)).toEqual({ text: renderHelp(corvo) });
    expect(await queuedCounts()).toEqual(before);
    expect(await recorded(invocationIdFor('slack', req.deliveryKey))).toBeUndefined();
  });

  it('a usage error is answered with usage and recorded as rejected; nothing is queued', async () => {
    const before = await queuedCounts();
    const req = request('corvo', 'jobs-stuck-pending ../admin');
    const reply = await dispatchCommand(req, deps);
    expect(reply.invocationId).toBeUndefined();
    expect(reply.text).toMatch(/^Invalid <queue>: "\.\.\/admin"\.\nUsage: \/corvo jobs-stuck-pending <queue>/);
    expect(await queuedCounts()).toEqual(before);
    expect(await recorded(invocationIdFor('slack', req.deliveryKey))).toMatchObject({
      system: 'corvo',
      workflow: '(invalid)',
      target: null,
      args: {},
      status: 'rejected',
    });
  });

  it('an unknown command lists the known ones, with the slash on Slack and without it on Teams', async () => {
    const before = await queuedCounts();
    expect(await dispatchCommand(request('kafka', 'health'), deps)).toEqual({
      text: 'Unknown command /kafka. Try /corvo help, /runbook help.',
    });
    expect(await dispatchCommand(request('kafka', 'health', 'teams'), deps)).toEqual({
      text: 'Unknown command kafka. Try corvo help, runbook help.',
    });
    expect(await queuedCounts()).toEqual(before);
  });

  it('an internal failure is thrown (the platform answers with an error), not turned into a reply', async () => {
    const failing: DispatchDeps = {
      ...deps,
      targetsOf: () => {
        throw new Error('config unavailable');
      },
    };
    await expect(dispatchCommand(request('corvo', 'health'), failing)).rejects.toThrow('config unavailable');
  });
});
