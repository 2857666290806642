import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../src/core/logger.js';

/** One line, no stack trace, bounded: Bolt passes errors and request details to its logger. */
function describe(args: unknown[]): string {
  return args
    .map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : typeof a === 'string' ? a : ''))
    .filter(Boolean)
    .join(' ')
    .split('\n')[0]!
    .slice(0, 300);
}

/** Routes Bolt's own log lines into our logger, stripped of stacks and payloads. */
export function createBoltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.WARN;
  return {
    debug: (...args) => logger.debug({ source: 'bolt' }, describe(args)),
    info: (...args) => logger.info({ source: 'bolt' }, describe(args)),
    warn: (...args) => logger.warn({ source: 'bolt' }, describe(args)),
    error: (...args) => logger.error({ source: 'bolt' }, describe(args)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
