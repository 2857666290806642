import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createM4Client, M4InstanceSchema } from '../../integrations/m4/index.js';
import { fixedClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { TargetError } from '../../src/core/target-error.js';
import { getFreePort } from '../../src/dev/local-services.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import { M4_CODES } from './codes.js';
import { NOW, createM4Harness, type M4Harness } from '../../test/support/m4/harness.js';
import { analyzeReplay, createStreamWorkflow, judgeFromSeq } from './stream.js';

const stream = createStreamWorkflow({ probeMs: 300 });
let h: M4Harness;
const servers: Server[] = [];

beforeAll(async () => {
  h = await createM4Harness(await createTestDatabase());
});
afterAll(async () => {
  await h.close();
});
afterEach(async () => {
  h.sim.setFromSeqMode('string-error');
  h.sim.setFaults({});
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

const severities = (r: Awaited<ReturnType<M4Harness['run']>>) =>
  Object.fromEntries(r.findings.map((f) => [f.code, f.severity]));

describe('/m4 stream <runId> against the simulator (reading the same Postgres)', () => {
  it('finished run on a fixed server: every check ok, fromSeq tested with a second read', async () => {
    await h.seed('finished');
    h.sim.setFromSeqMode('number');
    const before = h.sim.requests.length;
    const r = await h.run(stream, { runId: 'r-5e2d80' });
    expect(severities(r)).toEqual({
      [M4_CODES.streamFirstSeq]: 'ok',
      [M4_CODES.streamOrder]: 'ok',
      [M4_CODES.streamDuplicates]: 'ok',
      [M4_CODES.streamTerminal]: 'ok',
      [M4_CODES.streamFromSeq]: 'ok',
    });
    expect(r.byCode.get(M4_CODES.streamOrder)?.evidence).toBe('8 events, seq 1 → 8, each one above the last, no holes');
    expect(r.byCode.get(M4_CODES.streamTerminal)?.evidence).toBe(
      'last event seq 8 is RunFinished; then the server closed the stream',
    );
    expect(h.sim.requests.slice(before)).toEqual([
      'GET /api/agents/runs/r-5e2d80/stream',
      'GET /api/agents/runs/r-5e2d80/stream?fromSeq=1',
    ]);
    expect(r.summary).toBe('r-5e2d80: 8 events replayed; all 5 checks ok');
  });

  it('the probable fromSeq string bug (HEAD): critical, with the proof that the stream works without it', async () => {
    await h.seed('finished');
    const r = await h.run(stream, { runId: 'r-5e2d80' });
    const f = r.byCode.get(M4_CODES.streamFromSeq)!;
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('?fromSeq= is broken: fromSeq reaches the server as a string');
    expect(f.evidence).toBe(
      'GET /api/agents/runs/r-5e2d80/stream?fromSeq=1 sent an SSE error event (INTERNAL_SERVER_ERROR 500: Internal ' +
        'server error) and no events; without fromSeq the same stream works (8 events from seq 1) — expected events from seq 2',
    );
    expect(f.nextStep).toContain('reconnect WITHOUT fromSeq');
    expect(f.runbookCorrection).toContain('does not hold at HEAD');
    expect(r.byCode.get(M4_CODES.streamTerminal)?.severity).toBe('ok');
    expect(r.summary).toBe('r-5e2d80: 8 events replayed; 1 critical');
  });

  it('fromSeq concatenated and used: the replay starts at seq 11 instead of 2', async () => {
    await h.seed('outbox-backlog');
    h.sim.setFromSeqMode('string-concat');
    const r = await h.run(stream, { runId: 'r-b10c01' });
    expect(r.byCode.get(M4_CODES.streamFromSeq)?.evidence).toBe(
      'GET /api/agents/runs/r-b10c01/stream?fromSeq=1 replayed from seq 11, not 2: "1" + 1 = "11"',
    );
    expect(r.byCode.get(M4_CODES.streamFromSeq)?.severity).toBe('critical');
    // A run that is still going: the stream stays open, no RunFinished within the window.
    const terminal = r.byCode.get(M4_CODES.streamTerminal)!;
    expect(terminal.severity).toBe('warning');
    expect(terminal.evidence).toContain('database: state started, lastSeq 400, last published seq 100');
  });

  it('fromSeq concatenated on a short run: nothing within the probe window although seq 2 is published', async () => {
    await h.seed('finished');
    h.sim.setFromSeqMode('string-concat');
    const r = await h.run(stream, { runId: 'r-5e2d80' });
    expect(r.byCode.get(M4_CODES.streamFromSeq)?.severity).toBe('critical');
    expect(r.byCode.get(M4_CODES.streamFromSeq)?.evidence).toContain('although seq 2 is published');
  });

  it('--from-seq 5 on HEAD: the check falls back to a replay from the start and says so', async () => {
    await h.seed('finished');
    const before = h.sim.requests.length;
    const r = await h.run(stream, { runId: 'r-5e2d80', 'from-seq': '5' });
    expect(h.sim.requests.slice(before)).toEqual([
      'GET /api/agents/runs/r-5e2d80/stream?fromSeq=5',
      'GET /api/agents/runs/r-5e2d80/stream',
    ]);
    expect(r.byCode.get(M4_CODES.streamFromSeq)?.severity).toBe('critical');
    expect(r.byCode.get(M4_CODES.streamFirstSeq)?.evidence).toBe(
      'first event seq 1 (RunStarted) = expected 1 (replay from the start: the requested fromSeq failed)',
    );
  });

  it('--from-seq 5 on a fixed server: first event 6, ends on RunFinished', async () => {
    await h.seed('finished');
    h.sim.setFromSeqMode('number');
    const r = await h.run(stream, { runId: 'r-5e2d80', 'from-seq': '5' });
    expect(r.verdict).toBe('ok');
    expect(r.byCode.get(M4_CODES.streamFirstSeq)?.evidence).toBe('first event seq 6 (DebugTrace) = expected 6');
    expect(r.byCode.get(M4_CODES.streamFromSeq)?.evidence).toContain('first event seq 6 = fromSeq + 1');
  });

  it('stuck-outbox: the stream stops at the last published seq, no RunFinished; the database tells why', async () => {
    await h.seed('stuck-outbox');
    h.sim.setFromSeqMode('number');
    const r = await h.run(stream, { runId: 'r-7c1f2a' });
    const t = r.byCode.get(M4_CODES.streamTerminal)!;
    expect(t.severity).toBe('warning');
    expect(t.title).toMatch(/^No RunFinished within \d+ ms$/);
    expect(t.evidence).toContain('6 events, last seq 6 (DebugTrace)');
    expect(t.evidence).toContain('database: state started, lastSeq 9, last published seq 6');
    expect(t.nextStep).toContain('/m4 run');
  });

  it('a duplicate seq is critical (server de-dupe bug), a swap breaks order and the first seq', async () => {
    await h.seed('finished');
    h.sim.setFromSeqMode('number');
    h.sim.setFaults({ duplicate: true });
    let r = await h.run(stream, { runId: 'r-5e2d80' });
    expect(r.byCode.get(M4_CODES.streamDuplicates)).toMatchObject({
      severity: 'critical',
      title: 'Stream sent seq 3 more than once',
    });
    expect(r.byCode.get(M4_CODES.streamOrder)?.severity).toBe('ok');
    h.sim.setFaults({ reorder: true });
    r = await h.run(stream, { runId: 'r-5e2d80' });
    expect(r.byCode.get(M4_CODES.streamOrder)).toMatchObject({ severity: 'critical', evidence: '2 → 1 in 8 events' });
    expect(r.byCode.get(M4_CODES.streamFirstSeq)?.severity).toBe('critical');
    expect(r.byCode.get(M4_CODES.streamDuplicates)?.severity).toBe('ok');
  });

  it('an unknown run: the stream stays silent (no 404), the database says there is no such run', async () => {
    await h.seed('healthy');
    const r = await h.run(stream, { runId: 'r-nope' });
    expect(r.byCode.get(M4_CODES.streamFirstSeq)?.severity).toBe('warning');
    expect(r.byCode.get(M4_CODES.streamFirstSeq)?.evidence).toContain('database: no such run');
    expect(r.byCode.get(M4_CODES.streamFromSeq)?.severity).toBe('inconclusive');
  });

  it('without a run id: inconclusive', async () => {
    expect((await h.run(stream, {})).codes).toEqual([M4_CODES.noRunId]);
  });
});

describe('/m4 stream against other servers', () => {
  async function rawStream(body: string): Promise<string> {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(body);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const ev = (seq: number, type = 'DebugTrace') =>
    `event: message\ndata: ${JSON.stringify({ runId: 'r-5e2d80', seq, ts: NOW, type, v: 1, source: 'outbox' })}\n\n`;

  async function runAgainst(url: string) {
    const api = createM4Client(M4InstanceSchema.parse({ url, databaseUrl: h.databaseUrl, streamWindowMs: 500 }), {
      clock: fixedClock(NOW),
    });
    try {
      const result = await stream.run({
        target: 'prod',
        clients: { api, db: h.clients.db },
        args: { runId: 'r-5e2d80' },
        clock: fixedClock(NOW),
        signal: new AbortController().signal,
        logger: silentLogger,
      });
      return new Map(result.findings.map((f) => [f.code, f]));
    } finally {
      await api.close();
    }
  }

  it('RunFinished published in the database but not delivered by the stream: critical', async () => {
    await h.seed('finished');
    const byCode = await runAgainst(await rawStream([1, 2, 3, 4, 5, 6, 7].map((s) => ev(s)).join('')));
    expect(byCode.get(M4_CODES.streamTerminal)).toMatchObject({
      severity: 'critical',
      title: 'RunFinished is published but the stream did not deliver it',
    });
  });

  it('events after RunFinished: the "Append After Terminal" pattern', async () => {
    await h.seed('finished');
    const byCode = await runAgainst(await rawStream([ev(1), ev(2), ev(3, 'RunFinished'), ev(4)].join('')));
    expect(byCode.get(M4_CODES.streamTerminal)).toMatchObject({
      severity: 'critical',
      title: '1 event(s) after RunFinished',
    });
  });

  it('an unreachable API: one inconclusive finding', async () => {
    await h.seed('finished');
    const byCode = await runAgainst(`http://127.0.0.1:${await getFreePort()}`);
    expect([...byCode.keys()]).toEqual([M4_CODES.probeStream]);
    expect(byCode.get(M4_CODES.probeStream)?.severity).toBe('inconclusive');
  });
});

describe('analyzeReplay and judgeFromSeq', () => {
  const e = (seq: number, type = 'DebugTrace') => ({ runId: 'r', seq, ts: 0, type });
  it('finds duplicates, backward steps, holes and the terminal event', () => {
    const a = analyzeReplay([e(6), e(7), e(7), e(5), e(9), e(10, 'RunFinished')], 5);
    expect(a).toEqual({
      expectedFirst: 6,
      firstSeq: 6,
      duplicates: [7],
      decreases: [{ after: 7, seq: 5 }],
      jumps: [{ from: 5, to: 9 }],
      finishedSeq: 10,
      afterFinish: 0,
    });
  });

  it('judges an HTTP error on ?fromSeq= as the string bug, a network error as untested', () => {
    const read = {
      endpoint: 'GET x',
      status: 200,
      events: [e(1), e(2)],
      errors: [],
      invalid: 0,
      pings: 0,
      end: 'done' as const,
      elapsedMs: 5,
    };
    const http = new TargetError('api-error', 'GET …?fromSeq=1: M4 answered 500 INTERNAL_SERVER_ERROR', {
      status: 500,
      code: 'INTERNAL_SERVER_ERROR',
    });
    const answered = judgeFromSeq(1, { ok: false, error: http }, { ok: true, value: read });
    expect(answered.severity).toBe('critical');
    expect(answered.evidence).toBe(
      'GET …?fromSeq=1: M4 answered 500 INTERNAL_SERVER_ERROR; without fromSeq the same stream works (2 events from seq 1) — expected events from seq 2',
    );
    const refused = new TargetError('unreachable', 'GET …?fromSeq=1 failed: connection refused (m4:3000)');
    expect(judgeFromSeq(1, { ok: false, error: refused }, { ok: true, value: read }).severity).toBe('inconclusive');
    // A plain Error is not the server's answer either, whatever its message says.
    expect(judgeFromSeq(1, { ok: false, error: new Error('500') }, undefined).severity).toBe('inconclusive');
  });
});
