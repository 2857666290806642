import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kyrodbCommand } from '../../commands/kyrodb.js';
import { createKyroClient, KyroInstanceSchema, type KyroClient } from '../../integrations/kyrodb/index.js';
import {
  startKyroSimulator,
  type KyroScenario,
  type KyroSimulator,
} from '../../integrations/kyrodb/simulator/index.js';
import { fixedClock } from '../../src/core/clock.js';
import { parseCommandText } from '../../src/core/command.js';
import { silentLogger } from '../../src/core/logger.js';
import type { FindingHistory } from '../../src/core/workflow.js';
import { findingHistoryOf } from '../../src/store/finding-history-of.js';
import { recordFindingRun } from '../../src/store/finding-history.js';
import { migrate } from '../../src/store/migrate.js';
import { checklistNotes } from '../../test/support/checklist-notes.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import { kyrodbChecklists, kyrodbChecklistWorkflow } from './checklists.js';

/** The runbook's "Monitoring Checklist", verbatim (docs/OPERATIONS.md at 936b60e). */
const RUNBOOK_CHECKLIST = `
Daily checks:
# 1. Health status
curl http://localhost:51052/health

# 2. Recent errors
journalctl -u kyrodb --since "1 hour ago" | grep -i error

# 3. Backup age
kyrodb_backup list --backup-dir /backups | head -1

# 4. Disk space
df -h /var/lib/kyrodb

# 5. Performance metrics
curl -s http://localhost:51052/metrics | grep -E "p99|hit_rate|error"

Weekly checks:
# 1. Test restore
kyrodb_backup restore --backup-id <latest> --dry-run

# 2. Review SLO trends
# Check if P99 latency trending up

# 3. Check for memory leaks
ps aux | grep kyrodb_server | awk '{print $6}'  # RSS memory
`;

function runbookItems(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let heading = '';
  for (const line of RUNBOOK_CHECKLIST.split('\n')) {
    if (line.endsWith('checks:')) out.set((heading = line.slice(0, -1)), []);
    else if (/^# \d+\. /.test(line)) out.get(heading)!.push(line.slice(2));
  }
  return out;
}

describe('KyroDB checklists as data', () => {
  it('has every numbered check of the runbook’s daily and weekly lists, in its order and words', () => {
    const runbook = runbookItems();
    expect(kyrodbChecklists.map((c) => c.name)).toEqual(['daily', 'weekly']);
    expect(kyrodbChecklists.map((c) => c.section)).toEqual(
      [...runbook.keys()].map((h) => `Monitoring Checklist › ${h}`),
    );
    for (const c of kyrodbChecklists) {
      expect(c.items.map((i) => i.text)).toEqual(runbook.get(c.section.replace('Monitoring Checklist › ', '')));
    }
    expect(kyrodbChecklists.flatMap((c) => c.items)).toHaveLength(8);
  });

  it('every manual step and correction fits a chat note (1,000 characters), each list about 3,000', () => {
    for (const c of kyrodbChecklists) {
      const notes = checklistNotes(c);
      expect(notes.length).toBeGreaterThan(0);
      for (const n of notes) expect(n.length).toBeLessThanOrEqual(960);
      expect(notes.join('').length).toBeLessThanOrEqual(2900);
    }
  });

  it('checks health, errors and performance, compares the P99 with last week; the host’s side is by hand', () => {
    const kinds = kyrodbChecklists.map((c) =>
      c.items.map((i) => (i.kind === 'check' && i.byHand ? 'check+hand' : i.kind)),
    );
    expect(kinds).toEqual([
      ['check', 'check+hand', 'manual', 'manual', 'check'],
      ['manual', 'trend', 'manual'],
    ]);
  });

  it('corrects the runbook’s commands: port 51051, kyrodb_backup’s global options, no --dry-run, the p99 name', () => {
    const [daily, weekly] = kyrodbChecklists;
    const text = (i: unknown) => JSON.stringify(i);
    expect(text(daily!.items[0])).toContain('curl http://localhost:51051/health');
    expect(daily!.items[2]).toMatchObject({
      kind: 'manual',
      command: 'kyrodb_backup --data-dir /var/lib/kyrodb/data --backup-dir /backups list --format table | head -5',
    });
    expect(text(daily!.items[4])).toContain('kyrodb_query_latency_ns{percentile=\\"99\\"}');
    const restore = weekly!.items[0]!;
    expect(restore.kind === 'manual' && restore.command).not.toContain('--dry-run');
    expect(restore.kind === 'manual' && restore.command).toContain('BACKUP_ALLOW_CLEAR=true');
    expect(restore.kind === 'manual' && restore.runbookCorrection).toContain('does not exist (there is no dry run)');
  });

  it('/kyrodb checklist takes daily or weekly', () => {
    expect(parseCommandText(kyrodbCommand, 'checklist weekly', ['prod'])).toMatchObject({
      workflow: 'checklist',
      args: { checklist: 'weekly' },
    });
    expect(() => parseCommandText(kyrodbCommand, 'checklist monthly', ['prod'])).toThrow(
      /Usage: \/kyrodb checklist <daily\|weekly> \[--target NAME\]/,
    );
  });
});

describe('KyroDB checklists against the simulator', () => {
  const NOW = Date.parse('2026-03-26T10:00:00Z');
  const clock = fixedClock(NOW);
  const open: { sim: KyroSimulator; client: KyroClient }[] = [];
  let db: pg.Pool;

  beforeAll(async () => {
    db = new pg.Pool({ connectionString: await createTestDatabase(), max: 3 });
    await migrate(db, silentLogger);
  }, 60_000);
  afterEach(async () => {
    for (const { sim, client } of open.splice(0)) {
      await client.close();
      await sim.close();
    }
  });
  afterAll(async () => {
    await db?.end();
  });

  async function run(name: string, scenario: KyroScenario, history?: FindingHistory) {
    const sim = await startKyroSimulator({ scenario, clock });
    const client = createKyroClient(KyroInstanceSchema.parse({ url: sim.url, timeoutMs: 2000, writeWindowMs: 30 }), {
      clock,
    });
    open.push({ sim, client });
    return kyrodbChecklistWorkflow.run({
      target: 'prod',
      clients: { kyrodb: client },
      args: { checklist: name },
      clock,
      signal: new AbortController().signal,
      logger: silentLogger,
      ...(history ? { history } : {}),
    });
  }

  it('daily: health, errors and performance checked; backups, disk and the journal by hand', async () => {
    const r = await run('daily', 'healthy');
    expect(r.title).toBe('KyroDB daily checklist');
    expect(r.findings.map((f) => f.code).sort()).toEqual(
      [
        'kyrodb.health.status',
        'kyrodb.health.ready',
        'kyrodb.errors.by-category',
        'kyrodb.wal.writes',
        'kyrodb.latency.query-p99',
        'kyrodb.latency.cache-hit-rate',
      ].sort(),
    );
    // The p99 carries its value (ms) into the finding history, for next week's trend.
    expect(r.findings.find((f) => f.code === 'kyrodb.latency.query-p99')?.value).toBeGreaterThan(0);
    expect(r.summary).toMatch(/^3 of 5 items checked by the bot \(.*\), 2 by hand$/);
    expect(r.notes?.some((n) => n.startsWith('By hand — 4. Disk space: `df -h /var/lib/kyrodb`'))).toBe(true);
  });

  it('weekly: the P99 against the same day last week from the finding history, or "no value … yet"', async () => {
    const history = findingHistoryOf(db, 'kyrodb', 'prod');
    const first = await run('weekly', 'degraded-latency', history);
    const trend = first.findings.find((f) => f.code === 'kyrodb.checklist.p99-trend')!;
    expect(trend).toMatchObject({
      severity: 'inconclusive',
      title: 'Query p99 trend: no value from last week to compare yet',
    });
    const now = trend.value!;
    expect(now).toBeGreaterThan(0);
    // A run a week ago (40 minutes off the same time) recorded half today's p99.
    await recordFindingRun(db, {
      runId: 'last-week',
      system: 'kyrodb',
      target: 'prod',
      workflow: 'checklist:weekly',
      schedule: null,
      at: new Date(NOW - 7 * 24 * 3600_000 + 40 * 60_000),
      findings: [{ code: 'kyrodb.latency.query-p99', severity: 'ok', title: 'p99', value: now / 2 }],
    });
    const second = await run('weekly', 'degraded-latency', history);
    expect(second.findings.find((f) => f.code === 'kyrodb.checklist.p99-trend')).toMatchObject({
      severity: 'warning',
      title: 'Query p99 trending up: +100 % on last week',
      section: 'Monitoring Checklist › Weekly checks › 2. Review SLO trends',
    });
    // What Slack shows of notes: 1,000 characters each, about 3,000 for all.
    for (const n of second.notes ?? []) expect(n.length).toBeLessThanOrEqual(1000);
    expect(second.notes?.map((n) => n.split(':')[0])).toEqual([
      'By hand — 1. Test restore',
      'By hand — 3. Check for memory leaks',
    ]);
  });
});
