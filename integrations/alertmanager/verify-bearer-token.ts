import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks `Authorization: Bearer <token>` against the configured token in constant time (both sides are hashed first,
 * so neither the length nor a common prefix of the token leaks through timing). No token configured: refused. Pure.
 */
export function verifyBearerToken(
  authorization: string | undefined,
  token: string | undefined,
): { ok: true } | { ok: false; reason: string } {
  if (!token) return { ok: false, reason: 'no bearer token configured (ALERTMANAGER_BEARER_TOKEN)' };
  if (!authorization) return { ok: false, reason: 'missing Authorization header' };
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  if (!match) return { ok: false, reason: 'Authorization is not a bearer token' };
  const given = createHash('sha256').update(match[1]!).digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'token mismatch' };
}
