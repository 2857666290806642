import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redactDeep, redactSecrets, registerSecretValue, REDACTED } from './redact.js';
import { Secret } from './secret.js';

describe('redactSecrets', () => {
  it('removes every configured secret value, raw, URL-encoded and JSON-escaped, once a Secret holds it', () => {
    const key = 'corvo-unit-key/with+odd"chars-0042';
    expect(redactSecrets(`invalid API key ${key}`)).toContain(key);
    const secret = new Secret(key);
    expect(String(secret)).toBe(REDACTED);
    expect(redactSecrets(`401: invalid API key ${key} (sent ${key})`)).toBe(
      `401: invalid API key ${REDACTED} (sent ${REDACTED})`,
    );
    expect(redactSecrets(`GET /x?k=${encodeURIComponent(key)}`)).toBe(`GET /x?k=${REDACTED}`);
    expect(redactSecrets(JSON.stringify({ error: `bad key ${key}` }))).toBe(`{"error":"bad key ${REDACTED}"}`);
    expect(inspect(secret)).toBe(REDACTED);
  });

  it('keeps a longer secret whole when it contains a shorter one', () => {
    registerSecretValue('abcdef-short');
    registerSecretValue('abcdef-short-and-longer');
    expect(redactSecrets('x abcdef-short-and-longer y')).toBe(`x ${REDACTED} y`);
  });

  it('ignores values too short to be a credential, so ordinary words stay', () => {
    registerSecretValue('admin');
    expect(redactSecrets('admin rights')).toBe('admin rights');
  });

  it.each([
    ['Slack bot token', 'token xoxb-1234567890-0987654321-AbCdEfGhIjKl leaked', `token ${REDACTED} leaked`],
    ['Slack user token', 'xoxp-1234-5678-abcdefgh', REDACTED],
    ['Slack app token', 'xapp-1-A0123-456789-abcdef0123', REDACTED],
    ['bearer value', 'Authorization: Bearer abc.def-123456', `Authorization: Bearer ${REDACTED}`],
    ['basic value', 'authorization: Basic dXNlcjpwYXNzd29yZA==', `authorization: Basic ${REDACTED}`],
    ['basic value without padding', 'Authorization: Basic dXNlcjpwYXNz', `Authorization: Basic ${REDACTED}`],
    [
      'prose after "basic"',
      'Running basic health checks; Basic reachability failed',
      'Running basic health checks; Basic reachability failed',
    ],
    ['prose after "bearer"', 'the Bearer of bad news', 'the Bearer of bad news'],
    [
      'a secret in a logged JSON string stays valid JSON',
      JSON.stringify({ reason: 'said: "password=hunter22" is wrong', body: '{"secret": "abc123def"}' }),
      JSON.stringify({ reason: `said: "password=${REDACTED}" is wrong`, body: `{"secret": "${REDACTED}"}` }),
    ],
    ['PagerDuty token', 'Authorization: Token token=y_NbAkKc66ryYTWUXYEu', `Authorization: Token token=${REDACTED}`],
    ['URL password', 'postgres://bot:s3cret-pw@db:5432/x', `postgres://bot:${REDACTED}@db:5432/x`],
    ['URL password (http)', 'see https://u:p4ss@proxy.example/path', `see https://u:${REDACTED}@proxy.example/path`],
    ['JWT', 'token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl', `token ${REDACTED}`],
    ['api_key parameter', 'GET /v1?api_key=k3y-0123456789', `GET /v1?api_key=${REDACTED}`],
    ['x-api-key JSON', '{"x-api-key":"abc123def456"}', `{"x-api-key":"${REDACTED}"}`],
    ['password field', 'password: hunter2-2024', `password: ${REDACTED}`],
  ])('redacts a %s', (_what, text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it('leaves ordinary operator text alone', () => {
    const text =
      'POST /api/v1/queues/emails/resume: Corvo answered 503 LEADER_UNAVAILABLE: no leader (token bucket empty); ' +
      'password: not configured; see https://corvo.example/docs';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('redactDeep', () => {
  it('redacts every string of a message model and leaves other values and the original alone', () => {
    new Secret('deep-model-secret-77');
    const card = {
      title: 'Rebuild SQLite',
      result: 'failed: deep-model-secret-77',
      nested: [{ evidence: 'key deep-model-secret-77' }, 3, null],
      when: new Date(0),
    };
    const out = redactDeep(card);
    expect(out.result).toBe(`failed: ${REDACTED}`);
    expect(out.nested[0]).toEqual({ evidence: `key ${REDACTED}` });
    expect(out.nested.slice(1)).toEqual([3, null]);
    expect(out.when).toBe(card.when);
    expect(card.result).toBe('failed: deep-model-secret-77');
  });
});
