import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv, redisTargetOf } from './env.js';

const base = { DATABASE_URL: 'postgres://u:p@localhost/db' };

function problems(source: Record<string, string | undefined>): string[] {
  try {
    parseEnv(source);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('Redis Sentinel environment', () => {
  it('REDIS_SENTINELS + REDIS_SENTINEL_NAME select Sentinel, and REDIS_URL is then not needed', () => {
    const env = parseEnv({
      ...base,
      REDIS_SENTINELS: ' 10.0.0.1:26379, sentinel-2.internal:26380 ,[::1]:26381',
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_SENTINEL_PASSWORD: 'sp',
      REDIS_PASSWORD: 'dp',
    });
    const t = redisTargetOf(env);
    expect(t.kind).toBe('sentinel');
    if (t.kind !== 'sentinel') return;
    expect(t.sentinels).toEqual([
      { host: '10.0.0.1', port: 26379 },
      { host: 'sentinel-2.internal', port: 26380 },
      { host: '::1', port: 26381 },
    ]);
    expect(t.name).toBe('mymaster');
    expect(t.sentinelPassword?.reveal()).toBe('sp');
    expect(String(t.password)).toBe('[redacted]');
  });

  it('Sentinel wins over REDIS_URL when both are set', () => {
    const env = parseEnv({ ...base, REDIS_URL: 'redis://x:6379', REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'm' });
    expect(redisTargetOf(env).kind).toBe('sentinel');
  });

  it('REDIS_URL alone is the single-server mode, as before', () => {
    const t = redisTargetOf(parseEnv({ ...base, REDIS_URL: 'redis://127.0.0.1:6379' }));
    expect(t.kind).toBe('url');
  });

  it('lists every problem, each naming its variable', () => {
    expect(problems({ ...base })).toEqual([expect.stringMatching(/^REDIS_URL: required .*REDIS_SENTINELS/)]);
    const p = problems({ ...base, REDIS_SENTINELS: 'a:1,nope,b:99999,:5', PORT: 'x' });
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^REDIS_SENTINELS: "nope" is not host:port/),
        expect.stringMatching(/^REDIS_SENTINELS: "b:99999" is not host:port/),
        expect.stringMatching(/^REDIS_SENTINELS: ":5" is not host:port/),
        expect.stringMatching(/^PORT: /),
      ]),
    );
    expect(problems({ ...base, REDIS_SENTINELS: 'a:1' })).toEqual([
      expect.stringMatching(/^REDIS_SENTINEL_NAME: REDIS_SENTINELS is set/),
    ]);
    expect(problems({ ...base, REDIS_SENTINEL_NAME: 'm', REDIS_URL: 'redis://x' })).toEqual([
      expect.stringMatching(/^REDIS_SENTINELS: REDIS_SENTINEL_NAME is set/),
    ]);
  });

  it('never prints the passwords in its problems', () => {
    const p = problems({ ...base, REDIS_SENTINELS: 'bad', REDIS_SENTINEL_PASSWORD: 'hunter2', REDIS_PASSWORD: 'pw9' });
    expect(p.join('\n')).not.toMatch(/hunter2|pw9/);
  });
});
