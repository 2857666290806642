import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * The server scaffolding the target simulators share: listening on loopback, dropping connections for the
 * `unreachable` scenario, simulated latency whose timers a close clears, and closing with connections still open.
 */

/** The open connections of a server, for the `unreachable` scenario. */
export interface TrackedSockets {
  /** Destroys every open connection (clients see a reset). */
  destroyAll(): void;
}

/**
 * Tracks `server`'s open sockets. While `unreachable()` is true a new connection is accepted, then dropped at once,
 * so clients see a reset rather than a refusal.
 */
export function trackSockets(server: Server, unreachable: () => boolean): TrackedSockets {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    if (unreachable()) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    destroyAll: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** Simulated latency: `delay(ms)` waits, and `clear()` (on close) drops the pending timers. */
export interface Delays {
  delay(ms: number): Promise<void>;
  clear(): void;
}

export function createDelays(): Delays {
  const timers = new Set<NodeJS.Timeout>();
  return {
    delay: (ms) =>
      new Promise((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, ms);
        timers.add(t);
      }),
    clear: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

/**
 * Listens on `host:port` (default `127.0.0.1`, a free port) and resolves with the server's `http://host:port` URL
 * (an IPv6 address in brackets). A listen error (port in use) rejects.
 */
export async function listenOnLoopback(server: Server, o: { host?: string; port?: number } = {}): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** Closes `server`, ending the connections still open (keep-alive clients, hanging requests). */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
