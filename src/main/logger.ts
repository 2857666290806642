import { pino, type Logger as PinoLogger } from 'pino';

/**
 * The one root logger. JSON to stdout; anything that looks like a credential is redacted even if it slips into a
 * log call (message bodies, tokens and whole payloads are never logged on purpose).
 */
export function createRootLogger(level: string, name: string): PinoLogger {
  return pino({
    name,
    level,
    base: { process: name },
    redact: {
      paths: [
        '*.token',
        '*.apiKey',
        '*.password',
        '*.secret',
        '*.authorization',
        '*.headers.authorization',
        '*.headers["x-api-key"]',
        '*.url',
        'err.stack',
      ],
      censor: '[redacted]',
    },
    serializers: {
      // Errors are logged as name + first line of the message, never a stack trace.
      err: (e: { name?: string; message?: string }) => ({
        name: e?.name,
        message: String(e?.message ?? '').split('\n')[0],
      }),
    },
  });
}
