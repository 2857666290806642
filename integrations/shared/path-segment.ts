import { hasDotSegment } from '../../src/core/dot-segment.js';
import { TargetError } from '../../src/core/target-error.js';

/**
 * One value (a queue name, a subject, a job id) as one URL path segment: refused when empty or a dot segment in any
 * spelling (`.`, `..`, `%2e%2e`… — the URL parser would collapse it and the request would go to another path, e.g.
 * `POST /api/v1/queues/../resume` → `POST /api/v1/resume`), otherwise percent-encoded whole (`/`, `?`, `#` and `%`
 * included). The refusal is a `VALIDATION_ERROR` {@link TargetError} written for chat: nothing is sent.
 * Every client that builds a path from a value uses this.
 */
export function encodePathSegment(value: string, what: string, endpoint: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TargetError('api-error', `${endpoint} not sent: the ${what} is empty`, { code: 'VALIDATION_ERROR' });
  }
  if (hasDotSegment(value)) {
    throw new TargetError('api-error', `${endpoint} not sent: the ${what} is or contains a "." or ".." path segment`, {
      code: 'VALIDATION_ERROR',
    });
  }
  return encodeURIComponent(value);
}

/**
 * Throws when a built path (before its query string) holds a dot segment in any spelling: the last check before a
 * request leaves, so a path built without {@link encodePathSegment} still cannot be redirected.
 */
export function assertNoDotSegments(path: string, endpoint: string): void {
  const pathOnly = path.split(/[?#]/, 1)[0] ?? '';
  if (pathOnly.split('/').some((segment) => segment !== '' && hasDotSegment(segment))) {
    throw new TargetError('api-error', `${endpoint} not sent: the path has a "." or ".." segment`, {
      code: 'VALIDATION_ERROR',
    });
  }
}
