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

/** Runs `close` on SIGTERM/SIGINT once, then exits. */
export function onShutdown(
  logger: { info(o: object, m: string): void; error(o: object, m: string): void },
  close: () => Promise<void>,
): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        // The message only (redacted by the logger), never a stack: the cause of an unclean shutdown must be seen.
        logger.error(
          { err: { message: redactSecrets(err instanceof Error ? err.message : String(err)) } },
          'shutdown failed',
        );
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
