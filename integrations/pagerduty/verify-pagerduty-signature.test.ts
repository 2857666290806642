import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signPagerDutyBody, verifyPagerDutySignature } from './verify-pagerduty-signature.js';

// Offline vectors of platforms.md §3.4.
const BODY = '{"event":{"id":"01ABC","event_type":"pagey.ping"}}';
const SIG_1 = 'v1=0f6ace49f6f9cfa647747579c30244010d820fdb3e5f5f5f8ce17e27470f8b46';
const SIG_2 = 'v1=0d0346c12d312cfc72322b6819dfcd320f973e4c93b774e77ac135645e33a0d6';

const verify = (secrets: string[], signature: string | undefined, body: string | Buffer = BODY) =>
  verifyPagerDutySignature({ secrets, body, signature });

describe('verifyPagerDutySignature', () => {
  it('matches the documented vectors', () => {
    expect(signPagerDutyBody(['test-secret-1'], BODY)).toBe(SIG_1);
    expect(signPagerDutyBody(['test-secret-2'], BODY)).toBe(SIG_2);
    expect(verify(['test-secret-1'], SIG_1)).toEqual({ ok: true });
  });

  it('accepts when any configured secret matches any v1 entry (rotation)', () => {
    expect(verify(['test-secret-1', 'test-secret-2'], SIG_2)).toEqual({ ok: true });
    expect(verify(['test-secret-2'], `${SIG_1},${SIG_2}`)).toEqual({ ok: true });
    expect(verify(['test-secret-2'], `${SIG_1}, ${SIG_2}`)).toEqual({ ok: true });
    expect(verify(['test-secret-1'], `v0=abc,${SIG_1}`)).toEqual({ ok: true });
  });

  it('refuses a wrong secret', () => {
    expect(verify(['not-it'], SIG_1)).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify(['test-secret-2'], SIG_1)).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('refuses a body altered by one byte', () => {
    const altered = BODY.replace('01ABC', '01ABD');
    expect(altered).toHaveLength(BODY.length);
    expect(verify(['test-secret-1'], SIG_1, altered).ok).toBe(false);
    const bytes = Buffer.from(BODY);
    bytes[bytes.length - 1] = 0x20;
    expect(verify(['test-secret-1'], SIG_1, bytes).ok).toBe(false);
  });

  it('refuses a missing, empty or malformed header', () => {
    expect(verify(['test-secret-1'], undefined)).toEqual({ ok: false, reason: 'missing X-PagerDuty-Signature' });
    expect(verify(['test-secret-1'], '')).toEqual({ ok: false, reason: 'missing X-PagerDuty-Signature' });
    expect(verify(['test-secret-1'], 'v1=')).toEqual({ ok: false, reason: 'no well-formed v1 signature' });
    expect(verify(['test-secret-1'], SIG_1.slice(0, -2))).toEqual({ ok: false, reason: 'no well-formed v1 signature' });
    expect(verify(['test-secret-1'], SIG_1.replace('v1=', 'v2='))).toEqual({
      ok: false,
      reason: 'no well-formed v1 signature',
    });
  });

  it('refuses everything when no secret is configured', () => {
    expect(verify([], SIG_1).ok).toBe(false);
  });

  it('uses the raw bytes, not a re-serialization', () => {
    const spaced = '{ "event": { "id": "01ABC", "event_type": "pagey.ping" } }';
    const sig = `v1=${createHmac('sha256', 's').update(spaced).digest('hex')}`;
    expect(verify(['s'], sig, spaced).ok).toBe(true);
    expect(verify(['s'], sig, JSON.stringify(JSON.parse(spaced))).ok).toBe(false);
  });
});
