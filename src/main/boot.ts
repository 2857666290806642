import { loadConfig, type BotConfig } from '../config/config-file.js';
import { ConfigError, parseEnv, type Env } from '../config/env.js';
import { redactSecrets } from '../core/redact.js';
import { createRootLogger } from './logger.js';
import { systems } from './systems.js';

/**
 * Parses env and config once at start. On any problem prints every problem (never a value) and exits non-zero,
 * so a misconfigured deploy fails loudly instead of half-working.
 */
export function boot(name: string): { env: Env; config: BotConfig; logger: ReturnType<typeof createRootLogger> } {
  try {
    const env = parseEnv();
    const config = loadConfig(env.RUNBOOK_BOT_CONFIG, systems);
    return { env, config, logger: createRootLogger(env.LOG_LEVEL, name) };
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(redactSecrets(`runbook-bot ${name}: ${err.message}`));
      process.exit(2);
    }
    throw err;
  }
}

/** How long `close` may take before the process exits anyway (platforms send SIGKILL about 30 s after SIGTERM). */
export const SHUTDOWN_TIMEOUT_MS = 25_000;

/**
 * Runs `close` on SIGTERM/SIGINT once, then exits: 0 when it closed, 1 when it failed or did not finish within
 * `timeoutMs` (a worker whose Redis is gone waits on its connections forever; its jobs are re-run by another worker
 * after their lock expires, which every job allows), or at once on a second signal.
 */
export function onShutdown(
  logger: { info(o: object, m: string): void; error(o: object, m: string): void },
  close: () => Promise<void>,
  o: { timeoutMs?: number; exit?: (code: number) => void; signals?: NodeJS.EventEmitter } = {},
): void {
  const exit = o.exit ?? ((code: number) => process.exit(code));
  const signals = o.signals ?? process;
  let closing = false;
  const stop = (signal: string) => {
    if (closing) {
      logger.error({ signal }, 'second signal while shutting down: exiting now');
      exit(1);
      return;
    }
    closing = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: o.timeoutMs ?? SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out: exiting without it');
      exit(1);
    }, o.timeoutMs ?? SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    close()
      .then(() => {
        clearTimeout(timer);
        exit(0);
      })
      .catch((err: unknown) => {
        clearTimeout(timer);
        // The message only (redacted by the logger), never a stack: the cause of an unclean shutdown must be seen.
        logger.error(
          { err: { message: redactSecrets(err instanceof Error ? err.message : String(err)) } },
          'shutdown failed',
        );
        exit(1);
      });
  };
  signals.on('SIGTERM', () => stop('SIGTERM'));
  signals.on('SIGINT', () => stop('SIGINT'));
}
