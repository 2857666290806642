import type { Server } from 'node:http';

/**
 * Stops accepting, then closes keep-alive connections as they turn idle until the server has closed: closing them once
 * left a connection busy at that moment serving requests after SIGTERM until SIGKILL (found by the soak). After
 * `graceMs` the connections still open are closed as they are, so a shutdown ends promptly.
 */
export async function closeServer(server: Server, graceMs = 5_000): Promise<void> {
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeIdleConnections();
  const idle = setInterval(() => server.closeIdleConnections(), 100);
  const grace = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(idle);
    clearTimeout(grace);
  }
}
