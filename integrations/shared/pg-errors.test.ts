import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.js';
import { TargetError } from '../../src/core/target-error.js';
import { pgError, safeDatabaseHost, sqlState, type PgErrorTexts } from './pg-errors.js';

const TEXTS: PgErrorTexts = {
  database: 'Acme database',
  missingTable: 'an Acme table is missing',
  missingColumn: 'an Acme column is missing',
  shuttingDown: 'is going away',
  startingUp: 'is starting up',
  quoteTimeout: true,
  unknownError: 'connection error',
};

const pgErr = (code: string, message = 'server text with role "alice"'): Error =>
  Object.assign(new Error(message), { code });
const map = (err: unknown, texts: PgErrorTexts = TEXTS): TargetError =>
  pgError(err, 'reading jobs', 'db:5432', 2000, texts);

describe('pgError', () => {
  it('maps SQLSTATEs to kinds with fixed sentences, never the server text', () => {
    expect(map(pgErr('57014'))).toMatchObject({
      kind: 'timeout',
      code: '57014',
      message: 'reading jobs timed out after 2000 ms (statement_timeout, Acme database (db:5432))',
    });
    expect(map(pgErr('28P01'))).toMatchObject({
      kind: 'unauthorized',
      message: 'reading jobs: the Acme database (db:5432) rejected the credentials in databaseUrl',
    });
    expect(map(pgErr('42501')).kind).toBe('forbidden');
    expect(map(pgErr('25006')).kind).toBe('forbidden');
    expect(map(pgErr('3D000')).message).toBe(
      'reading jobs: the database named in databaseUrl does not exist (db:5432)',
    );
    expect(map(pgErr('42P01'))).toMatchObject({
      kind: 'bad-response',
      message: 'reading jobs: an Acme table is missing (db:5432)',
    });
    expect(map(pgErr('42703')).message).toBe('reading jobs: an Acme column is missing (db:5432)');
    expect(map(pgErr('53300')).kind).toBe('rate-limited');
    expect(map(pgErr('57P01')).message).toBe('reading jobs: the Acme database (db:5432) is going away');
    expect(map(pgErr('57P03')).message).toBe('reading jobs: the Acme database (db:5432) is starting up');
    expect(map(pgErr('22P02'))).toMatchObject({
      kind: 'api-error',
      message: 'reading jobs failed with SQLSTATE 22P02 (Acme database (db:5432))',
    });
    for (const code of ['57014', '28P01', '22P02']) expect(map(pgErr(code)).message).not.toContain('alice');
  });

  it('maps socket errors and pg driver texts', () => {
    expect(map(pgErr('ECONNREFUSED'))).toMatchObject({
      kind: 'unreachable',
      message: 'reading jobs failed: connection refused (db:5432)',
    });
    expect(map(pgErr('ECONNRESET')).message).toBe('reading jobs failed: connection reset by the server (db:5432)');
    expect(map(pgErr('ENOTFOUND')).message).toBe('reading jobs failed: DNS lookup failed (db:5432)');
    expect(map(pgErr('ENETUNREACH')).message).toBe('reading jobs failed: host unreachable (db:5432)');
    expect(map(pgErr('ETIMEDOUT'))).toMatchObject({
      kind: 'timeout',
      message: 'reading jobs: connecting to db:5432 timed out after 2000 ms',
    });
    expect(map(new Error('Query read timeout')).message).toBe(
      'reading jobs: the Acme database (db:5432) did not answer within 2000 ms',
    );
    expect(map(new Error('Connection terminated unexpectedly')).message).toBe(
      'reading jobs failed: the connection was closed (db:5432)',
    );
    expect(map(new Error('?')).message).toBe('reading jobs failed: connection error (db:5432)');
    expect(map(pgErr('EWHATEVER')).message).toBe('reading jobs failed: network error EWHATEVER (db:5432)');
  });

  it('without quoteTimeout, timeouts do not quote the limit', () => {
    const texts = { ...TEXTS, quoteTimeout: false, unknownError: 'unexpected error' };
    expect(map(pgErr('ETIMEDOUT'), texts).message).toBe('reading jobs: connecting to db:5432 timed out');
    expect(map(new Error('timeout exceeded when trying to connect'), texts).message).toBe(
      'reading jobs: the Acme database (db:5432) did not answer in time',
    );
    expect(map(new Error('?'), texts).message).toBe('reading jobs failed: unexpected error (db:5432)');
  });

  it('passes a TargetError through', () => {
    const err = new TargetError('api-error', 'already mapped');
    expect(map(err)).toBe(err);
  });
});

describe('helpers', () => {
  it('safeDatabaseHost never shows the user or password', () => {
    expect(safeDatabaseHost(new Secret('postgres://u:pw@db.internal:5432/x'))).toBe('db.internal:5432');
    expect(safeDatabaseHost(new Secret('postgres://u:pw@db.internal/x'))).toBe('db.internal');
    expect(safeDatabaseHost(new Secret('not a url'))).toBe('the configured host');
  });

  it('sqlState accepts five [0-9A-Z] characters only', () => {
    expect(sqlState({ code: '57P01' })).toBe('57P01');
    expect(sqlState({ code: 'ECONNREFUSED' })).toBeUndefined();
    expect(sqlState(null)).toBeUndefined();
  });
});
