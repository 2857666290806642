import { ConfigError, parseEnv } from '../config/env.js';
import { createPool } from '../store/create-pool.js';
import { migrate } from '../store/migrate.js';
import { redactSecrets } from '../core/redact.js';
import { renderCheckReport } from '../core/setup-check.js';
import { createRootLogger } from './logger.js';
import { runSetupCheck } from './run-setup-check.js';

/**
 * `release`: applies Postgres migrations, then prints the setup check (`npm run check`) and exits 0 whatever it
 * says: a release cannot fix a token or a Redis policy, and must not block a deploy on them. Safe to run twice.
 * Needs only DATABASE_URL (the check runs when the rest of the environment is there too).
 */
async function main(): Promise<void> {
  let env;
  try {
    env = parseEnv({ REDIS_URL: 'redis://unused', ...process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`runbook-bot release: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createRootLogger(env.LOG_LEVEL, 'release');
  const pool = createPool(env.DATABASE_URL);
  try {
    const applied = await migrate(pool, logger);
    logger.info({ applied: applied.length }, 'migrations up to date');
  } finally {
    await pool.end();
  }
  await printSetupCheck(logger);
}

/** The setup check, printed; never fails the release. Skipped (and said) when REDIS_URL is not set. */
async function printSetupCheck(logger: ReturnType<typeof createRootLogger>): Promise<void> {
  if (!process.env.REDIS_URL) {
    logger.info({}, 'setup check skipped (REDIS_URL not set); run npm run check where the bot runs');
    return;
  }
  try {
    const lines = await runSetupCheck({ logger: createRootLogger('error', 'check'), timeoutMs: 5000 });
    process.stdout.write(`${redactSecrets(renderCheckReport(lines))}\n`);
  } catch (err) {
    logger.warn(
      { err: { message: redactSecrets((err as Error).message.split('\n')[0]!) } },
      'setup check failed to run',
    );
  }
}

main().catch((err: Error) => {
  // Through the one redaction: a driver error can quote the connection string's password.
  console.error(
    redactSecrets(
      `runbook-bot release: migrations failed: ${err.message}${err.cause ? ` (${(err.cause as Error).message})` : ''}`,
    ),
  );
  process.exit(1);
});
