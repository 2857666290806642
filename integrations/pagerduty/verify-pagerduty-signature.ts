import { createHmac, timingSafeEqual } from 'node:crypto';

export interface VerifyPagerDutySignatureOptions {
  /** The configured webhook secrets (`PAGERDUTY_WEBHOOK_SECRETS`; two during rotation). */
  readonly secrets: readonly string[];
  /** The raw body exactly as received. */
  readonly body: Buffer | string;
  /** `X-PagerDuty-Signature`: one or more `v1=<64 hex>` entries separated by commas. */
  readonly signature: string | undefined;
}

/** Most `v1=` entries we look at in one header (PagerDuty sends one per active secret: one, two during rotation). */
const MAX_ENTRIES = 8;

/**
 * Verifies a PagerDuty v3 webhook (platforms.md §3.4, PagerDuty `docs/webhooks/04-Signatures.md`): each `v1=` entry is
 * hex(HMAC-SHA256(secret, raw body)); the request is genuine when any entry matches any configured secret. Every
 * comparison is constant-time and all pairs are compared (no early exit that would time which secret matched).
 * Other signature versions are ignored. No secret configured: nothing is genuine. Pure.
 */
export function verifyPagerDutySignature(
  o: VerifyPagerDutySignatureOptions,
): { ok: true } | { ok: false; reason: string } {
  if (o.secrets.length === 0) return { ok: false, reason: 'no webhook secret configured (PAGERDUTY_WEBHOOK_SECRETS)' };
  if (!o.signature) return { ok: false, reason: 'missing X-PagerDuty-Signature' };
  const given = o.signature
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .slice(0, MAX_ENTRIES)
    .map((s) => s.slice(3))
    .filter((hex) => /^[0-9a-fA-F]{64}$/.test(hex))
    .map((hex) => Buffer.from(hex, 'hex'));
  if (given.length === 0) return { ok: false, reason: 'no well-formed v1 signature' };
  let matched = false;
  for (const secret of o.secrets) {
    const expected = createHmac('sha256', secret).update(o.body).digest();
    for (const candidate of given) {
      // Both are 32 bytes (checked above), so timingSafeEqual never throws.
      matched = timingSafeEqual(candidate, expected) || matched;
    }
  }
  return matched ? { ok: true } : { ok: false, reason: 'signature mismatch' };
}

/** Signs a body as PagerDuty does: `v1=<hex>` per secret, comma-separated (tests, the bench, the fake sender). */
export function signPagerDutyBody(secrets: readonly string[], body: Buffer | string): string {
  return secrets.map((s) => `v1=${createHmac('sha256', s).update(body).digest('hex')}`).join(',');
}
