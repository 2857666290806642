/**
 * The web server's bounds, with real sockets against the real server: oversize bodies get a readable 413 (not a
 * reset), slow connections are closed at their deadline, idle keep-alive connections go, and the connection cap
 * holds. Bounded: a few dozen connections and short timeouts configured for the test.
 */
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { createHttpServer, DEFAULT_HTTP_LIMITS, type HttpLimits } from './create-server.js';

const MiB = 1024 * 1024;
let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
  }
});

async function start(limits: Partial<HttpLimits> = {}, maxBodyBytes = MiB) {
  const seen: number[] = [];
  server = createHttpServer({
    maxBodyBytes,
    limits: { ...DEFAULT_HTTP_LIMITS, ...limits },
    logger: silentLogger,
    registry: new Registry(),
    checkReady: async () => [],
    postRoutes: {
      '/hook': (_req, res, body) => {
        seen.push(body.length);
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"ok":true}');
      },
    },
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return { port, url: `http://127.0.0.1:${port}`, seen };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    sockets.push(s);
    s.on('error', reject);
  });
}

/** Resolves with what the server sent and how long until it closed the connection. */
function untilClosed(s: Socket): Promise<{ text: string; ms: number; error?: string }> {
  const started = Date.now();
  let text = '';
  return new Promise((resolve) => {
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ text, ms: Date.now() - started, error: e.code }));
    s.on('close', () => resolve({ text, ms: Date.now() - started }));
  });
}

describe('oversize bodies', () => {
  it('answers a 16 MiB body with a readable 413, over fetch, with and without Content-Length', async () => {
    const { url, seen } = await start();
    const body = Buffer.alloc(16 * MiB, 'x');
    const declared = await fetch(`${url}/hook`, { method: 'POST', body });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: expect.stringContaining('larger than 1048576 bytes') });

    // Chunked: no Content-Length, the size is found while reading.
    const chunks = (async function* () {
      for (let i = 0; i < 16; i++) yield new Uint8Array(MiB).fill(120);
    })();
    const chunked = await fetch(`${url}/hook`, { method: 'POST', body: chunks as never, duplex: 'half' } as never);
    expect(chunked.status).toBe(413);
    expect(seen).toEqual([]);
    // A body within the limit still arrives whole.
    const ok = await fetch(`${url}/hook`, { method: 'POST', body: Buffer.alloc(MiB, 'y') });
    expect(ok.status).toBe(202);
    expect(seen).toEqual([MiB]);
  });

  it('lets a client that writes everything before reading (like Alertmanager) read the 413, then closes', async () => {
    const { port } = await start();
    const s = await open(port);
    const closed = untilClosed(s);
    const size = 16 * MiB;
    s.write(`POST /hook HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`);
    const block = Buffer.alloc(MiB, 'z');
    for (let i = 0; i < 16; i++) {
      if (!s.write(block)) await new Promise((r) => s.once('drain', r));
    }
    const { text, error } = await closed;
    expect(error).toBeUndefined(); // no EPIPE / ECONNRESET on our side of the story
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text.toLowerCase()).toContain('connection: close');
  });

  it('cuts a body larger than the discard bound instead of reading it forever', async () => {
    const { port } = await start({ maxDiscardBytes: 2 * MiB });
    const s = await open(port);
    const closed = untilClosed(s);
    s.write('POST /hook HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(256 * 1024, 'z');
    const writer = (async () => {
      for (let i = 0; i < 64 && !s.destroyed; i++) {
        const ok = s.write(`${chunk.length.toString(16)}\r\n`) && s.write(chunk) && s.write('\r\n');
        if (!ok) await Promise.race([new Promise((r) => s.once('drain', r)), closed]);
      }
    })().catch(() => {});
    const { text, ms } = await closed;
    await writer;
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(ms).toBeLessThan(5000);
  });
});

describe('slow connections', () => {
  it('closes 40 slow-loris connections (headers or body one byte at a time) at their deadlines', async () => {
    const { port } = await start({ headersTimeoutMs: 600, requestTimeoutMs: 1200, keepAliveTimeoutMs: 300 });
    const dribblers: NodeJS.Timeout[] = [];
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const s = await open(port);
        const closed = untilClosed(s);
        const text =
          i % 2 === 0
            ? 'POST /hook HTTP/1.1\r\nhost: x\r\nx-slow: ' + 'a'.repeat(1000) // headers never end
            : 'POST /hook HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n' + 'b'.repeat(1000); // body never ends
        let n = 0;
        const start = text.indexOf('\r\n\r\n') + 4 || 40;
        s.write(text.slice(0, start));
        n = start;
        const t = setInterval(() => {
          if (s.destroyed || n >= text.length) return;
          s.write(text[n++]!);
        }, 100);
        dribblers.push(t);
        return closed;
      }),
    );
    for (const t of dribblers) clearInterval(t);
    for (const r of results) {
      expect(r.ms).toBeLessThan(4000);
      // Node answers 408 when it can; either way the connection is gone.
      if (r.text) expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
    }
    expect(await new Promise<number>((r) => server!.getConnections((_e, n) => r(n)))).toBe(0);
  });

  it('closes a connection that sends nothing, and an idle keep-alive connection', async () => {
    const { port } = await start({ headersTimeoutMs: 500, requestTimeoutMs: 1000, keepAliveTimeoutMs: 300 });
    const silent = untilClosed(await open(port));
    const s = await open(port);
    const idle = untilClosed(s);
    s.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
    const [a, b] = await Promise.all([silent, idle]);
    expect(a.ms).toBeLessThan(3000);
    expect(b.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(b.ms).toBeLessThan(2000);
  });

  it('accepts no more than maxConnections at once', async () => {
    const { port, url } = await start({ maxConnections: 10, headersTimeoutMs: 5000, requestTimeoutMs: 5000 });
    const held = await Promise.all(Array.from({ length: 25 }, () => open(port)));
    let closedCount = 0;
    for (const s of held) void untilClosed(s).then(() => closedCount++);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await new Promise<number>((r) => server!.getConnections((_e, n) => r(n)))).toBeLessThanOrEqual(10);
    // The 15 over the cap were closed at once, long before any timeout.
    expect(closedCount).toBeGreaterThanOrEqual(15);
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    // Capacity comes back once the holders are gone.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
