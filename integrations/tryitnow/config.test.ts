import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.js';
import { tryitnowIntegration } from './index.js';
import { TryItNowInstanceSchema } from './config.js';

const base = {
  url: 'http://10.0.0.50:8080',
  apiKey: 'api-key-1',
  natsUrl: 'nats://10.0.0.51:4222',
  natsMonitorUrl: 'http://10.0.0.51:8222',
  valkeyUrl: 'redis://10.0.0.52:6379',
  caddyAdminUrl: 'http://10.0.0.53:2019',
};

describe('TryItNowInstanceSchema', () => {
  it('parses the CONTRACT.md block with defaults', () => {
    const c = TryItNowInstanceSchema.parse(base);
    expect(c.apiKey).toBeInstanceOf(Secret);
    expect(c.apiKey?.reveal()).toBe('api-key-1');
    expect(c.natsUrl).toEqual({ url: 'nats://10.0.0.51:4222', host: '10.0.0.51:4222' });
    expect(c.valkeyUrl.host).toBe('10.0.0.52:6379');
    expect(c.streamName).toBe('PROVISIONING');
    expect(c.timeoutMs).toBe(5000);
  });

  it('splits credentials out of the NATS and Valkey URLs and never prints them', () => {
    const c = TryItNowInstanceSchema.parse({
      ...base,
      natsUrl: 'nats://bot:n%40ts-pw@10.0.0.51:4222',
      valkeyUrl: 'redis://:valkey-pw@10.0.0.52:6379/2',
    });
    expect(c.natsUrl.url).toBe('nats://10.0.0.51:4222');
    expect(c.natsUrl.username?.reveal()).toBe('bot');
    expect(c.natsUrl.password?.reveal()).toBe('n@ts-pw');
    expect(c.valkeyUrl.url).toBe('redis://10.0.0.52:6379/2');
    expect(c.valkeyUrl.password?.reveal()).toBe('valkey-pw');
    const printed = `${JSON.stringify(c)} ${inspect(c, { depth: 5 })}`;
    expect(printed).not.toMatch(/api-key-1|n@ts-pw|valkey-pw|ts-pw/);
  });

  it('lists every bad field', () => {
    const r = TryItNowInstanceSchema.safeParse({
      url: 'ftp://x',
      natsUrl: 'http://x:4222',
      natsMonitorUrl: 'nope',
      valkeyUrl: 'mysql://x',
      caddyAdminUrl: 'http://x:2019',
      streamName: 'A.B',
    });
    expect(r.success).toBe(false);
    const paths = r.error?.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['natsMonitorUrl', 'natsUrl', 'streamName', 'url', 'valkeyUrl']);
  });

  it('makes apiKey optional (an empty API_KEY lets every request through)', () => {
    const { apiKey: _apiKey, ...rest } = base;
    expect(TryItNowInstanceSchema.parse(rest).apiKey).toBeUndefined();
  });
});

describe('tryitnowIntegration', () => {
  it('is id tryitnow, named Try It Now, and builds clients without connecting', async () => {
    expect(tryitnowIntegration.id).toBe('tryitnow');
    expect(tryitnowIntegration.displayName).toBe('Try It Now');
    const clients = tryitnowIntegration.createClients(tryitnowIntegration.instanceSchema.parse(base), {
      clock: { now: () => 0 },
    });
    expect(Object.keys(clients).sort()).toEqual(['api', 'caddy', 'nats', 'valkey']);
    expect(clients.nats.streamName).toBe('PROVISIONING');
    await Promise.all([clients.api.close(), clients.nats.close(), clients.valkey.close(), clients.caddy.close()]);
  });
});
