import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../shared/get-free-port.js';
import { Secret } from '../../src/core/secret.js';
import { startFakePagerDutyEvents, type FakePagerDutyEvents } from '../../test/support/fake-pagerduty-events.js';
import { checkPagerDutySetup, checkPagingCodes, probeEventsApi } from './check-pagerduty-setup.js';

let events: FakePagerDutyEvents;
beforeAll(async () => {
  events = await startFakePagerDutyEvents();
});
afterAll(() => events.close());

/** A server that answers every request with `status` (not the Events API). */
async function answering(status: number): Promise<{ url: string; close(): void }> {
  const server = createServer((_req, res) => res.writeHead(status).end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

describe('probeEventsApi', () => {
  it('OK on the 400 an empty event gets: reachable, nothing created, the key itself not proven', async () => {
    const line = await probeEventsApi(`${events.url}/`, 2000);
    expect(line).toMatchObject({ status: 'OK', name: 'pagerduty.events.reachable' });
    expect(line.detail).toContain('nothing was created');
    expect(line.detail).toContain('routing key shows only at the first page');
    expect(events.alerts).toHaveLength(0);
    expect(events.events.at(-1)).toMatchObject({ path: '/v2/enqueue', status: 400, routingKey: undefined });
  });

  it('WARN on 5xx (reachable, pages retried); FAIL on an answer that is not the Events API, or no answer', async () => {
    events.failNext(1);
    expect(await probeEventsApi(events.url, 2000)).toMatchObject({
      status: 'WARN',
      detail: expect.stringContaining('500'),
    });
    const other = await answering(404);
    try {
      expect(await probeEventsApi(other.url, 2000)).toMatchObject({
        status: 'FAIL',
        detail: expect.stringContaining("with 404, not the Events API's 400"),
        fix: expect.stringContaining('PAGERDUTY_EVENTS_URL'),
      });
    } finally {
      other.close();
    }
    expect(await probeEventsApi(`http://127.0.0.1:${await getFreePort()}`, 2000)).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining('not reachable'),
    });
  });
});

describe('checkPagingCodes', () => {
  const ids = ['corvo', 'kyrodb', 'm4'];
  it('WARN for a code under no system id (never reported, never pages); OK lists the others', () => {
    expect(checkPagingCodes({ 'scheduler.stalled': 'P1', 'corvo.scheduler.stalled': 'P1' }, ids)).toMatchObject({
      status: 'WARN',
      name: 'pagerduty.events.codes',
      detail: expect.stringMatching(/^scheduler\.stalled: no rule reports this code .*corvo, kyrodb, m4.*never pages/),
      fix: expect.stringContaining('escalation.pagerduty.codes'),
    });
    expect(checkPagingCodes({ 'm4.outbox.backlog': 'P2' }, ids)).toMatchObject({
      status: 'OK',
      detail: expect.stringContaining('m4.outbox.backlog (P2)'),
    });
    expect(checkPagingCodes({}, ids)).toBeUndefined();
  });
});

describe('checkPagerDutySetup, Events part', () => {
  const base = { apiUrl: 'http://127.0.0.1:9', webhookSecrets: [new Secret('whsec-1')], timeoutMs: 2000 };

  it('without a routing key: one line, no request to the Events API', async () => {
    const before = events.events.length;
    const lines = await checkPagerDutySetup({ ...base, eventsUrl: events.url });
    expect(lines.filter((l) => l.name.startsWith('pagerduty.events'))).toEqual([
      expect.objectContaining({ status: 'OK', detail: expect.stringContaining('opens no pages') }),
    ]);
    expect(events.events.length).toBe(before);
  });

  it('with one: its format, the reachability probe (the key never sent) and the codes', async () => {
    const key = 'R0123456789abcdef0123456789ABCDE';
    const lines = await checkPagerDutySetup({
      ...base,
      eventsUrl: events.url,
      routingKey: new Secret(key),
      codes: { 'nope.x': 'P2' },
      systemIds: ['corvo'],
    });
    expect(lines.filter((l) => l.name.startsWith('pagerduty.events')).map((l) => [l.name, l.status])).toEqual([
      ['pagerduty.events', 'OK'],
      ['pagerduty.events.reachable', 'OK'],
      ['pagerduty.events.codes', 'WARN'],
    ]);
    expect(JSON.stringify(events.events)).not.toContain(key);
    expect(JSON.stringify(lines)).not.toContain(key);
  });
});
