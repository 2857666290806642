import { ConfigError, parseEnv } from '../config/env.js';
import { createPool } from '../store/create-pool.js';
import { migrate } from '../store/migrate.js';
import { redactSecrets } from '../core/redact.js';
import { createRootLogger } from './logger.js';

/** `release`: applies Postgres migrations, then exits 0. Safe to run twice. Needs only DATABASE_URL. */
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
