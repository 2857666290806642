// Path segments from users and targets: a value is one encoded segment or nothing is sent. Checked against a loopback
// server that records the raw request line, so what the target receives is exactly what the test says.
import { createServer, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/target-error.js';
import { createCorvoClient } from '../corvo/client.js';
import { CorvoInstanceSchema } from '../corvo/config.js';
import { createStreamhouseClient } from '../streamhouse/client.js';
import { StreamhouseInstanceSchema } from '../streamhouse/config.js';
import { createHttpJsonClient, endpointErrorStyle } from './http-json-client.js';
import { closeServer, listenOnLoopback } from './simulator/loopback-server.js';
import { assertNoDotSegments, encodePathSegment } from './path-segment.js';

const DOT_VALUES = [
  '.',
  '..',
  '%2e',
  '%2E%2e',
  '.%2e',
  '%2e.',
  '%252e%252e',
  'a/../b',
  '..\\x',
  'x/.',
  '%2e%2e%2fadmin',
];

describe('encodePathSegment', () => {
  it.each(DOT_VALUES)('refuses %j without building a path', (value) => {
    expect(() => encodePathSegment(value, 'queue name', 'POST /api/v1/queues/{name}/resume')).toThrow(
      /POST \/api\/v1\/queues\/\{name\}\/resume not sent: the queue name is or contains a "\." or "\.\." path segment/,
    );
  });

  it('refuses an empty value', () => {
    expect(() => encodePathSegment(' ', 'subject', 'GET /subjects/{subject}/versions')).toThrow(/subject is empty/);
  });

  it.each([
    ['emails', 'emails'],
    ['a/b', 'a%2Fb'],
    ['a?b#c', 'a%3Fb%23c'],
    ['100%', '100%25'],
    ['..a', '..a'],
    ['a..', 'a..'],
    ['v1.2', 'v1.2'],
    ['Q <!channel>', 'Q%20%3C!channel%3E'],
  ])('encodes %j whole as %j', (value, encoded) => {
    expect(encodePathSegment(value, 'name', 'GET /x/{name}')).toBe(encoded);
  });

  it('the refusal is a chat-safe validation error', () => {
    try {
      encodePathSegment('..', 'job id', 'GET /api/v1/jobs/{id}');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TargetError);
      expect((err as TargetError).code).toBe('VALIDATION_ERROR');
    }
  });

  it('assertNoDotSegments looks at the path, not at the query string', () => {
    expect(() => assertNoDotSegments('/a/../b', 'GET /a')).toThrow(/not sent/);
    expect(() => assertNoDotSegments('/a/%2E/b', 'GET /a')).toThrow(/not sent/);
    expect(() => assertNoDotSegments('/api/v1/query?query=a/../b', 'GET /q')).not.toThrow();
    expect(() => assertNoDotSegments('/subjects/a%2Fb/versions', 'GET /s')).not.toThrow();
  });
});

describe('clients against a loopback target: exactly the intended path, or no request', () => {
  const received: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    received.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    if ((req.url ?? '').includes('/subjects/')) res.end('[1]');
    else if ((req.url ?? '').startsWith('/config/')) res.end('{"compatibilityLevel":"BACKWARD"}');
    else res.end('{"status":"ok"}');
  });
  let url = '';
  beforeAll(async () => {
    url = await listenOnLoopback(server);
  });
  afterAll(async () => {
    await closeServer(server);
  });

  const corvo = () =>
    createCorvoClient(CorvoInstanceSchema.parse({ url, apiKey: 'path-test-key-0001', timeoutMs: 2000 }), {
      clock: systemClock,
    });
  const streamhouse = () =>
    createStreamhouseClient(
      StreamhouseInstanceSchema.parse({
        url,
        databaseUrl: 'postgres://bot:pw@127.0.0.1:1/streamhouse',
        organizationId: '00000000-0000-4000-8000-000000000000',
        timeoutMs: 2000,
      }),
      { clock: systemClock },
    );

  it('Corvo: a queue or job named with a dot segment sends nothing; others go exactly where meant', async () => {
    const c = corvo();
    received.length = 0;
    for (const name of DOT_VALUES) {
      await expect(c.resumeQueue(name)).rejects.toThrow(/not sent/);
      await expect(c.pauseQueue(name)).rejects.toThrow(/not sent/);
      await expect(c.clearQueue(name)).rejects.toThrow(/not sent/);
      await expect(c.retryJob(name)).rejects.toThrow(/not sent/);
      await expect(c.getJob(name)).rejects.toThrow(/not sent/);
    }
    expect(received).toEqual([]);
    await c.resumeQueue('emails');
    await c.resumeQueue('a/b');
    await c.pauseQueue('..a');
    expect(received).toEqual([
      'POST /api/v1/queues/emails/resume',
      'POST /api/v1/queues/a%2Fb/resume',
      'POST /api/v1/queues/..a/pause',
    ]);
    await c.close();
  });

  it('Streamhouse: `schemas ..` never reaches /schemas/versions or any other path', async () => {
    const s = streamhouse();
    received.length = 0;
    for (const subject of DOT_VALUES) {
      await expect(s.subjectVersions(subject)).rejects.toThrow(/not sent/);
      await expect(s.subjectCompatibility(subject)).rejects.toThrow(/not sent/);
    }
    expect(received).toEqual([]);
    await s.subjectVersions('orders-value');
    expect(received).toEqual(['GET /schemas/subjects/orders-value/versions']);
    await s.close();
  });

  it('the shared HTTP client refuses a path with a dot segment however it was built', async () => {
    const http = createHttpJsonClient({ baseUrl: url, timeoutMs: 2000, errors: endpointErrorStyle('Test') });
    received.length = 0;
    for (const path of ['/api/v1/queues/../resume', '/a/./b', '/a/%2e%2E/b', '/a/.%2e']) {
      await expect(
        http.send({ method: 'POST', path, endpoint: 'POST /x', accept: 'application/json' }),
      ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    }
    expect(received).toEqual([]);
    await http.close();
  });
});
