import { createServer, request, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, createDelays, listenOnLoopback, trackSockets } from './loopback-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** GET `url`; resolves with the status, or the error code of a failed request. */
function get(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    req.end();
  });
}

async function started(server: Server): Promise<string> {
  const url = await listenOnLoopback(server);
  cleanups.push(() => closeServer(server));
  return url;
}

describe('loopback server scaffolding', () => {
  it('listens on 127.0.0.1 on a free port', async () => {
    const url = await started(createServer((_req, res) => res.end('ok')));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await get(url)).toBe(200);
  });

  it('rejects when the port is taken', async () => {
    const url = await started(createServer());
    const port = Number(new URL(url).port);
    await expect(listenOnLoopback(createServer(), { port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('drops new connections while unreachable, and destroyAll resets the open ones', async () => {
    let unreachable = false;
    let hanging = 0;
    const server = createServer((req, res) => {
      if (req.url === '/hang') {
        hanging++;
        return;
      }
      res.end('ok');
    });
    const sockets = trackSockets(server, () => unreachable);
    const url = await started(server);
    expect(await get(url)).toBe(200);
    const pending = get(`${url}/hang`);
    while (hanging === 0) await new Promise((r) => setTimeout(r, 5));
    unreachable = true;
    sockets.destroyAll();
    expect(await pending).toBe('ECONNRESET');
    expect(await get(url)).toBe('ECONNRESET');
  });

  it('closes with connections still open', async () => {
    const server = createServer(() => undefined);
    const url = await listenOnLoopback(server);
    const pending = get(url);
    await new Promise((r) => setTimeout(r, 50));
    await closeServer(server);
    expect(await pending).toBe('ECONNRESET');
    expect(server.listening).toBe(false);
  });

  it('delays wait, and clear drops the pending timers', async () => {
    const delays = createDelays();
    const t0 = Date.now();
    await delays.delay(30);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    let fired = false;
    void delays.delay(20).then(() => (fired = true));
    delays.clear();
    await new Promise((r) => setTimeout(r, 50));
    expect(fired).toBe(false);
  });
});
