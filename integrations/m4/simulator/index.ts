/**
 * A loopback fake of M4's HTTP API, faithful to `reference/targets.md` §4.2: `GET /api/health`, `POST
 * /api/agents/runs/{runId}/cancel` (accepted, persists nothing, as at HEAD) and the run stream
 * `GET /api/agents/runs/{runId}/stream?fromSeq=N` as oRPC sends it — SSE `message` events with JSON data, empty
 * comment pings, `event: error` for a failed iterator, `event: done` after `RunFinished`. The stream backfills the
 * published events with `seq >= fromSeq + 1`, then waits for live events, skipping `seq <= lastSent`.
 *
 * With a `pool`, the simulator seeds that database with the scenario and reads `run_events` from it (so what the
 * database says and what the stream sends agree); with `outboxSubscriber` it also plays M4's in-process outbox
 * subscriber: it LISTENs on `agents_run_outbox` and publishes the run's pending events in order, one transaction
 * each. Without a pool, the scenario's rows live in memory. Used by tests and the demo; never in production.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { OUTBOX_CHANNEL } from '../db.js';
import { buildM4Scenario, seedM4, type M4Scenario, type M4ScenarioData, type SeedEvent } from './schema.js';

/**
 * How the stream treats `?fromSeq=`:
 * - `string-error` (default, HEAD as read): the route has no input schema, the query value stays a string,
 *   `(fromSeq ?? 0) + 1` concatenates (`"5"+1 = "51"`) and Prisma rejects `seq: {gte: "51"}`: the stream sends an
 *   oRPC `INTERNAL_SERVER_ERROR` error event and ends.
 * - `string-concat`: the concatenated value is used as a number (`fromSeq=5` replays from seq 51).
 * - `number`: the fixed behaviour (`fromSeq=5` replays from seq 6).
 */
export type FromSeqMode = 'number' | 'string-error' | 'string-concat';

/** Stream faults, to see the checks catch them. */
export interface StreamFaults {
  /** Sends one event of the backfill twice (a broken de-dupe). */
  readonly duplicate?: boolean;
  /** Swaps the first two events of the backfill. */
  readonly reorder?: boolean;
}

export interface M4SimulatorOptions {
  /** Default `healthy`. */
  readonly scenario?: M4Scenario;
  /** Database to seed and read (its tables are created and emptied). Without it the rows are in memory. */
  readonly pool?: pg.Pool;
  /** Play M4's outbox subscriber (needs `pool`). Default false: nothing publishes, as when the subscriber is down. */
  readonly outboxSubscriber?: boolean;
  /** The "now" of the scenario rows. Default the system clock. */
  readonly clock?: Clock;
  readonly fromSeqMode?: FromSeqMode;
  readonly faults?: StreamFaults;
  /** Keep-alive comment interval, ms (oRPC's default event-source ping: 5000). */
  readonly pingMs?: number;
  readonly port?: number;
  readonly host?: string;
}

export interface M4Simulator {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly scenario: M4Scenario;
  /** The scenario's rows (ids, seqs) as last seeded. */
  readonly data: M4ScenarioData;
  /** Every request received, `METHOD /path?query`. */
  readonly requests: readonly string[];
  /** Switches the scenario; with a pool, re-seeds the database. */
  setScenario(s: M4Scenario): Promise<void>;
  setFromSeqMode(mode: FromSeqMode): void;
  setFaults(faults: StreamFaults): void;
  close(): Promise<void>;
}

/** oRPC's JSON for an error that is not an ORPCError (details masked). */
const INTERNAL_ERROR = { defined: false, code: 'INTERNAL_SERVER_ERROR', status: 500, message: 'Internal server error' };
const NOT_FOUND = { defined: false, code: 'NOT_FOUND', status: 404, message: 'Not found' };
const STREAM_PATH = /^\/api\/agents\/runs\/([^/]+)\/stream$/;
const CANCEL_PATH = /^\/api\/agents\/runs\/([^/]+)\/cancel$/;

interface WireEvent {
  runId: string;
  seq: number;
  ts: number;
  type: string;
  v: number;
  source: string;
  name?: string;
  fn?: string;
}

function wire(e: Pick<SeedEvent, 'runId' | 'seq' | 'ts' | 'type' | 'source' | 'name' | 'fn'>): WireEvent {
  return {
    runId: e.runId,
    seq: e.seq,
    ts: e.ts,
    type: e.type,
    v: 1,
    source: e.source,
    ...(e.name ? { name: e.name } : {}),
    ...(e.fn ? { fn: e.fn } : {}),
  };
}

export async function startM4Simulator(o: M4SimulatorOptions = {}): Promise<M4Simulator> {
  const clock = o.clock ?? systemClock;
  const pool = o.pool;
  let scenario: M4Scenario = o.scenario ?? 'healthy';
  let data: M4ScenarioData = pool
    ? await seedM4(pool, scenario, { nowMs: clock.now() })
    : buildM4Scenario(scenario, clock.now());
  let fromSeqMode: FromSeqMode = o.fromSeqMode ?? 'string-error';
  let faults: StreamFaults = o.faults ?? {};
  const pingMs = o.pingMs ?? 5000;
  const requests: string[] = [];
  /** In-memory bus (`@sg/eventbus-inmemory`): live events reach streams of this process only. */
  const bus = new EventEmitter();
  bus.setMaxListeners(0);

  async function publishedFrom(runId: string, fromSeq: number): Promise<WireEvent[]> {
    if (!pool) {
      return data.events
        .filter((e) => e.runId === runId && e.seq >= fromSeq && e.publishedAtMs !== null)
        .sort((a, b) => a.seq - b.seq)
        .map(wire);
    }
    const rows = await pool.query<Record<string, unknown>>(
      `SELECT "runId", "seq", "ts"::float8 AS ts, "type", "source", "name", "fn" FROM "run_events"
        WHERE "runId" = $1 AND "seq" >= $2 AND "publishedAt" IS NOT NULL ORDER BY "seq"`,
      [runId, fromSeq],
    );
    return rows.rows.map((r) =>
      wire({
        runId: String(r.runId),
        seq: Number(r.seq),
        ts: Number(r.ts),
        type: String(r.type) as SeedEvent['type'],
        source: String(r.source) as SeedEvent['source'],
        name: r.name === null ? null : String(r.name),
        fn: r.fn === null ? null : String(r.fn),
      }),
    );
  }

  async function stream(req: IncomingMessage, res: ServerResponse, runId: string, raw: string | null): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': \n\n');
    const send = (event: string, payload: unknown): void => {
      if (!res.writableEnded)
        res.write(`event: ${event}\ndata: ${payload === undefined ? '' : JSON.stringify(payload)}\n\n`);
    };
    const finish = (): void => {
      if (!res.writableEnded) res.end();
    };
    let start: number;
    if (raw === null) start = 1;
    else if (fromSeqMode === 'number') start = Number(raw) + 1;
    else if (fromSeqMode === 'string-concat') start = Number(`${raw}1`);
    else start = Number.NaN; // Prisma rejects the string `${raw}1`
    if (!Number.isFinite(start)) {
      send('error', INTERNAL_ERROR);
      finish();
      return;
    }

    let lastSent = 0;
    let done = false;
    const queued: WireEvent[] = [];
    let backfilling = true;
    const deliver = (e: WireEvent): void => {
      if (done || e.seq <= lastSent) return;
      send('message', e);
      lastSent = e.seq;
      if (e.type === 'RunFinished') {
        done = true;
        send('done', undefined);
        finish();
      }
    };
    const onLive = (e: WireEvent): void => {
      if (e.runId !== runId) return;
      if (backfilling) queued.push(e);
      else deliver(e);
    };
    bus.on('published', onLive);
    const ping = setInterval(() => {
      if (!res.writableEnded) res.write(': \n\n');
    }, pingMs);
    const cleanup = (): void => {
      clearInterval(ping);
      bus.off('published', onLive);
    };
    req.on('close', cleanup);
    res.on('close', cleanup);

    let backfill: WireEvent[];
    try {
      backfill = await publishedFrom(runId, start);
    } catch {
      send('error', INTERNAL_ERROR);
      finish();
      return;
    }
    if (faults.reorder && backfill.length >= 2) [backfill[0], backfill[1]] = [backfill[1]!, backfill[0]!];
    for (const e of backfill) {
      if (done) break;
      // The real backfill sends every row it read; de-dupe applies to live events only.
      send('message', e);
      lastSent = Math.max(lastSent, e.seq);
      if (faults.duplicate && e === backfill[Math.min(2, backfill.length - 1)]) send('message', e);
      if (e.type === 'RunFinished') {
        done = true;
        send('done', undefined);
        finish();
      }
    }
    backfilling = false;
    for (const e of queued.splice(0)) deliver(e);
  }

  function reply(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const streamMatch = STREAM_PATH.exec(url.pathname);
    const cancelMatch = CANCEL_PATH.exec(url.pathname);
    if (req.method === 'GET' && url.pathname === '/api/health') return reply(res, 200, 'OK', 'text/plain');
    if (req.method === 'GET' && streamMatch) {
      void stream(req, res, decodeURIComponent(streamMatch[1]!), url.searchParams.get('fromSeq')).catch(() => {
        if (!res.headersSent) reply(res, 500, INTERNAL_ERROR);
        else res.end();
      });
      return;
    }
    // HEAD: publishes a DebugTrace{fn:"cancelRequested"} on the bus and persists nothing.
    if (req.method === 'POST' && cancelMatch) return reply(res, 200, { status: 'accepted' });
    return reply(res, 404, NOT_FOUND);
  });

  // The outbox subscriber of M4 HEAD: LISTEN, then publish the notified run's pending events in order.
  let listener: pg.PoolClient | undefined;
  let chain: Promise<void> = Promise.resolve();
  async function publishRun(runId: string): Promise<void> {
    if (!pool) return;
    for (let i = 0; i < 100; i++) {
      const c = await pool.connect();
      let published: WireEvent | undefined;
      try {
        await c.query('BEGIN');
        const cursor = (
          await c.query<{ nextSeq: number }>('SELECT "nextSeq" FROM "run_outbox" WHERE "runId" = $1 FOR UPDATE', [
            runId,
          ])
        ).rows[0];
        const row = cursor
          ? (
              await c.query<Record<string, unknown>>(
                `SELECT "id", "runId", "seq", "ts"::float8 AS ts, "type", "source", "name", "fn" FROM "run_events"
                  WHERE "runId" = $1 AND "seq" = $2 AND "publishedAt" IS NULL`,
                [runId, cursor.nextSeq],
              )
            ).rows[0]
          : undefined;
        if (row) {
          const now = `(now() AT TIME ZONE 'UTC')`;
          await c.query(`UPDATE "run_events" SET "publishedAt" = ${now} WHERE "id" = $1`, [row.id]);
          await c.query(`UPDATE "run_outbox" SET "nextSeq" = "nextSeq" + 1, "updatedAt" = ${now} WHERE "runId" = $1`, [
            runId,
          ]);
          if (row.type === 'RunFinished') {
            await c.query(`UPDATE "runs" SET "state" = 'finished', "updatedAt" = ${now} WHERE "id" = $1`, [runId]);
          }
          published = wire({
            runId,
            seq: Number(row.seq),
            ts: Number(row.ts),
            type: String(row.type) as SeedEvent['type'],
            source: 'outbox',
            name: row.name === null ? null : String(row.name),
            fn: row.fn === null ? null : String(row.fn),
          });
        }
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
      if (!published) return;
      bus.emit('published', published);
    }
  }
  if (o.outboxSubscriber) {
    if (!pool) throw new Error('startM4Simulator: outboxSubscriber needs a pool');
    listener = await pool.connect();
    listener.on('error', () => undefined);
    listener.on('notification', (n) => {
      if (n.channel !== OUTBOX_CHANNEL) return;
      let runId: unknown;
      try {
        runId = (JSON.parse(n.payload ?? '') as { runId?: unknown }).runId;
      } catch {
        return;
      }
      if (typeof runId !== 'string') return;
      chain = chain.then(() => publishRun(runId as string)).catch(() => undefined);
    });
    await listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;

  return {
    url: `http://${address.address}:${address.port}`,
    get scenario() {
      return scenario;
    },
    get data() {
      return data;
    },
    requests,
    async setScenario(s) {
      scenario = s;
      data = pool ? await seedM4(pool, s, { nowMs: clock.now() }) : buildM4Scenario(s, clock.now());
    },
    setFromSeqMode(mode) {
      fromSeqMode = mode;
    },
    setFaults(f) {
      faults = f;
    },
    async close() {
      if (listener) {
        const l = listener;
        listener = undefined;
        await l.query(`UNLISTEN ${OUTBOX_CHANNEL}`).catch(() => undefined);
        l.release();
      }
      await chain;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      bus.removeAllListeners();
    },
  };
}
