import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REFUSED_BEFORE_WRITE } from '../../src/core/target-error.js';
import { connect, type NatsConnection } from 'nats';
import { createProvisioningStream } from '../../integrations/tryitnow/simulator/create-provisioning-stream.js';
import { startNatsServer, type StartedNatsServer } from '../../integrations/tryitnow/simulator/start-nats-server.js';
import { createSystemCommand, parseCommandText } from '../../src/core/command.js';
import { isTargetError } from '../../src/core/target-error.js';
import { UserFacingError } from '../../src/core/user-facing-error.js';
import { seedValkey } from '../../integrations/tryitnow/simulator/seed-valkey.js';
import { startRedis, type StartedService } from '../../src/dev/local-services.js';
import { tryitnowWorkflows } from './index.js';
import { healthRules } from './health.js';
import { poolRules } from './pool.js';
import { queueRules } from './queue.js';
import { tryitnowRemediations } from './remediations.js';
import { stateRules } from './state.js';
import { startWorld, type World } from '../../test/support/tryitnow/world.js';

/**
 * The remediations' `execute`, called directly (the approval flow around them is tested elsewhere), against a real
 * `nats-server -js` holding a PROVISIONING stream and the Caddy admin fake.
 */

let nats: StartedNatsServer;
let nc: NatsConnection;
let world: World | undefined;
let redis: StartedService;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url.replace('nats://', '') });
  redis = await startRedis(); // clear-route re-reads the instance records before deleting
});

afterEach(async () => {
  await world?.close();
  world = undefined;
  await (await nc.jetstreamManager()).streams.delete('PROVISIONING').catch(() => undefined);
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  await redis?.stop();
});

const remediation = (id: string) => {
  const r = tryitnowRemediations.find((x) => x.id === id);
  if (!r) throw new Error(`no remediation ${id}`);
  return r;
};

async function worldWith(provisionMessages: number, routes: string[] = []): Promise<World> {
  await createProvisioningStream(nats.url, 'PROVISIONING', { provisionMessages, cleanupMessages: 0 });
  world = await startWorld({
    natsUrl: nats.url,
    natsMonitorUrl: nats.monitorUrl,
    valkeyUrl: redis.url,
    routes,
  });
  return world;
}

async function stored(): Promise<number[]> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info('PROVISIONING');
  const seqs: number[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    if (
      await jsm.streams.getMessage('PROVISIONING', { seq }).then(
        () => true,
        () => false,
      )
    )
      seqs.push(seq);
  }
  return seqs;
}

describe('purge-stream', () => {
  it('counts 10 before, 4 after keep-after 6, 0 after a full purge', async () => {
    const w = await worldWith(10);
    const purge = remediation('purge-stream');
    expect((await w.clients.nats.streamInfo('PROVISIONING')).messages).toBe(10);

    const partial = await purge.execute(w.remediationContext({ 'keep-after': '6' }));
    expect(partial.summary).toBe(
      'purged 6 messages (sequence ≤ 6) from PROVISIONING: 10 → 4 stored, first sequence now 7',
    );
    expect(await stored()).toEqual([7, 8, 9, 10]);

    const full = await purge.execute(w.remediationContext({}));
    expect(full.summary).toBe('purged 4 messages (all) from PROVISIONING: 4 → 0 stored');
    expect((await w.clients.nats.streamInfo('PROVISIONING')).messages).toBe(0);
    expect((await w.clients.nats.consumerInfo('PROVISIONING', 'provision-workers')).numPending).toBe(0);
  });

  it('refuses keep-after 0 (the server would purge everything) and leaves the stream alone', async () => {
    const w = await worldWith(3);
    const err: unknown = await remediation('purge-stream')
      .execute(w.remediationContext({ 'keep-after': '0' }))
      .catch((e: unknown) => e);
    expect(isTargetError(err) && err.code).toBe('VALIDATION_ERROR');
    expect(await stored()).toEqual([1, 2, 3]);
  });

  it('describes exactly what is removed, with the runbook correction', () => {
    const purge = remediation('purge-stream');
    expect(purge.describeCall({})).toBe('$JS.API.STREAM.PURGE.<stream> {} (nats stream purge <stream> --force)');
    expect(purge.describeCall({ 'keep-after': '6' })).toBe(
      '$JS.API.STREAM.PURGE.<stream> {"seq":7} (nats stream purge <stream> --seq 7)',
    );
    expect(purge.describeEffect({})).toMatch(/^Removes EVERY message of the stream/);
    const partial = purge.describeEffect({ 'keep-after': '6' });
    expect(partial).toContain('with sequence 1 … 6');
    expect(partial).toContain('keeps 7 onward');
    expect(partial).toContain('`--seq N` purges up to but not including N');
    expect(partial).toContain('does not make a pool replenish');
  });
});

describe('remove-message', () => {
  it('deletes exactly that sequence', async () => {
    const w = await worldWith(5);
    const r = await remediation('remove-message').execute(w.remediationContext({ seq: '3' }));
    expect(r.summary).toBe('deleted message #3 from PROVISIONING; 4 messages remain');
    expect(await stored()).toEqual([1, 2, 4, 5]);
  });

  it('a sequence that is not stored fails, naming it, and deletes nothing', async () => {
    const w = await worldWith(2);
    await expect(remediation('remove-message').execute(w.remediationContext({ seq: '9' }))).rejects.toMatchObject({
      code: REFUSED_BEFORE_WRITE,
    });
    expect(await stored()).toEqual([1, 2]);
  });

  it('says the runbook command does not exist', () => {
    const rm = remediation('remove-message');
    expect(rm.describeCall({ seq: '3' })).toBe(
      '$JS.API.STREAM.MSG.DELETE.<stream> {"seq":3} (nats stream rmm <stream> 3)',
    );
    expect(rm.describeEffect({ seq: '3' })).toContain(
      '`nats consumer msg rm PROVISIONING provision-workers --seq <n>` is not a natscli command',
    );
    expect(rm.description).toContain('`nats consumer msg rm` does not exist');
  });
});

describe('clear-route', () => {
  it('removes exactly that Caddy route by @id', async () => {
    await seedValkey(redis.url, {}); // no instance: all three routes are orphaned
    const w = await worldWith(0, ['a-1', 'a-2', 'a-3']);
    const r = await remediation('clear-route').execute(w.remediationContext({ 'route-id': 'demo-route-a-2' }));
    expect(r.summary).toBe('removed Caddy route demo-route-a-2; 2 demo routes remain');
    expect(w.caddy.routeIds()).toEqual(['demo-route-a-1', 'demo-route-a-3']);
    expect(w.caddy.requests.filter((x) => x.method === 'DELETE').map((x) => x.path)).toEqual(['/id/demo-route-a-2']);
  });
});

describe('the remediations as a whole', () => {
  it('each needs approval, is destructive, and re-checks a finding its workflow really produces', () => {
    const codes = new Map([
      ['health', healthRules.map((r) => r.code)],
      ['pool', poolRules.map((r) => r.code)],
      ['queue', queueRules.map((r) => r.code)],
      ['state', stateRules.map((r) => r.code)],
    ]);
    expect(tryitnowRemediations.map((r) => r.id)).toEqual(['purge-stream', 'remove-message', 'clear-route']);
    for (const r of tryitnowRemediations) {
      expect([r.id, r.level, r.destructive]).toEqual([r.id, 'approval', true]);
      expect(r.verify && codes.get(r.verify.workflow)).toContain(r.verify?.findingCode);
    }
  });

  it('become subcommands whose arguments are validated before anything is queued', () => {
    const spec = createSystemCommand('tryitnow', 'Try It Now', tryitnowWorkflows, tryitnowRemediations);
    expect(spec.subcommands.map((s) => s.name)).toEqual([
      'health',
      'pool',
      'queue',
      'state',
      'purge-stream',
      'remove-message',
      'clear-route',
    ]);
    expect(parseCommandText(spec, 'purge-stream 6', ['prod'])).toMatchObject({
      kind: 'remediate',
      workflow: 'purge-stream',
      args: { 'keep-after': '6' },
    });
    expect(parseCommandText(spec, 'purge-stream', ['prod'])).toMatchObject({ kind: 'remediate', args: {} });
    expect(() => parseCommandText(spec, 'purge-stream 0', ['prod'])).toThrow(UserFacingError);
    expect(() => parseCommandText(spec, 'remove-message', ['prod'])).toThrow(/Missing <seq>/);
    expect(() => parseCommandText(spec, 'clear-route srv0', ['prod'])).toThrow(/Invalid <route-id>/);
    expect(parseCommandText(spec, 'clear-route demo-route-abc123', ['prod'])).toMatchObject({
      args: { 'route-id': 'demo-route-abc123' },
    });
  });
});
