import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REFUSED_BEFORE_WRITE } from '../../src/core/target-error.js';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from 'nats';
import {
  closeTryItNowClients,
  createTryItNowClients,
  routeIdOf,
  TryItNowInstanceSchema,
  type TryItNowClients,
} from '../../integrations/tryitnow/index.js';
import { demoId, demoIds, hostnameOf } from '../../integrations/tryitnow/simulator/seed-valkey.js';
import type { TryItNowScenario } from '../../integrations/tryitnow/simulator/index.js';
import { startTryItNowWorkers, type TryItNowWorkers } from '../../integrations/tryitnow/simulator/workers.js';
import { startTryItNowWorld, type TryItNowWorld } from '../../integrations/tryitnow/simulator/world.js';
import { startNatsServer, type StartedNatsServer } from '../../integrations/tryitnow/simulator/start-nats-server.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Finding } from '../../src/core/report.js';
import { startRedis, type StartedService } from '../../src/dev/local-services.js';
import { healthWorkflow } from './health.js';
import { poolRules, poolWorkflow, type PoolObservations } from './pool.js';
import { queueWorkflow } from './queue.js';
import { tryitnowRemediations } from './remediations.js';
import { evaluateRules } from '../../src/core/rule.js';
import { stateWorkflow } from './state.js';
import { clock } from '../../test/support/tryitnow/world.js';

/**
 * What the real Try It Now server does (`reference/real-systems.md`, Try It Now items 1–9), against the simulators
 * that now behave like it: real NATS with worker stand-ins, real Redis for Valkey, the API and Caddy fakes.
 */

let nats: StartedNatsServer;
let redis: StartedService;
let nc: NatsConnection;
let world: TryItNowWorld | undefined;
let clients: TryItNowClients | undefined;
let extraWorkers: TryItNowWorkers | undefined;

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNatsServer(), startRedis()]);
  nc = await connect({ servers: nats.url.replace('nats://', '') });
});

afterEach(async () => {
  await extraWorkers?.giveUp();
  extraWorkers = undefined;
  if (clients) await closeTryItNowClients(clients);
  clients = undefined;
  await world?.close();
  world = undefined;
  await (await nc.jetstreamManager()).streams.delete('PROVISIONING').catch(() => undefined);
});

afterAll(async () => {
  await nc?.close();
  await Promise.all([nats?.stop(), redis?.stop()]);
});

async function start(scenario: TryItNowScenario, timeoutMs = 3000): Promise<TryItNowClients> {
  world = await startTryItNowWorld({ scenario, natsUrl: nats.url, valkeyUrl: redis.url, apiKey: 'k' });
  clients = createTryItNowClients(
    TryItNowInstanceSchema.parse({
      url: world.api.url,
      apiKey: 'k',
      natsUrl: nats.url,
      natsMonitorUrl: nats.monitorUrl,
      valkeyUrl: redis.url,
      caddyAdminUrl: world.caddy.url,
      timeoutMs,
    }),
    { clock },
  );
  // Live workers register their pull requests within a moment of starting.
  await new Promise((r) => setTimeout(r, 300));
  return clients;
}

type Runnable = typeof healthWorkflow;
async function run(workflow: Runnable): Promise<Map<string, Finding>> {
  const r = await workflow.run({
    target: 'prod',
    clients: clients as TryItNowClients,
    args: {},
    clock,
    signal: new AbortController().signal,
    logger: silentLogger,
  });
  return new Map(r.findings.map((f) => [f.code, f]));
}

function remediation(id: string) {
  const r = tryitnowRemediations.find((x) => x.id === id);
  if (!r) throw new Error(`no remediation ${id}`);
  return (params: Record<string, string>) =>
    r.execute({
      target: 'prod',
      clients: clients as TryItNowClients,
      params,
      clock,
      signal: new AbortController().signal,
      logger: silentLogger,
    });
}

async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('real Try It Now', () => {
  it('item 1: routes are keyed by hostname — live routes are matched, only a truly orphaned one gets Clear', async () => {
    await start('healthy');
    let f = await run(stateWorkflow);
    expect(f.get('tryitnow.state.orphan-routes')).toMatchObject({ severity: 'ok' });
    expect(f.get('tryitnow.state.orphan-routes')?.actions).toBeUndefined();
    expect(f.get('tryitnow.state.orphan-routes')?.evidence).toContain('5 demo routes, each a live demo');
    expect(f.get('tryitnow.state.missing-routes')).toMatchObject({ severity: 'ok' });

    await world!.setScenario('orphaned-route');
    f = await run(stateWorkflow);
    const orphan = f.get('tryitnow.state.orphan-routes');
    const gone = routeIdOf(hostnameOf(demoId('released-1')));
    expect(orphan?.severity).toBe('warning');
    expect(orphan?.actions?.map((a) => a.params['route-id'])).toEqual([gone]);
    expect(orphan?.evidence).toContain('the other 5 belong to live demos and are left alone');
  });

  it('item 1: the route id is not the instance id — a route named after an id is not taken for that demo', async () => {
    await start('healthy');
    const assigned = demoIds('a', 5);
    expect(routeIdOf(hostnameOf(assigned[0]!))).not.toBe(`demo-route-${assigned[0]}`);
    const routeIds = world!.caddy.routeIds();
    expect(routeIds).toEqual(assigned.map((id) => routeIdOf(hostnameOf(id))));
  });

  it('item 2: instance records are JSON strings with demo-<uuid> ids; warming is never presented as a reading', async () => {
    await start('healthy');
    const admin = new Redis(redis.url);
    try {
      const id = demoIds('a', 1)[0]!;
      expect(id).toMatch(/^demo-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(await admin.type(`instance:${id}`)).toBe('string');
      expect(JSON.parse((await admin.get(`instance:${id}`)) ?? '{}')).toMatchObject({ id, hostname: hostnameOf(id) });
      expect(await admin.exists('state:warming')).toBe(0);
      const [read] = await clients!.valkey.instanceRecords([id]);
      expect(read).toMatchObject({ kind: 'record', record: { id, hostname: hostnameOf(id), state: 'assigned' } });

      // A record that is not the JSON Try It Now writes makes the route check refuse to call anything orphaned.
      await admin.del(`instance:${id}`);
      await admin.hset(`instance:${id}`, { id, hostname: hostnameOf(id) });
      await world!.caddy.setRoutes([hostnameOf(id), hostnameOf('nobody')]);
      const f = await run(stateWorkflow);
      expect(f.get('tryitnow.state.orphan-routes')).toMatchObject({ severity: 'inconclusive' });
      expect(f.get('tryitnow.state.orphan-routes')?.actions).toBeUndefined();
      expect(f.get('tryitnow.state.orphan-routes')?.evidence).toContain('is a hash, not the JSON string');
    } finally {
      admin.disconnect();
    }
    const pool = await run(poolWorkflow);
    expect(pool.get('tryitnow.pool.ready')?.evidence).toContain('"warming" is not measured');
    expect(pool.get('tryitnow.pool.ready')?.evidence).not.toMatch(/warming \d/);
  });

  it('item 3: no demo server on a fresh healthy server is normal, not a failure', async () => {
    await start('fresh-start');
    const f = await run(healthWorkflow);
    expect(f.get('tryitnow.health.caddy')).toMatchObject({
      severity: 'ok',
      title: 'Caddy has no `demo` server yet — normal before the first acquire',
    });
    expect(f.get('tryitnow.health.caddy')?.evidence).toContain('this is not a failure');
  });

  it('item 3: a demo server deleted while the server runs is critical, with the restart and the runbook order', async () => {
    await start('demo-server-deleted');
    const f = await run(healthWorkflow);
    const caddy = f.get('tryitnow.health.caddy');
    expect(caddy?.severity).toBe('critical');
    expect(caddy?.title).toBe("Caddy's `demo` server is gone: every acquire fails (503 ROUTE_FAILED)");
    expect(caddy?.evidence).toContain('demo_acquisitions_total{result="route_failed"} 4');
    expect(caddy?.evidence).toContain('demo_route_operations_total{operation="add",result="failure"} 4');
    expect(caddy?.nextStep).toContain('systemctl restart try-it-now');
    expect(caddy?.runbookCorrection).toContain('with the Try It Now server stopped');
    expect(caddy?.runbookCorrection).toContain('reappears only with the first acquire');
  });

  it('item 4: Valkey down — the bot times out on the hanging stats and calls the frozen gauges stale', async () => {
    await start('store-unavailable', 1000);
    const started = Date.now();
    const f = await run(poolWorkflow);
    expect(Date.now() - started).toBeLessThan(5000);
    const ready = f.get('tryitnow.pool.ready');
    expect(ready).toMatchObject({
      severity: 'critical',
      title: 'Pool level unknown: the Try It Now API cannot reach its store (Valkey)',
    });
    expect(ready?.evidence).toContain('timed out after 1000 ms');
    expect(ready?.evidence).toContain('still read ready 10 of 10');
    expect(ready?.evidence).toContain('frozen at their last values');
    expect([...f.values()].some((x) => /at target/i.test(x.title))).toBe(false);
  });

  it('item 5: consumers without waiting pulls or a client connection are disconnected workers, not "nothing to do"', async () => {
    await start('healthy');
    let f = await run(queueWorkflow);
    expect(f.get('tryitnow.queue.waiting')).toMatchObject({ severity: 'ok', title: 'Workers pulling' });
    expect(f.get('tryitnow.queue.waiting')?.evidence).toContain('provision-workers 3 waiting pull requests');

    await world!.setScenario('nats-gave-up');
    await until(async () => (await clients!.nats.consumerInfo('PROVISIONING', 'provision-workers')).numWaiting === 0);
    f = await run(queueWorkflow);
    const waiting = f.get('tryitnow.queue.waiting');
    expect(waiting).toMatchObject({ severity: 'critical', title: "Try It Now's NATS workers are not pulling" });
    expect(waiting?.evidence).toContain('is not "nothing to do"');
    expect(waiting?.nextStep).toContain('systemctl restart try-it-now');
    expect(waiting?.runbookCorrection).toContain('never reconnects');
  });

  it('item 5: with no other client connected, NATS says the workers are disconnected', async () => {
    await start('nats-gave-up');
    const solo = createTryItNowClients(
      TryItNowInstanceSchema.parse({
        url: world!.api.url,
        natsUrl: nats.url,
        natsMonitorUrl: nats.monitorUrl,
        valkeyUrl: redis.url,
        caddyAdminUrl: world!.caddy.url,
      }),
      { clock },
    );
    // The test's own connection would count as a client: close it for this reading.
    await nc.close();
    try {
      // The server drops a closed connection from /connz a moment after the client closed it.
      await until(async () => (await solo.nats.connections()).connections.every((c) => c.name === 'runbook-bot'));
      const r = await queueWorkflow.run({
        target: 'prod',
        clients: solo,
        args: {},
        clock,
        signal: new AbortController().signal,
        logger: silentLogger,
      });
      const waiting = r.findings.find((x) => x.code === 'tryitnow.queue.waiting');
      expect(waiting?.title).toBe("Try It Now's NATS workers are disconnected");
      expect(waiting?.evidence).toContain("NATS holds no client connection besides the bot's");
    } finally {
      await closeTryItNowClients(solo);
      nc = await connect({ servers: nats.url.replace('nats://', '') });
    }
  });

  it('item 6: redeliveries outlive their messages — no Remove for a message already gone, and the fix re-checks', async () => {
    await start('nats-gave-up');
    extraWorkers = await startTryItNowWorkers({ natsUrl: nats.url, failProvision: true });
    const js = nc.jetstream();
    await js.publish('PROVISIONING.provision', new TextEncoder().encode('{"task_id":"t1"}'));
    await until(async () => extraWorkers!.naked() >= 5); // MaxDeliver 5
    let f = await run(queueWorkflow);
    let red = f.get('tryitnow.queue.redelivered');
    expect(red?.severity).toBe('warning');
    expect(red?.actions?.map((a) => a.label)).toEqual(['Remove message #1', 'Purge stream']);

    await (await nc.jetstreamManager()).streams.deleteMessage('PROVISIONING', 1);
    expect((await clients!.nats.consumerInfo('PROVISIONING', 'provision-workers')).numRedelivered).toBe(1);
    f = await run(queueWorkflow);
    red = f.get('tryitnow.queue.redelivered');
    expect(red).toMatchObject({ severity: 'ok', title: 'Redelivery count left over from messages already gone' });
    expect(red?.actions).toBeUndefined();

    await expect(remediation('remove-message')({ seq: '1' })).rejects.toMatchObject({
      code: REFUSED_BEFORE_WRITE,
      message: expect.stringContaining('message #1 is already gone from PROVISIONING'),
    });
    // JetStream's own answer to deleting it again (10057 "no message found") reads the same.
    await expect(clients!.nats.deleteMessage('PROVISIONING', 1)).rejects.toMatchObject({
      code: 'MESSAGE_NOT_FOUND',
      message: expect.stringContaining('already gone'),
    });
    await expect(remediation('purge-stream')({})).rejects.toMatchObject({ code: REFUSED_BEFORE_WRITE });

    // A fresh task published after the loss (no worker pulls it) is stored past the floor but was never delivered:
    // it is not the redelivered message, and no Remove is offered for it.
    await extraWorkers!.giveUp();
    await js.publish('PROVISIONING.provision', new TextEncoder().encode('{"task_id":"t2"}'));
    f = await run(queueWorkflow);
    red = f.get('tryitnow.queue.redelivered');
    expect(red).toMatchObject({ severity: 'ok', title: 'Redelivery count left over from messages already gone' });
    expect(red?.actions).toBeUndefined();
  });

  it('item 6: clear-route re-reads the route and the instances, and refuses a live or vanished route', async () => {
    await start('orphaned-route');
    const live = routeIdOf(hostnameOf(demoIds('a', 1)[0]!));
    const orphan = routeIdOf(hostnameOf(demoId('released-1')));
    await expect(remediation('clear-route')({ 'route-id': live })).rejects.toMatchObject({
      code: REFUSED_BEFORE_WRITE,
    });
    expect(world!.caddy.routeIds()).toContain(live);
    await expect(remediation('clear-route')({ 'route-id': 'demo-route-nothing-here' })).rejects.toMatchObject({
      code: REFUSED_BEFORE_WRITE,
    });
    const done = await remediation('clear-route')({ 'route-id': orphan });
    expect(done.summary).toBe(`removed Caddy route ${orphan}; 5 demo routes remain`);
    expect(world!.caddy.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([`/id/${orphan}`]);
  });

  it('item 7: messages past MaxDeliver stay stored with num_pending 0; empty and purged streams read sensibly', async () => {
    await start('nats-gave-up');
    let f = await run(queueWorkflow);
    expect(f.get('tryitnow.queue.stream')?.evidence).toMatch(/^no message stored \(none ever published\)/);

    extraWorkers = await startTryItNowWorkers({ natsUrl: nats.url, failProvision: true });
    const js = nc.jetstream();
    for (const id of ['t1', 't2']) await js.publish('PROVISIONING.provision', new TextEncoder().encode(id));
    await until(async () => extraWorkers!.naked() >= 10);
    await until(
      async () => (await clients!.nats.consumerInfo('PROVISIONING', 'provision-workers')).numAckPending === 0,
    );
    f = await run(queueWorkflow);
    const depth = f.get('tryitnow.queue.depth');
    expect(depth?.title).toBe('Messages left in the provisioning stream after MaxDeliver');
    expect(depth?.evidence).toContain('2 messages stored (sequences 1–2)');
    expect(depth?.evidence).toContain('provision-workers 0 pending');
    expect(depth?.evidence).toContain('2 stored messages neither pending nor awaiting ack');

    await clients!.nats.purgeStream('PROVISIONING');
    f = await run(queueWorkflow);
    expect(f.get('tryitnow.queue.stream')?.evidence).toMatch(/^no message stored \(last sequence 2\)/);
    expect(f.get('tryitnow.queue.depth')?.title).toBe('Queue depth 0 — by design');
  });

  it('item 7: a pool above its target (NATS-delivered tasks ignore it) is not a problem', () => {
    const obs: PoolObservations = {
      stats: { ok: true, value: { ready: 12, assigned: 0, warming: 0, target: 10, capacity: 20 } },
      metrics: { ok: false, error: new Error('not read') },
    };
    const ready = evaluateRules(poolRules, obs, 0).find((x) => x.code === 'tryitnow.pool.ready');
    expect(ready).toMatchObject({ severity: 'ok', title: 'Warm pool above target' });
    expect(ready?.evidence).toContain('2 above the target — not a fault');
  });

  it('item 8: provisioning failures are looked for where the real server logs them', async () => {
    await start('provision-failures');
    const f = await run(poolWorkflow);
    const failures = f.get('tryitnow.pool.provision-failures');
    expect(failures?.nextStep).toContain('Failed to provision instance|Replenishment check failed');
    expect(failures?.runbookCorrection).toContain('"Provision task failed"`, but that line is logged only for tasks');
    expect(failures?.runbookCorrection).toContain('counts 5 failures in `demo_provisions_total`');
    expect(f.get('tryitnow.pool.ready')?.nextStep).toContain('Initial replenishment failed');
  });

  it('item 9: where the bot suggests a test acquire it states the rate limit', async () => {
    await start('demo-server-deleted');
    const f = await run(healthWorkflow);
    expect(f.get('tryitnow.health.caddy')?.nextStep).toContain('2 an hour and 5 a day');
    expect(f.get('tryitnow.health.caddy')?.nextStep).toContain('429 RATE_LIMITED');
  });
});
