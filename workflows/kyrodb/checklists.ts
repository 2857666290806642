import type { KyroClients } from '../../integrations/kyrodb/index.js';
import { createChecklistWorkflow, type Checklist } from '../../src/core/checklist.js';
import { BACKUP_CLI_CORRECTION, DEFAULT_HTTP_PORT, NS_CORRECTION, RUNBOOK_PORT } from './corrections.js';
import { healthWorkflow } from './health.js';
import { latencyWorkflow } from './latency.js';
import { formatNs } from './signals.js';

const PORT_CORRECTION =
  `the runbook's port ${RUNBOOK_PORT} is only right when the gRPC port was moved to 50052; the default HTTP port is ` +
  `${DEFAULT_HTTP_PORT}.`;
const BACKUP = 'kyrodb_backup --data-dir /var/lib/kyrodb/data --backup-dir /backups';

/**
 * The runbook's "Monitoring Checklist" (Daily checks, Weekly checks), item for item: health, errors and performance
 * come from the health and latency workflows, the P99 trend from the finding history (same day last week), and
 * what lives on the host (journal, backups, disk, process memory) is a manual step with its corrected command.
 */
export const kyrodbChecklists: readonly Checklist<KyroClients>[] = [
  {
    name: 'daily',
    section: 'Monitoring Checklist › Daily checks',
    items: [
      {
        kind: 'check',
        text: '1. Health status',
        workflow: healthWorkflow,
        codes: ['kyrodb.health.status', 'kyrodb.health.ready'],
        runbookCorrection: `\`curl http://localhost:${DEFAULT_HTTP_PORT}/health\`: ${PORT_CORRECTION}`,
      },
      {
        kind: 'check',
        text: '2. Recent errors',
        workflow: healthWorkflow,
        // The error counters the bot reads: kyrodb_errors_total by category, failed queries and inserts.
        codes: ['kyrodb.errors.by-category', 'kyrodb.wal.writes'],
        byHand:
          'the log itself — `journalctl -u kyrodb --since "1 hour ago" | grep -i error` (the runbook\'s command).',
      },
      {
        kind: 'manual',
        text: '3. Backup age',
        command: `${BACKUP} list --format table | head -5`,
        runbookCorrection:
          '`kyrodb_backup list --backup-dir /backups` puts the global option after the subcommand; ' +
          `\`--data-dir\`/\`--backup-dir\` go before it. The list is newest first. ${BACKUP_CLI_CORRECTION}`,
      },
      {
        kind: 'manual',
        text: '4. Disk space',
        command: 'df -h /var/lib/kyrodb',
        note:
          "the bot does not read it: `kyrodb_disk_used_bytes` is the whole filesystem's used bytes, with no total " +
          'to compare with. Below 5 % free KyroDB refuses inserts.',
      },
      {
        kind: 'check',
        text: '5. Performance metrics',
        workflow: latencyWorkflow,
        codes: ['kyrodb.latency.query-p99', 'kyrodb.latency.cache-hit-rate'],
        runbookCorrection:
          `\`curl -s http://localhost:${DEFAULT_HTTP_PORT}/metrics | grep -E "latency_ns|hit_rate|error|failed"\`: ` +
          `${PORT_CORRECTION} The runbook's \`grep "p99"\` matches nothing: the p99 is ` +
          `\`kyrodb_query_latency_ns{percentile="99"}\`. ${NS_CORRECTION}`,
      },
    ],
  },
  {
    name: 'weekly',
    section: 'Monitoring Checklist › Weekly checks',
    items: [
      {
        kind: 'manual',
        text: '1. Test restore',
        command:
          `${BACKUP} list --format json | head -c 400, then ${BACKUP} verify <latest-id>; for a real test restore ` +
          'into a scratch dir: BACKUP_ALLOW_CLEAR=true kyrodb_backup --data-dir /tmp/kyrodb-restore-test ' +
          '--backup-dir /backups restore --backup-id <latest-id>',
        runbookCorrection:
          '`restore --backup-id <latest> --dry-run` does not exist (there is no dry run): `verify <ID>` checks a ' +
          'backup, and a restore clears its data dir (it needs `BACKUP_ALLOW_CLEAR=true`), so test it on a scratch ' +
          '`--data-dir`, never the live one; `--data-dir`/`--backup-dir` go before the subcommand.',
      },
      {
        kind: 'trend',
        text: '2. Review SLO trends',
        workflow: latencyWorkflow,
        code: 'kyrodb.latency.query-p99',
        trendCode: 'kyrodb.checklist.p99-trend',
        label: 'Query p99',
        format: (ms) => formatNs(ms * 1e6),
        warnRise: 0.2,
        thresholdNote:
          'the runbook sets no threshold for a trend, so the bot calls a rise of more than 20 % on the same day ' +
          'last week "trending up"; the p99 is one reading of `kyrodb_query_latency_ns{percentile="99"}`, since the ' +
          'server started.',
      },
      {
        kind: 'manual',
        text: '3. Check for memory leaks',
        command: 'ps -o rss=,etime= -C kyrodb_server',
        runbookCorrection:
          "the runbook's `ps aux | grep kyrodb_server | awk '{print $6}'` also prints the grep's own line; " +
          "`ps -o rss= -C kyrodb_server` prints the server's RSS (KiB) only. Compare with last week's.",
      },
    ],
  },
];

/** `/kyrodb checklist <name>`. */
export const kyrodbChecklistWorkflow = createChecklistWorkflow({
  system: 'kyrodb',
  displayName: 'KyroDB',
  checklists: kyrodbChecklists,
});
