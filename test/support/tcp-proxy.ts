/**
 * A loopback TCP proxy that can be cut and restored: how tests make Redis or Postgres "go down" for one process
 * without stopping the server the rest of the run shares. `down()` destroys every open connection and resets every
 * new one until `up()`. The listener stays open the whole time: releasing the port would let another test's server
 * take it, and the bot would then reconnect to the wrong service.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** `url` with its host:port replaced by the proxy's. */
  rewrite(url: string): string;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port);
  const sockets = new Set<Socket>();
  let blocked = false;

  const server = createServer((client) => {
    if (blocked) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: target.hostname, port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const cut = () => {
    for (const sock of sockets) sock.destroy();
    sockets.clear();
  };

  return {
    port,
    rewrite(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async down() {
      blocked = true;
      cut();
    },
    async up() {
      blocked = false;
    },
    async close() {
      blocked = true;
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
