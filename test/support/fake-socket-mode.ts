/**
 * A loopback fake of Slack's Socket Mode (platforms-2.md §4.1, §4.3): `apps.connections.open` on the fake Web API
 * (Bearer `xapp-…` checked, a fresh one-shot `ws://` URL per call), and a WebSocket server that says `hello`,
 * answers pings (the `ws` default), hands out envelopes and records their acks, sends `disconnect` messages, drops
 * sockets, and refuses an 11th connection with `too_many_websockets`.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FakeSlack } from './fake-slack.js';

export interface FakeSocketAck {
  readonly envelopeId: string;
  readonly payload: Record<string, unknown> | undefined;
  /** Date.now() when the ack arrived, and ms since the envelope was sent. */
  readonly at: number;
  readonly afterMs: number;
  /** Which connection (index in `connections()` order of opening) sent the ack. */
  readonly connection: number;
}

export interface FakeSocketConnection {
  readonly index: number;
  readonly ticket: string;
  readonly socket: WebSocket;
  open: boolean;
}

export type DisconnectReason = 'refresh_requested' | 'warning' | 'link_disabled' | 'too_many_websockets';

export interface FakeSocketMode {
  /** `apps.connections.open` calls answered (ok or not). */
  readonly opens: () => number;
  /** Every connection ever accepted, oldest first. */
  connections(): FakeSocketConnection[];
  openConnections(): FakeSocketConnection[];
  /** Resolves when `n` connections are open (and have been sent `hello`). */
  waitForOpen(n: number, timeoutMs?: number): Promise<void>;
  /** The next `n` calls of `apps.connections.open` fail: `{ok:false,error}` or an HTTP status. */
  failOpen(n: number, how: { error: string } | { status: number }): void;
  /**
   * Sends an envelope on an open connection (default: the newest); returns its envelope id. `envelopeId` reuses
   * an id (a redelivery).
   */
  send(
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: Record<string, unknown>,
    o?: { connection?: number; envelopeId?: string; retryAttempt?: number; retryReason?: string },
  ): string;
  /** Sends an envelope sent before again, verbatim (same id and payload), on `connection` (default: the newest). */
  redeliver(envelopeId: string, o?: { connection?: number; retryAttempt?: number }): void;
  /** Resolves with the ack of `envelopeId` (the first one, on `connection` if given); rejects after `timeoutMs`. */
  waitForAck(envelopeId: string, timeoutMs?: number, connection?: number): Promise<FakeSocketAck>;
  readonly acks: readonly FakeSocketAck[];
  /** Sends `{"type":"disconnect","reason"}` on a connection (default: every open one). */
  disconnect(reason: DisconnectReason, connection?: number): void;
  /** Destroys a connection's TCP socket without a close frame (default: every open one). */
  drop(connection?: number): void;
  close(): Promise<void>;
}

const MAX_CONNECTIONS = 10;

export async function startFakeSocketMode(slack: FakeSlack, o: { appToken: string }): Promise<FakeSocketMode> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const wsPort = (wss.address() as AddressInfo).port;
  const tickets = new Set<string>();
  const all: FakeSocketConnection[] = [];
  const acks: FakeSocketAck[] = [];
  const sentAt = new Map<string, number>();
  const sent = new Map<string, { type: string; payload: Record<string, unknown> }>();
  const failures: ({ error: string } | { status: number })[] = [];
  let opens = 0;
  let ticketSeq = 0;

  slack.route('apps.connections.open', (call) => {
    opens += 1;
    if (call.token !== o.appToken) return { status: 200, body: { ok: false, error: 'invalid_auth' } };
    const fail = failures.shift();
    if (fail && 'status' in fail) return { status: fail.status, body: { ok: false, error: 'fake_http_error' } };
    if (fail) return { status: 200, body: { ok: false, error: fail.error } };
    const ticket = `t${++ticketSeq}-${randomUUID()}`;
    tickets.add(ticket);
    return {
      status: 200,
      body: { ok: true, url: `ws://127.0.0.1:${wsPort}/link/?ticket=${ticket}&app_id=A0RUNBOOKBOT` },
    };
  });

  wss.on('connection', (socket, req) => {
    const ticket = new URL(req.url ?? '/', 'http://x').searchParams.get('ticket') ?? '';
    // One-shot URL: a ticket works once.
    if (!tickets.delete(ticket)) {
      socket.close(4001, 'invalid ticket');
      return;
    }
    if (all.filter((c) => c.open).length >= MAX_CONNECTIONS) {
      socket.send(JSON.stringify({ type: 'disconnect', reason: 'too_many_websockets', debug_info: { host: 'fake' } }));
      socket.close();
      return;
    }
    const conn: FakeSocketConnection = { index: all.length, ticket, socket, open: true };
    all.push(conn);
    socket.on('close', () => (conn.open = false));
    socket.on('error', () => (conn.open = false));
    socket.on('message', (data) => {
      let msg: { envelope_id?: unknown; payload?: unknown };
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        return;
      }
      if (typeof msg.envelope_id !== 'string') return;
      const at = Date.now();
      acks.push({
        envelopeId: msg.envelope_id,
        payload: msg.payload && typeof msg.payload === 'object' ? (msg.payload as Record<string, unknown>) : undefined,
        at,
        afterMs: at - (sentAt.get(msg.envelope_id) ?? at),
        connection: conn.index,
      });
    });
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: all.filter((c) => c.open).length,
        connection_info: { app_id: 'A0RUNBOOKBOT' },
        debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 3600 },
      }),
    );
  });

  const pick = (connection?: number): FakeSocketConnection => {
    const open = all.filter((c) => c.open);
    const c = connection === undefined ? open.at(-1) : all[connection];
    if (!c || !c.open) throw new Error(`fake Socket Mode: connection ${connection ?? '(newest)'} is not open`);
    return c;
  };
  const targets = (connection?: number) => (connection === undefined ? all.filter((c) => c.open) : [pick(connection)]);

  return {
    opens: () => opens,
    connections: () => [...all],
    openConnections: () => all.filter((c) => c.open),
    async waitForOpen(n, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (all.filter((c) => c.open).length < n) {
        if (Date.now() > until) {
          throw new Error(
            `fake Socket Mode: ${all.filter((c) => c.open).length} of ${n} connections open after ${timeoutMs} ms`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    failOpen(n, how) {
      for (let i = 0; i < n; i++) failures.push(how);
    },
    send(type, payload, s = {}) {
      const c = pick(s.connection);
      const envelopeId = s.envelopeId ?? randomUUID();
      if (!sentAt.has(envelopeId)) sentAt.set(envelopeId, Date.now());
      sent.set(envelopeId, { type, payload });
      c.socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type === 'slash_commands',
          ...(type === 'events_api' ? { retry_attempt: s.retryAttempt ?? 0, retry_reason: s.retryReason ?? '' } : {}),
        }),
      );
      return envelopeId;
    },
    redeliver(envelopeId, r = {}) {
      const e = sent.get(envelopeId);
      if (!e) throw new Error(`fake Socket Mode: no envelope ${envelopeId} to redeliver`);
      pick(r.connection).socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type: e.type,
          payload: e.payload,
          accepts_response_payload: e.type === 'slash_commands',
          ...(e.type === 'events_api' ? { retry_attempt: r.retryAttempt ?? 1, retry_reason: 'timeout' } : {}),
        }),
      );
    },
    async waitForAck(envelopeId, timeoutMs = 3000, connection) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const a = acks.find(
          (x) => x.envelopeId === envelopeId && (connection === undefined || x.connection === connection),
        );
        if (a) return a;
        if (Date.now() > until)
          throw new Error(`fake Socket Mode: envelope ${envelopeId} not acknowledged in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    acks,
    disconnect(reason, connection) {
      for (const c of targets(connection)) {
        c.socket.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake' } }));
      }
    },
    drop(connection) {
      for (const c of targets(connection)) {
        c.open = false;
        c.socket.terminate();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of all) c.socket.terminate();
        wss.close(() => resolve());
      }),
  };
}
