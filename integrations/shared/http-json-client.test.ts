import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TargetError } from '../../src/core/target-error.js';
import {
  chatSafe,
  createHttpJsonClient,
  describeSocketError,
  endpointErrorStyle,
  errorCode,
  parseJson,
  parseRetryAfter,
  type HttpJsonClient,
  type HttpJsonClientOptions,
  type HttpRequest,
} from './http-json-client.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback node:http server answering with `handler`; its url. */
async function serve(handler: Handler): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nothing listens on (a server opened and closed again). */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function client(baseUrl: string, o: Partial<HttpJsonClientOptions> = {}): HttpJsonClient {
  const c = createHttpJsonClient({ baseUrl, timeoutMs: 300, errors: endpointErrorStyle('Acme'), ...o });
  cleanups.push(() => c.close());
  return c;
}

const GET = (path = '/status', o: Partial<HttpRequest> = {}): HttpRequest => ({
  method: 'GET',
  path,
  endpoint: `GET ${path}`,
  accept: 'application/json',
  ...o,
});

async function failure(promise: Promise<unknown>): Promise<TargetError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(TargetError);
    return err as TargetError;
  }
  throw new Error('expected the call to fail');
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

describe('createHttpJsonClient', () => {
  it('returns every status with its text, sends the headers, JSON body and Basic auth from the URL', async () => {
    let seen: { method?: string; url?: string; headers?: IncomingMessage['headers']; body?: string } = {};
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, headers: req.headers, body };
        json(res, 404, { error: 'nope' });
      });
    });
    const c = client(`http://user:p%40ss@${url.slice('http://'.length)}/base/`, {
      headers: () => ({ 'x-api-key': 'k1' }),
    });
    const res = await c.send({ ...GET('/q?x=1'), method: 'POST', json: { a: 1 } });
    expect(res).toMatchObject({ status: 404, contentType: 'application/json', text: '{"error":"nope"}' });
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/base/q?x=1');
    expect(seen.body).toBe('{"a":1}');
    expect(seen.headers?.['x-api-key']).toBe('k1');
    expect(seen.headers?.['content-type']).toBe('application/json');
    expect(seen.headers?.authorization).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    expect(c.origin).toBe(url);
    expect(c.basePath).toBe('/base');
  });

  it('leaves the key out of an anonymous request', async () => {
    let key: unknown = 'unset';
    const url = await serve((req, res) => {
      key = req.headers['x-api-key'];
      json(res, 200, {});
    });
    await client(url, { headers: () => ({ 'x-api-key': 'k1' }) }).send(GET('/health', { anonymous: true }));
    expect(key).toBeUndefined();
  });

  it('a server that does not answer in time is a timeout naming the endpoint', async () => {
    const url = await serve(() => undefined);
    const err = await failure(client(url, { timeoutMs: 150 }).send(GET()));
    expect(err.kind).toBe('timeout');
    expect(err.message).toBe('GET /status timed out after 150 ms');
    expect(err.transient).toBe(true);
  });

  it('the host in timeouts and the service in cancellations, as the style says', async () => {
    const url = await serve(() => undefined);
    const c = client(url, { timeoutMs: 150, errors: endpointErrorStyle('Acme', { hostInTimeout: true }) });
    const err = await failure(c.send(GET()));
    expect(err.message).toBe(`GET /status timed out after 150 ms (${url.slice('http://'.length)})`);
  });

  it('the caller aborting is a cancellation, before or during the call', async () => {
    const url = await serve(() => undefined);
    const c = client(url, { timeoutMs: 5000 });
    const before = await failure(c.send(GET('/status', { signal: AbortSignal.abort() })));
    expect(before.kind).toBe('timeout');
    expect(before.message).toBe('GET /status was cancelled before Acme answered');
    const controller = new AbortController();
    const during = c.send(GET('/status', { signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    expect((await failure(during)).message).toBe('GET /status was cancelled before Acme answered');
  });

  it('connection refused is unreachable, naming the host and never the credentials', async () => {
    const url = await closedPort();
    const host = url.slice('http://'.length);
    const err = await failure(client(`http://admin:secret@${host}`).send(GET()));
    expect(err.kind).toBe('unreachable');
    expect(err.message).toBe(`GET /status failed: connection refused (${host})`);
    expect(err.message).not.toContain('secret');
  });

  it('a connection reset by the server is unreachable', async () => {
    const url = await serve((req) => req.socket.destroy());
    const err = await failure(client(url).send(GET()));
    expect(err.kind).toBe('unreachable');
    expect(err.message).toBe(`GET /status failed: connection reset by the server (${url.slice('http://'.length)})`);
  });

  it('a call after close says the client was closed', async () => {
    const url = await serve((_req, res) => json(res, 200, {}));
    const c = client(url);
    await c.close();
    const err = await failure(c.send(GET()));
    expect(err.kind).toBe('unreachable');
    expect(err.message).toBe('GET /status not sent: the Acme client was closed');
  });

  it('an injected dispatcher is left open by close', async () => {
    const url = await serve((_req, res) => json(res, 200, { ok: true }));
    const own = client(url);
    const { Agent } = await import('undici');
    const agent = new Agent();
    cleanups.push(() => agent.close());
    const c = client(url, { dispatcher: agent });
    await c.close();
    expect((await c.send(GET())).status).toBe(200);
    await own.close();
  });

  it('a body over the cap is a bad-response', async () => {
    const big = 'x'.repeat(17 * 1024 * 1024);
    const url = await serve((_req, res) => res.end(big));
    const err = await failure(client(url, { timeoutMs: 5000 }).send(GET()));
    expect(err.kind).toBe('bad-response');
    expect(err.message).toBe('GET /status answered more than 16 MiB');
  });
});

describe('the HTTP answers the integrations map (401, 403, 429, bad JSON, schema mismatch)', () => {
  const Schema = z.object({ ok: z.boolean(), n: z.number() });

  it('401, 403 and 429 with Retry-After come back with their status, headers and text', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/401') json(res, 401, { error: 'bad key' });
      else if (req.url === '/403') json(res, 403, { error: 'role' });
      else json(res, 429, { error: 'slow down' }, { 'retry-after': '1.5' });
    });
    const c = client(url);
    expect((await c.send(GET('/401'))).status).toBe(401);
    expect((await c.send(GET('/403'))).text).toBe('{"error":"role"}');
    const limited = await c.send(GET('/429'));
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1.5');
    expect(parseRetryAfter(limited.headers['retry-after'] as string, 0)).toBe(1500);
  });

  it('bad JSON and a schema mismatch are bad-responses naming the endpoint', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>proxy</html>');
      } else json(res, 200, { ok: 'yes' });
    });
    const c = client(url);
    const html = await c.send(GET('/html'));
    const badJson = await failure(
      Promise.resolve().then(() => parseJson(Schema, html.text, { subject: 'GET /html', status: 200 })),
    );
    expect(badJson.kind).toBe('bad-response');
    expect(badJson.message).toBe('GET /html returned invalid JSON (HTTP 200)');
    const hinted = await failure(
      Promise.resolve().then(() =>
        parseJson(Schema, html.text, { subject: 'GET /html', status: 200, invalidJsonHint: ' (an HTML page)' }),
      ),
    );
    expect(hinted.message).toBe('GET /html returned invalid JSON (HTTP 200) (an HTML page)');
    const shape = await c.send(GET('/shape'));
    const mismatch = await failure(
      Promise.resolve().then(() => parseJson(Schema, shape.text, { subject: 'GET /shape: Acme', status: 200 })),
    );
    expect(mismatch.kind).toBe('bad-response');
    expect(mismatch.message).toMatch(/^GET \/shape: Acme returned an unexpected shape \(ok: .*; n: .*\)$/);
    expect(mismatch.status).toBe(200);
  });
});

describe('helpers', () => {
  it('parseRetryAfter reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('0.006', 0)).toBe(6);
    expect(parseRetryAfter(' ', 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4000)).toBe(6000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:01 GMT', 4000)).toBe(0);
  });

  it('chatSafe keeps one bounded line', () => {
    expect(chatSafe('a\nb\u0007c ')).toBe('a b c');
    expect(chatSafe('x'.repeat(250))).toBe(`${'x'.repeat(200)}…`);
    expect(chatSafe('abcdef', 3)).toBe('abc…');
  });

  it('errorCode finds a code on the cause or the sub-errors, as the pattern allows', () => {
    const nested = new Error('outer', {
      cause: new AggregateError([new Error('a'), Object.assign(new Error('b'), { code: 'ECONNREFUSED' })]),
    });
    expect(errorCode(nested)).toBe('ECONNREFUSED');
    expect(errorCode({ code: '57014' })).toBe('57014');
    expect(errorCode({ code: '57014' }, /^[A-Z][A-Z0-9_]+$/)).toBeUndefined();
    expect(errorCode({ code: 'not safe' })).toBeUndefined();
  });

  it('describeSocketError words codes, with overrides for a product', () => {
    const err = (code: string): Error => Object.assign(new Error('x'), { code });
    expect(describeSocketError(err('ENOTFOUND'), 'GET /x failed', 'h:1', 100).message).toBe(
      'GET /x failed: DNS lookup failed (h:1)',
    );
    expect(describeSocketError(err('UND_ERR_HEADERS_TIMEOUT'), 'GET /x failed', 'h:1', 100).message).toBe(
      'GET /x failed: timed out after 100 ms (h:1)',
    );
    expect(describeSocketError(err('CERT_HAS_EXPIRED'), 'w', 'h', 1).message).toBe(
      'w: TLS handshake failed (CERT_HAS_EXPIRED) (h)',
    );
    expect(describeSocketError(err('UND_ERR_CLOSED'), 'w', 'h', 1).message).toBe('w: the client was closed');
    const overridden = describeSocketError(err('ENETUNREACH'), 'w', 'h', 1, { reason: () => 'host unreachable' });
    expect(overridden).toMatchObject({ kind: 'unreachable', message: 'w: host unreachable (h)' });
    expect(describeSocketError(new Error('?'), 'w', 'h', 1).message).toBe('w: network error (h)');
  });
});
