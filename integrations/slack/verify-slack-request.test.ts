import { describe, expect, it } from 'vitest';
import { verifySlackRequest } from './verify-slack-request.js';

// Official example from Slack's "Verifying requests from Slack" page (platforms.md §1.1).
const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const timestamp = '1531420618';
const body =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const signature = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const nowMs = Number(timestamp) * 1000;

describe('verifySlackRequest', () => {
  it('accepts the official test vector', () => {
    expect(verifySlackRequest({ signingSecret: secret, body, signature, timestamp, nowMs })).toEqual({ ok: true });
  });

  it('refuses a body altered by one byte', () => {
    const r = verifySlackRequest({
      signingSecret: secret,
      body: body.replace('text=', 'text=x'),
      signature,
      timestamp,
      nowMs,
    });
    expect(r).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('refuses the wrong secret', () => {
    const r = verifySlackRequest({ signingSecret: secret + 'x', body, signature, timestamp, nowMs });
    expect(r.ok).toBe(false);
  });

  it('refuses stale and future timestamps beyond 5 minutes, accepts at the edge', () => {
    expect(verifySlackRequest({ signingSecret: secret, body, signature, timestamp, nowMs: nowMs + 301_000 }).ok).toBe(
      false,
    );
    expect(verifySlackRequest({ signingSecret: secret, body, signature, timestamp, nowMs: nowMs - 301_000 }).ok).toBe(
      false,
    );
    expect(verifySlackRequest({ signingSecret: secret, body, signature, timestamp, nowMs: nowMs + 300_000 }).ok).toBe(
      true,
    );
  });

  it('refuses missing or malformed headers', () => {
    expect(verifySlackRequest({ signingSecret: secret, body, signature: undefined, timestamp, nowMs }).ok).toBe(false);
    expect(verifySlackRequest({ signingSecret: secret, body, signature, timestamp: 'abc', nowMs }).ok).toBe(false);
    expect(verifySlackRequest({ signingSecret: secret, body, signature: 'v1=00', timestamp, nowMs }).ok).toBe(false);
  });
});
