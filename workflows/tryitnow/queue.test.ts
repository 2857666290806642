import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import {
  CLEANUP_CONSUMER,
  PROVISION_CONSUMER,
  createProvisioningStream,
} from '../../integrations/tryitnow/simulator/create-provisioning-stream.js';
import { startNatsServer, type StartedNatsServer } from '../../integrations/tryitnow/simulator/start-nats-server.js';
import { getFreePort } from '../../src/dev/local-services.js';
import { queueWorkflow } from './queue.js';
import { severities, startWorld, type World } from '../../test/support/tryitnow/world.js';

/** The queue workflow against a real `nats-server -js` holding a PROVISIONING stream with the §5.3 consumers. */

let nats: StartedNatsServer;
let nc: NatsConnection;
let world: World | undefined;
let redisPort: number;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url.replace('nats://', '') });
  redisPort = await getFreePort(); // Valkey is not read by this workflow
});

afterEach(async () => {
  await world?.close();
  world = undefined;
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete('PROVISIONING').catch(() => undefined);
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

async function queueWith(provision: number, cleanup = 0) {
  await createProvisioningStream(nats.url, 'PROVISIONING', { provisionMessages: provision, cleanupMessages: cleanup });
  world = await startWorld({
    natsUrl: nats.url,
    natsMonitorUrl: nats.monitorUrl,
    valkeyUrl: `redis://127.0.0.1:${redisPort}`,
  });
  return world;
}

describe('queue workflow', () => {
  it('51 pending is a warning with a purge button; 50 is not', async () => {
    let w = await queueWith(50);
    let r = await w.run(queueWorkflow);
    let depth = r.byCode.get('tryitnow.queue.depth');
    expect(depth?.severity).toBe('ok');
    expect(depth?.title).toBe('Unexpected messages in the provisioning stream');
    expect(depth?.actions).toBeUndefined();
    await w.close();
    world = undefined;
    await (await nc.jetstreamManager()).streams.delete('PROVISIONING');

    w = await queueWith(51);
    r = await w.run(queueWorkflow);
    depth = r.byCode.get('tryitnow.queue.depth');
    expect(depth?.severity).toBe('warning');
    expect(depth?.evidence).toBe(
      '51 messages stored (sequences 1–51); provision-workers 51 pending, cleanup-workers 0 pending — warning above ' +
        '50, critical above 100 (on stored messages); any message here is unexpected: Try It Now itself publishes none',
    );
    expect(depth?.actions?.map((a) => [a.remediation, a.level, a.destructive])).toEqual([
      ['purge-stream', 'approval', true],
    ]);
    // Depth, and no worker pulling: nothing holds a pull request, which on a real server means its workers are gone.
    expect(r.summary).toBe('PROVISIONING: 51 messages pending; 1 critical, 1 warning');
  });

  it('more than 100 pending on either consumer is critical', async () => {
    const w = await queueWith(3, 101);
    const r = await w.run(queueWorkflow);
    expect(r.byCode.get('tryitnow.queue.depth')?.severity).toBe('critical');
    expect(r.byCode.get('tryitnow.queue.stream')?.evidence).toBe(
      '104 messages stored (sequences 1–104), workqueue retention, file storage, 2 consumers',
    );
    expect(r.findings[0]?.code).toBe('tryitnow.queue.depth');
  });

  it('a nak-ed, redelivered message is flagged with a remove-message button for its sequence', async () => {
    const w = await queueWith(4);
    const consumer = await nc.jetstream().consumers.get('PROVISIONING', PROVISION_CONSUMER);
    const first = await consumer.next({ expires: 2000 });
    first?.ack();
    const second = await consumer.next({ expires: 2000 });
    expect(second?.seq).toBe(2);
    second?.nak();
    let redelivered = false;
    for (let i = 0; i < 3 && !redelivered; i++) {
      const m = await consumer.next({ expires: 2000 });
      redelivered = m?.seq === 2 && m.info.redelivered;
    }
    expect(redelivered).toBe(true);
    const r = await w.run(queueWorkflow);
    const f = r.byCode.get('tryitnow.queue.redelivered');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence).toMatch(
      /^provision-workers 1 redelivered, \d awaiting ack; message #2 \(PROVISIONING\.provision\) is still stored$/,
    );
    expect(f?.actions?.map((a) => [a.remediation, a.params])).toEqual([
      ['remove-message', { seq: '2' }],
      ['purge-stream', {}],
    ]);
    expect(f?.runbookCorrection).toContain('is not a natscli command');
    expect(f?.runbookCorrection).toContain('nats stream rmm PROVISIONING <seq>');
  });

  it('MaxAckPending reached is flagged with the real worker-count variable', async () => {
    const w = await queueWith(8);
    const consumer = await nc.jetstream().consumers.get('PROVISIONING', PROVISION_CONSUMER);
    const batch = await consumer.fetch({ max_messages: 8, expires: 1000 });
    let got = 0;
    for await (const _m of batch) got++;
    expect(got).toBe(6); // MaxAckPending = 2 × NATS_WORKER_COUNT (3)
    const r = await w.run(queueWorkflow);
    const f = r.byCode.get('tryitnow.queue.ack-pending');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence).toBe('provision-workers 6/6 awaiting ack, cleanup-workers 0/6 awaiting ack');
    expect(f?.runbookCorrection).toContain('`NATS_WORKER_COUNT`');
  });

  it('pending messages with no pull request waiting: no worker is running (critical: live workers always pull)', async () => {
    const w = await queueWith(5);
    const r = await w.run(queueWorkflow);
    expect(r.byCode.get('tryitnow.queue.waiting')?.severity).toBe('critical');
  });

  it('a worker blocked in Fetch shows as a waiting pull request', async () => {
    const w = await queueWith(0);
    const consumer = await nc.jetstream().consumers.get('PROVISIONING', CLEANUP_CONSUMER);
    const pending = consumer.next({ expires: 1000 });
    // Give the server a moment to register the pull request.
    await new Promise((r) => setTimeout(r, 200));
    const r = await w.run(queueWorkflow);
    const f = r.byCode.get('tryitnow.queue.waiting');
    expect(f?.severity).toBe('ok');
    expect(f?.evidence).toContain('cleanup-workers 1 waiting pull requests');
    await pending;
  });

  it('a missing stream is one warning, not three failures', async () => {
    world = await startWorld({
      natsUrl: nats.url,
      natsMonitorUrl: nats.monitorUrl,
      valkeyUrl: `redis://127.0.0.1:${redisPort}`,
    });
    const r = await world.run(queueWorkflow);
    expect(severities(r.findings)).toEqual({ 'tryitnow.queue.stream': 'warning' });
    expect(r.findings[0]?.title).toBe('Stream PROVISIONING does not exist');
  });

  it('a missing consumer is a warning naming it, the other consumer is still read', async () => {
    const w = await queueWith(2, 1);
    await (await nc.jetstreamManager()).consumers.delete('PROVISIONING', CLEANUP_CONSUMER);
    const r = await w.run(queueWorkflow);
    expect(r.byCode.get('tryitnow.queue.consumers')).toMatchObject({
      severity: 'warning',
      evidence: 'not found on PROVISIONING: cleanup-workers',
    });
    expect(r.byCode.get('tryitnow.queue.depth')?.evidence).toMatch(
      /^3 messages stored \(sequences 1–3\); provision-workers 2 pending — /,
    );
    expect(r.findings.some((f) => f.severity === 'inconclusive')).toBe(false);
  });

  it('reads the stream named in the config (NATS_STREAM_NAME)', async () => {
    await createProvisioningStream(nats.url, 'DEMO_TASKS', { provisionMessages: 2 });
    try {
      world = await startWorld({
        natsUrl: nats.url,
        natsMonitorUrl: nats.monitorUrl,
        valkeyUrl: `redis://127.0.0.1:${redisPort}`,
        streamName: 'DEMO_TASKS',
      });
      const r = await world.run(queueWorkflow);
      expect(r.summary).toBe('DEMO_TASKS: 2 messages pending; 1 critical'); // no worker pulls from it
    } finally {
      await (await nc.jetstreamManager()).streams.delete('DEMO_TASKS');
    }
  });
});
