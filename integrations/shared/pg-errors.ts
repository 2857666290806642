import type { Secret } from '../../src/core/secret.js';
import { TargetError } from '../../src/core/target-error.js';
import { errorCode } from './http-json-client.js';

/**
 * Turning a `pg` (node-postgres) or socket error into a chat-safe {@link TargetError}, shared by the integrations
 * that read a target's Postgres database. Only fixed sentences, the host and SQLSTATE codes reach the message: the
 * server's own text may quote the role or database name, and the DSN is never in it. The product-specific sentences
 * (which database, what a missing table means) come from a {@link PgErrorTexts}.
 */

/** The product's wording. Each sentence follows `<what>: the <database> (<host>) ` or `<what>: ` as noted. */
export interface PgErrorTexts {
  /** `M4 database`, `metadata database`: the database in messages, followed by ` (<host>)`. */
  readonly database: string;
  /** 42P01, after `<what>: `; ` (<host>)` is appended. */
  readonly missingTable: string;
  /** 42703, after `<what>: `; ` (<host>)` is appended. */
  readonly missingColumn: string;
  /** 57P01/57P02 (admin shutdown, crash shutdown), after `<what>: the <database> (<host>) `. */
  readonly shuttingDown: string;
  /** 57P03 (cannot connect now), after `<what>: the <database> (<host>) `. */
  readonly startingUp: string;
  /** Whether connect and driver timeouts quote the timeout (`after N ms`, `within N ms`) or not (`in time`). */
  readonly quoteTimeout: boolean;
  /** Reason of a socket error with no known code: `unexpected error`, `connection error`. */
  readonly unknownError: string;
  /** What a socket error code must look like (default {@link errorCode}'s). */
  readonly codePattern?: RegExp;
}

/** `db.internal:5432`, never user or password. */
export function safeDatabaseHost(url: Secret): string {
  try {
    const u = new URL(url.reveal());
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return 'the configured host';
  }
}

/** SQLSTATE codes are five characters of [0-9A-Z]. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Turns a pg or socket error from the statement `what` (on `host`) into a TargetError worded by `texts`. */
export function pgError(err: unknown, what: string, host: string, timeoutMs: number, texts: PgErrorTexts): TargetError {
  if (err instanceof TargetError) return err;
  const state = sqlState(err);
  const where = `${texts.database} (${host})`;
  const opts = { cause: err, code: state };
  switch (state) {
    case '57014':
      return new TargetError('timeout', `${what} timed out after ${timeoutMs} ms (statement_timeout, ${where})`, opts);
    case '28P01':
    case '28000':
      return new TargetError('unauthorized', `${what}: the ${where} rejected the credentials in databaseUrl`, opts);
    case '42501':
      return new TargetError('forbidden', `${what}: the role in databaseUrl may not do this (${where})`, opts);
    case '25006':
      return new TargetError('forbidden', `${what}: the ${where} refused a write (read-only role or replica)`, opts);
    case '3D000':
      return new TargetError('api-error', `${what}: the database named in databaseUrl does not exist (${host})`, opts);
    case '42P01':
      return new TargetError('bad-response', `${what}: ${texts.missingTable} (${host})`, opts);
    case '42703':
      return new TargetError('bad-response', `${what}: ${texts.missingColumn} (${host})`, opts);
    case '53300':
      return new TargetError('rate-limited', `${what}: the ${where} has too many connections`, opts);
    case '57P01':
    case '57P02':
      return new TargetError('unreachable', `${what}: the ${where} ${texts.shuttingDown}`, opts);
    case '57P03':
      return new TargetError('unreachable', `${what}: the ${where} ${texts.startingUp}`, opts);
    default:
      break;
  }
  if (state) return new TargetError('api-error', `${what} failed with SQLSTATE ${state} (${where})`, opts);

  const code = errorCode(err, texts.codePattern);
  const message = err instanceof Error ? err.message : '';
  switch (code) {
    case 'ECONNREFUSED':
      return new TargetError('unreachable', `${what} failed: connection refused (${host})`, { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
      return new TargetError('unreachable', `${what} failed: connection reset by the server (${host})`, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return new TargetError('unreachable', `${what} failed: DNS lookup failed (${host})`, { cause: err });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new TargetError('unreachable', `${what} failed: host unreachable (${host})`, { cause: err });
    case 'ETIMEDOUT': {
      const after = texts.quoteTimeout ? ` after ${timeoutMs} ms` : '';
      return new TargetError('timeout', `${what}: connecting to ${host} timed out${after}`, { cause: err });
    }
    default:
      break;
  }
  // pg's own timeouts carry no code; their texts are fixed strings of the driver.
  if (/timeout/i.test(message)) {
    const within = texts.quoteTimeout ? `within ${timeoutMs} ms` : 'in time';
    return new TargetError('timeout', `${what}: the ${where} did not answer ${within}`, { cause: err });
  }
  if (/terminated|closed|ended/i.test(message)) {
    return new TargetError('unreachable', `${what} failed: the connection was closed (${host})`, { cause: err });
  }
  const reason = code ? `network error ${code}` : texts.unknownError;
  return new TargetError('unreachable', `${what} failed: ${reason} (${host})`, { cause: err });
}
