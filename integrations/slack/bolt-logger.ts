import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../src/core/logger.js';
import { redactSecrets } from '../../src/core/redact.js';

/** One line, no stack trace, bounded: Bolt passes errors and request details to its logger. */
function describe(args: unknown[]): string {
  const line = args
    .map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : typeof a === 'string' ? a : ''))
    .filter(Boolean)
    .join(' ')
    .split('\n')[0]!;
  // Redacted before the cap (the root logger redacts again): a cut through a secret leaves a head nothing recognises.
  return redactSecrets(line).slice(0, 300);
}

/**
 * Routes Bolt's own warnings and errors into our logger, stripped of stacks and payloads. Bolt's debug and info
 * lines are dropped before any formatting: Bolt emits several per request, and formatting them cost throughput.
 */
export function createBoltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.WARN;
  return {
    debug: () => {},
    info: () => {},
    warn: (...args) => logger.warn({ source: 'bolt' }, describe(args)),
    error: (...args) => logger.error({ source: 'bolt' }, describe(args)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
