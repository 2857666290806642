import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { redactSecrets } from '../core/redact.js';

/**
 * Where log lines go: each finished line passes through {@link redactSecrets} (every configured secret value and
 * anything token-shaped) on its way to stdout. The last step before the bytes leave, so a secret in a message, an
 * error text a target echoed, a binding or a serializer's output is caught alike.
 */
export function createRedactingDestination(out: DestinationStream = pino.destination({ dest: 1, sync: true })) {
  return { write: (line: string) => out.write(redactSecrets(line)) } satisfies DestinationStream;
}

/**
 * The one root logger. JSON to stdout; anything that looks like a credential is redacted even if it slips into a
 * log call (message bodies, tokens and whole payloads are never logged on purpose): by field name (pino `redact`)
 * and by value on every line ({@link createRedactingDestination}).
 */
export function createRootLogger(
  level: string,
  name: string,
  destination: DestinationStream = createRedactingDestination(),
): PinoLogger {
  return pino(
    {
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
    },
    destination,
  );
}
