/**
 * A loopback proxy in front of the Corvo simulator that plays a hostile Corvo: it records every request line exactly
 * as it arrived (no URL normalisation), adds queues with hostile names to `GET /api/v1/queues`, and answers chosen
 * paths once with an error body of our choosing (e.g. one that quotes the API key).
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../../integrations/shared/simulator/loopback-server.js';

export interface HostileCorvoProxy {
  readonly url: string;
  /** `METHOD /raw/path?query` of every request, in order. */
  readonly received: readonly string[];
  /** Set once the simulator runs (the bot only calls Corvo when asked to). */
  upstream: string;
  /** Paused queues with pending jobs, added to every `GET /api/v1/queues` answer. */
  hostileQueues: string[];
  /** Answers the next request to `path` (exact, without query) with `status` and `body` as JSON. */
  failNext(path: string, status: number, body: unknown): void;
  close(): Promise<void>;
}

export async function startHostileCorvoProxy(): Promise<HostileCorvoProxy> {
  const received: string[] = [];
  const failures = new Map<string, { status: number; body: unknown }>();
  const proxy: HostileCorvoProxy = {
    url: '',
    received,
    upstream: '',
    hostileQueues: [],
    failNext: (path, status, body) => void failures.set(path, { status, body }),
    close: () => closeServer(server),
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const raw = req.url ?? '/';
    received.push(`${req.method} ${raw}`);
    const path = raw.split('?')[0]!;
    const failure = failures.get(path);
    if (failure) {
      failures.delete(path);
      req.resume();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (failure.status === 429) headers['retry-after'] = '1';
      res.writeHead(failure.status, headers).end(JSON.stringify(failure.body));
      return;
    }
    if (!proxy.upstream) {
      // A call before the simulator runs (a process checking its targets at start): Corvo is not up yet.
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"starting"}');
      return;
    }
    const up = new URL(proxy.upstream);
    const out = request(
      { host: up.hostname, port: up.port, method: req.method, path: raw, headers: { ...req.headers, host: up.host } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          let body = Buffer.concat(chunks);
          if (req.method === 'GET' && path === '/api/v1/queues' && answer.statusCode === 200) {
            const queues = JSON.parse(body.toString('utf8')) as Record<string, unknown>[];
            const template = queues[0] ?? {};
            for (const name of proxy.hostileQueues) {
              queues.push({ ...template, name, paused: true, pending: 250, active: 0, held: 0 });
            }
            body = Buffer.from(JSON.stringify(queues));
          }
          const headers = { ...answer.headers, 'content-length': String(body.length) };
          delete headers['transfer-encoding'];
          res.writeHead(answer.statusCode ?? 502, headers).end(body);
        });
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  (proxy as { url: string }).url = await listenOnLoopback(server);
  return proxy;
}
