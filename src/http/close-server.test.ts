/**
 * Shutdown of the web server with keep-alive clients still sending (found by the soak: after SIGTERM `web` kept
 * serving requests on open keep-alive connections until SIGKILL). Real server, real sockets.
 */
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer } from './close-server.js';

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  server?.closeAllConnections();
  server = undefined;
});

/** A server whose every answer takes `delayMs`, kept alive. */
async function start(delayMs: number): Promise<number> {
  server = createServer({ keepAliveTimeout: 60_000 }, (_req, res) => {
    setTimeout(() => res.writeHead(200, { 'content-length': '2' }).end('ok'), delayMs);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

/** A keep-alive client on one connection: sends the next request as soon as an answer arrives, until closed. */
async function busyClient(port: number): Promise<{ answers: () => number; closed: Promise<void> }> {
  const s = connect(port, '127.0.0.1');
  sockets.push(s);
  s.on('error', () => {}); // the reset at close is expected
  await new Promise<void>((r) => s.once('connect', () => r()));
  let answers = 0;
  const send = () => s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
  s.on('data', (d) => {
    answers += (d.toString().match(/HTTP\/1\.1 200/g) ?? []).length;
    send();
  });
  send();
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  return { answers: () => answers, closed };
}

describe('closeServer', () => {
  // Needs the grace (closing idle connections once never ends here), not the sweep: the client is never idle.
  it('ends promptly while a keep-alive client sends request after request', async () => {
    const port = await start(0);
    const client = await busyClient(port);
    await new Promise((r) => setTimeout(r, 100));
    expect(client.answers()).toBeGreaterThan(0);
    const t0 = Date.now();
    await closeServer(server!, 500);
    await client.closed;
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  // The one that needs the repeated idle sweep: closing idle connections once, then all after the grace, keeps this
  // connection open (answered with keep-alive) for the whole grace; closing them once without a grace never ends.
  it('closes a connection busy at close time as soon as its request is answered, without waiting the grace', async () => {
    const port = await start(300);
    const s = connect(port, '127.0.0.1');
    sockets.push(s);
    s.on('error', () => {}); // the reset at close is expected
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    const answered = new Promise<string>((r) => s.once('data', (d) => r(d.toString())));
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await closeServer(server!, 10_000);
    await closed;
    expect(await answered).toMatch(/^HTTP\/1\.1 200/);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
