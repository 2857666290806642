/**
 * `npm run check`: the setup check (issue 17). One line per checked setting, OK / WARN / FAIL with the reason and
 * the fix, then a summary; exits 1 when a line is FAIL, else 0. Every line goes through the one redaction.
 */
import { redactSecrets } from '../core/redact.js';
import { renderCheckReport } from '../core/setup-check.js';
import { createRootLogger } from './logger.js';
import { runSetupCheck } from './run-setup-check.js';

async function main(): Promise<void> {
  // SDK warnings go to stderr as JSON; the report itself is plain text on stdout.
  const logger = createRootLogger('error', 'check');
  const lines = await runSetupCheck({ logger });
  process.stdout.write(`${redactSecrets(renderCheckReport(lines))}\n`);
  process.exit(lines.some((l) => l.status === 'FAIL') ? 1 : 0);
}

main().catch((err: Error) => {
  console.error(redactSecrets(`runbook-bot check: ${err.message.split('\n')[0]}`));
  process.exit(1);
});
