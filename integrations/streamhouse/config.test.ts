import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.js';
import { StreamhouseInstanceSchema } from './config.js';

const valid = {
  url: 'http://10.0.0.30:8080',
  databaseUrl: 'postgres://streamhouse:hunter2@db.internal:5432/streamhouse',
  organizationId: '00000000-0000-0000-0000-000000000000',
};

describe('StreamhouseInstanceSchema', () => {
  it('parses the CONTRACT block, wraps the DSN in a Secret and defaults the timeout', () => {
    const config = StreamhouseInstanceSchema.parse({ ...valid, prometheusUrl: 'http://prometheus:9090' });
    expect(config.databaseUrl).toBeInstanceOf(Secret);
    expect(config.databaseUrl.reveal()).toBe(valid.databaseUrl);
    expect(config.timeoutMs).toBe(5000);
    expect(config.prometheusUrl).toBe('http://prometheus:9090');
    // The password never prints: not in JSON, not in util.inspect, not in a template literal.
    const dumped = `${JSON.stringify(config)} ${inspect(config)} ${String(config.databaseUrl)}`;
    expect(dumped).not.toContain('hunter2');
  });

  it('rejects a non-Postgres DSN without echoing it', () => {
    const result = StreamhouseInstanceSchema.safeParse({ ...valid, databaseUrl: 'mysql://root:hunter2@db/x' });
    expect(result.success).toBe(false);
    const text = JSON.stringify(result.error?.issues);
    expect(text).toContain('postgres://');
    expect(text).not.toContain('hunter2');
  });

  it('organizationId is optional (a role that owns the tables or has BYPASSRLS needs none for the leases)', () => {
    const { organizationId: _, ...withoutOrg } = valid;
    expect(StreamhouseInstanceSchema.parse(withoutOrg).organizationId).toBeUndefined();
  });

  it('requires a UUID organization and http(s) URLs', () => {
    expect(StreamhouseInstanceSchema.safeParse({ ...valid, organizationId: 'acme' }).success).toBe(false);
    expect(StreamhouseInstanceSchema.safeParse({ ...valid, url: 'ftp://x' }).success).toBe(false);
    expect(StreamhouseInstanceSchema.safeParse({ ...valid, prometheusUrl: 'prometheus:9090' }).success).toBe(false);
    expect(StreamhouseInstanceSchema.safeParse({ ...valid, timeoutMs: 0 }).success).toBe(false);
  });
});
