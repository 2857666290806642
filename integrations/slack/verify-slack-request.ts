import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's replay window: requests more than 5 minutes off our clock, in either direction, are refused. */
export const SLACK_MAX_SKEW_SECONDS = 300;

export interface VerifySlackRequestOptions {
  readonly signingSecret: string;
  /** The raw body exactly as received. */
  readonly body: Buffer | string;
  /** `X-Slack-Signature` (`v0=<64 hex>`). */
  readonly signature: string | undefined;
  /** `X-Slack-Request-Timestamp` (Unix seconds). */
  readonly timestamp: string | undefined;
  /** Our clock, ms. */
  readonly nowMs: number;
}

/**
 * Verifies a request from Slack (https://api.slack.com/docs/verifying-requests-from-slack): HMAC-SHA256 of
 * `v0:<timestamp>:<raw body>` keyed by the signing secret, compared in constant time. Unlike Bolt's own check,
 * this also refuses timestamps from the future. Returns the reason on failure (for logs; the caller answers 401).
 */
export function verifySlackRequest(o: VerifySlackRequestOptions): { ok: true } | { ok: false; reason: string } {
  if (!o.signature || !o.timestamp) return { ok: false, reason: 'missing signature headers' };
  if (!/^\d{1,12}$/.test(o.timestamp)) return { ok: false, reason: 'malformed timestamp' };
  const skew = Math.abs(o.nowMs / 1000 - Number(o.timestamp));
  if (skew > SLACK_MAX_SKEW_SECONDS) return { ok: false, reason: 'timestamp outside the 5-minute window' };
  const match = /^v0=([0-9a-f]{64})$/.exec(o.signature);
  if (!match) return { ok: false, reason: 'malformed signature' };
  const expected = createHmac('sha256', o.signingSecret).update(`v0:${o.timestamp}:`).update(o.body).digest();
  const given = Buffer.from(match[1]!, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'signature mismatch' };
  }
  return { ok: true };
}
