import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { fixedClock } from '../../src/core/clock.js';
import { isTargetError } from '../../src/core/target-error.js';
import { getFreePort } from '../../src/dev/local-services.js';
import { TryItNowInstanceSchema } from './config.js';
import {
  CLEANUP_CONSUMER,
  PROVISION_CONSUMER,
  createProvisioningStream,
} from './simulator/create-provisioning-stream.js';
import { createTryItNowNatsClient, type TryItNowNatsClient } from './nats-client.js';
import { startNatsServer, type StartedNatsServer } from './simulator/start-nats-server.js';

/** The JetStream client against a real `nats-server -js` (started here, on free ports, with a temp store dir). */

const clock = fixedClock(Date.parse('2026-01-17T10:00:00Z'));
let server: StartedNatsServer;
let client: TryItNowNatsClient;
let raw: NatsConnection;

function clientFor(natsUrl: string, natsMonitorUrl: string, timeoutMs = 3000): TryItNowNatsClient {
  const config = TryItNowInstanceSchema.parse({
    url: 'http://127.0.0.1:1',
    natsUrl,
    natsMonitorUrl,
    valkeyUrl: 'redis://127.0.0.1:1',
    caddyAdminUrl: 'http://127.0.0.1:1',
    timeoutMs,
  });
  return createTryItNowNatsClient(config, { clock });
}

beforeAll(async () => {
  server = await startNatsServer();
  client = clientFor(server.url, server.monitorUrl);
  raw = await connect({ servers: server.url.replace('nats://', '') });
});

afterAll(async () => {
  await raw?.close();
  await client?.close();
  await server?.stop();
});

async function storedSeqs(stream: string): Promise<number[]> {
  const jsm = await raw.jetstreamManager();
  const info = await jsm.streams.info(stream);
  const seqs: number[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    try {
      await jsm.streams.getMessage(stream, { seq });
      seqs.push(seq);
    } catch {
      // deleted
    }
  }
  return seqs;
}

describe('TryItNowNatsClient against a real nats-server', () => {
  it('reads stream and consumer info of the §5.3 layout', async () => {
    await createProvisioningStream(server.url, 'INFO_T', { provisionMessages: 4, cleanupMessages: 2 });
    const si = await client.streamInfo('INFO_T');
    expect(si).toMatchObject({
      name: 'INFO_T',
      subjects: ['INFO_T.provision', 'INFO_T.cleanup'],
      retention: 'workqueue',
      storage: 'file',
      messages: 6,
      firstSeq: 1,
      lastSeq: 6,
      consumerCount: 2,
    });
    const p = await client.consumerInfo('INFO_T', PROVISION_CONSUMER);
    expect(p).toMatchObject({
      name: PROVISION_CONSUMER,
      filterSubject: 'INFO_T.provision',
      numPending: 4,
      numAckPending: 0,
      numRedelivered: 0,
      numWaiting: 0,
      maxDeliver: 5,
      maxAckPending: 6,
      ackWaitSeconds: 30,
    });
    const c = await client.consumerInfo('INFO_T', CLEANUP_CONSUMER);
    expect(c).toMatchObject({ numPending: 2, maxDeliver: 3, ackWaitSeconds: 60 });
  });

  it('sees ack-pending and redelivered messages after a worker naks one', async () => {
    await createProvisioningStream(server.url, 'REDELIVER_T', { provisionMessages: 3 });
    const js = raw.jetstream();
    const consumer = await js.consumers.get('REDELIVER_T', PROVISION_CONSUMER);
    const first = await consumer.next({ expires: 2000 });
    expect(first?.seq).toBe(1);
    first?.nak();
    // A nak'd message is redelivered at once; pull (without acking) until it comes back.
    let redelivered = false;
    for (let i = 0; i < 3 && !redelivered; i++) {
      const m = await consumer.next({ expires: 2000 });
      redelivered = m?.seq === 1 && m.info.redelivered;
    }
    expect(redelivered).toBe(true);
    const info = await client.consumerInfo('REDELIVER_T', PROVISION_CONSUMER);
    expect(info.numRedelivered).toBe(1);
    expect(info.numAckPending).toBeGreaterThanOrEqual(1);
    expect(info.numPending + info.numAckPending).toBe(3);
    expect(info.ackFloorStreamSeq).toBe(0);
  });

  it('purges up to and including keep-after, then everything', async () => {
    await createProvisioningStream(server.url, 'PURGE_T', { provisionMessages: 10 });
    expect((await client.streamInfo('PURGE_T')).messages).toBe(10);

    const partial = await client.purgeStream('PURGE_T', { keepAfterSeq: 6 });
    expect(partial).toEqual({ purged: 6, request: { seq: 7 } });
    const after = await client.streamInfo('PURGE_T');
    expect(after.messages).toBe(4);
    expect(after.firstSeq).toBe(7);
    expect(await storedSeqs('PURGE_T')).toEqual([7, 8, 9, 10]);

    const full = await client.purgeStream('PURGE_T');
    expect(full).toEqual({ purged: 4, request: {} });
    expect((await client.streamInfo('PURGE_T')).messages).toBe(0);
    expect((await client.consumerInfo('PURGE_T', PROVISION_CONSUMER)).numPending).toBe(0);
  });

  it('refuses keep-after 0, which the server would read as a full purge, and bad values', async () => {
    await createProvisioningStream(server.url, 'PURGE0_T', { provisionMessages: 3 });
    await expect(client.purgeStream('PURGE0_T', { keepAfterSeq: 0 })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    await expect(client.purgeStream('PURGE0_T', { keepAfterSeq: -1 })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    await expect(client.purgeStream('PURGE0_T', { keepAfterSeq: 1.5 })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    expect((await client.streamInfo('PURGE0_T')).messages).toBe(3);
  });

  it('why keep-after 0 is refused: the server reads {"seq":1} as a full purge', async () => {
    await createProvisioningStream(server.url, 'SEQ1_T', { provisionMessages: 3 });
    const jsm = await raw.jetstreamManager();
    const r = await jsm.streams.purge('SEQ1_T', { seq: 1 });
    expect(r.purged).toBe(3);
  });

  it('deletes exactly the message with that sequence', async () => {
    await createProvisioningStream(server.url, 'RMM_T', { provisionMessages: 5 });
    await client.deleteMessage('RMM_T', 3);
    expect(await storedSeqs('RMM_T')).toEqual([1, 2, 4, 5]);
    const si = await client.streamInfo('RMM_T');
    expect(si.messages).toBe(4);
    expect(si.numDeleted).toBe(1);
    await expect(client.deleteMessage('RMM_T', 3)).rejects.toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
  });

  it('names a missing stream and a missing consumer', async () => {
    await expect(client.streamInfo('NOPE')).rejects.toMatchObject({ kind: 'api-error', code: 'STREAM_NOT_FOUND' });
    await createProvisioningStream(server.url, 'NOCONS_T');
    await expect(client.consumerInfo('NOCONS_T', 'ghost')).rejects.toMatchObject({ code: 'CONSUMER_NOT_FOUND' });
  });

  it('refuses names that would address another API subject', async () => {
    await expect(client.streamInfo('A.B')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(client.consumerInfo('INFO_T', 'x>')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  it('reads the monitoring /healthz', async () => {
    expect(await client.healthz()).toEqual({ status: 'ok', httpStatus: 200 });
  });

  it('reports an unreachable NATS as a TargetError, fast', async () => {
    const port = await getFreePort();
    const monitorPort = await getFreePort();
    const dead = clientFor(`nats://127.0.0.1:${port}`, `http://127.0.0.1:${monitorPort}`, 2000);
    try {
      const started = Date.now();
      const err: unknown = await dead.streamInfo('PROVISIONING').catch((e: unknown) => e);
      expect(isTargetError(err) && err.kind).toBe('unreachable');
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);
      expect(Date.now() - started).toBeLessThan(2000);
      const hz: unknown = await dead.healthz().catch((e: unknown) => e);
      expect(isTargetError(hz) && hz.kind).toBe('unreachable');
    } finally {
      await dead.close();
    }
  });

  it('reconnects after the server connection was lost', async () => {
    const other = await startNatsServer();
    const c = clientFor(other.url, other.monitorUrl);
    try {
      await createProvisioningStream(other.url, 'RECON_T', { provisionMessages: 1 });
      expect((await c.streamInfo('RECON_T')).messages).toBe(1);
      await other.stop();
      await expect(c.streamInfo('RECON_T')).rejects.toSatisfy(isTargetError);
    } finally {
      await c.close();
      await other.stop();
    }
  });
});
