import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tryitnowCommand } from '../../commands/tryitnow.js';
import type { TryItNowScenario } from '../../integrations/tryitnow/simulator/index.js';
import { startNatsServer, type StartedNatsServer } from '../../integrations/tryitnow/simulator/start-nats-server.js';
import type { TryItNowWorkers } from '../../integrations/tryitnow/simulator/workers.js';
import { parseCommandText, renderHelp } from '../../src/core/command.js';
import { createReport } from '../../src/core/report.js';
import { renderText } from '../../src/core/render-text.js';
import { silentLogger } from '../../src/core/logger.js';
import { startRedis, type StartedService } from '../../src/dev/local-services.js';
import { checklistNotes } from '../../test/support/checklist-notes.js';
import { clock, severities, startScenarioWorld, type World } from '../../test/support/tryitnow/world.js';
import { tryitnowChecklists, tryitnowChecklistWorkflow } from './checklists.js';

/** The runbook's "Runbook Checklist" section, verbatim (docs/RUNBOOK.md of instant-demo/try-it-now). */
const RUNBOOK_CHECKLIST = `
### Daily
- [ ] Check pool stats: ready count should match target
- [ ] Review error logs: \`journalctl -u try-it-now --since today | grep -i error\`
- [ ] Verify metrics are being collected

### Weekly
- [ ] Review provision success rates
- [ ] Check for queue backlog trends
- [ ] Clean up any orphaned containers

### Monthly
- [ ] Review and update checkpoint (if image updated)
- [ ] Check disk usage for checkpoint storage
- [ ] Review and tune pool size based on usage

### On Deployment
- [ ] Verify health endpoint
- [ ] Check pool starts replenishing
- [ ] Confirm NATS consumers created
- [ ] Test acquire/release cycle
`;

/** Heading → item texts, each without its command (`: \`…\``). */
function runbookItems(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let heading = '';
  for (const line of RUNBOOK_CHECKLIST.split('\n')) {
    if (line.startsWith('### ')) out.set((heading = line.slice(4)), []);
    else if (line.startsWith('- [ ] ')) out.get(heading)!.push(line.slice(6).replace(/: `.*`$/, ''));
  }
  return out;
}

describe('Try It Now checklists as data', () => {
  it('has every item of every runbook checklist, in the runbook’s order and words', () => {
    const runbook = runbookItems();
    expect(tryitnowChecklists.map((c) => c.section)).toEqual(
      [...runbook.keys()].map((h) => `Runbook Checklist › ${h}`),
    );
    expect(tryitnowChecklists.map((c) => c.name)).toEqual(['daily', 'weekly', 'monthly', 'on-deploy']);
    for (const c of tryitnowChecklists) {
      const heading = c.section.replace('Runbook Checklist › ', '');
      expect(c.items.map((i) => i.text)).toEqual(runbook.get(heading));
    }
    expect(tryitnowChecklists.flatMap((c) => c.items)).toHaveLength(13);
  });

  it('every manual step and correction fits a chat note (1,000 characters), each list about 3,000', () => {
    for (const c of tryitnowChecklists) {
      const notes = checklistNotes(c);
      expect(notes.length).toBeGreaterThan(0);
      for (const n of notes) expect(n.length).toBeLessThanOrEqual(960);
      expect(notes.join('').length).toBeLessThanOrEqual(2900);
    }
  });

  it('checks what the bot can read; logs, containers, the host disk, the checkpoint and a real acquire are by hand', () => {
    const kinds = Object.fromEntries(
      tryitnowChecklists.map((c) => [
        c.name,
        c.items.map((i) => (i.kind === 'check' && i.byHand ? 'check+hand' : i.kind)),
      ]),
    );
    expect(kinds).toEqual({
      daily: ['check', 'check+hand', 'check'],
      weekly: ['check', 'check', 'check+hand'],
      monthly: ['manual', 'manual', 'check+hand'],
      'on-deploy': ['check', 'check', 'check', 'manual'],
    });
    const daily = tryitnowChecklists[0]!.items[1]!;
    expect(daily.kind === 'check' && daily.byHand).toContain('journalctl -u try-it-now --since today | grep -i error');
    const checkpoint = tryitnowChecklists[2]!.items[0]!;
    // The runbook's CHECKPOINT_PATH is corrected.
    expect(checkpoint).toMatchObject({
      kind: 'manual',
      command: expect.stringContaining('CONTAINER_CHECKPOINT_PATH='),
    });
    expect(checkpoint.kind === 'manual' && checkpoint.runbookCorrection).toContain('`CHECKPOINT_PATH` does not exist');
  });

  it('/tryitnow checklist <name> takes only the checklist names, and usage lists them', () => {
    expect(parseCommandText(tryitnowCommand, 'checklist daily', ['prod'])).toMatchObject({
      kind: 'run',
      workflow: 'checklist',
      args: { checklist: 'daily' },
    });
    expect(() => parseCommandText(tryitnowCommand, 'checklist yearly', ['prod'])).toThrow(
      /Invalid <checklist>: "yearly".\nUsage: \/tryitnow checklist <daily\|weekly\|monthly\|on-deploy> \[--target NAME\]/,
    );
    expect(renderHelp(tryitnowCommand)).toContain(
      '• /tryitnow checklist <daily|weekly|monthly|on-deploy> [--target NAME]',
    );
  });
});

describe('/tryitnow checklist against the simulator', () => {
  let nats: StartedNatsServer;
  let redis: StartedService;
  let world: World | undefined;
  let workers: TryItNowWorkers | undefined;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNatsServer(), startRedis()]);
  });
  afterEach(async () => {
    await workers?.giveUp();
    workers = undefined;
    await world?.close();
    world = undefined;
  });
  afterAll(async () => {
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  async function worldFor(scenario: TryItNowScenario, stream: string): Promise<World> {
    return startScenarioWorld({ scenario, nats, valkeyUrl: redis.url, stream, onWorkers: (w) => (workers = w) });
  }

  const run = async (w: World, text: string) => {
    const parsed = parseCommandText(tryitnowCommand, text, ['prod']);
    if (parsed.kind === 'help') throw new Error('help');
    return tryitnowChecklistWorkflow.run({
      target: 'prod',
      clients: w.clients,
      args: parsed.args,
      clock,
      signal: new AbortController().signal,
      logger: silentLogger,
    });
  };

  it('daily, healthy: the pool, error counters and metrics checked, the journal as a manual step', async () => {
    world = await worldFor('healthy', 'CHK_DAILY');
    const r = await run(world, 'checklist daily');
    expect(r.title).toBe('Try It Now daily checklist');
    expect(severities(r.findings)).toEqual({
      'tryitnow.pool.ready': 'ok',
      'tryitnow.pool.provision-failures': 'ok',
      'tryitnow.checklist.metrics-collected': 'ok',
    });
    expect(r.findings.find((f) => f.code === 'tryitnow.pool.ready')?.section).toBe(
      'Runbook Checklist › Daily › Check pool stats: ready count should match target',
    );
    expect(r.summary).toBe('3 of 3 items checked by the bot (3 ok), 0 by hand');
    expect(r.notes?.[0]).toMatch(
      /^By hand too — Review error logs: the log itself — `journalctl -u try-it-now --since today/,
    );
    const text = renderText(
      createReport({
        title: r.title!,
        system: 'tryitnow',
        target: 'prod',
        workflow: 'checklist',
        summary: r.summary!,
        findings: r.findings,
        notes: r.notes,
        invocationId: 'inv_1',
        generatedAt: new Date(clock.now()).toISOString(),
      }),
    );
    expect(text).toContain('Try It Now daily checklist — prod');
  });

  it('daily, pool low: the pool item is the verdict', async () => {
    world = await worldFor('pool-low', 'CHK_LOW');
    const r = await run(world, 'checklist daily');
    expect(r.findings[0]).toMatchObject({ code: 'tryitnow.pool.ready', severity: 'critical' });
  });

  it('on-deploy: the health endpoint, the pool and the NATS consumers checked, acquire/release by hand', async () => {
    world = await worldFor('healthy', 'CHK_DEPLOY');
    const r = await run(world, 'checklist on-deploy');
    expect(r.title).toBe('Try It Now on-deploy checklist');
    expect(Object.keys(severities(r.findings)).sort()).toEqual(
      [
        'tryitnow.health.api',
        'tryitnow.pool.ready',
        'tryitnow.pool.provision-failures',
        'tryitnow.queue.stream',
        'tryitnow.queue.consumers',
      ].sort(),
    );
    // What Slack shows of notes: 1,000 characters each, about 3,000 for all.
    for (const n of r.notes ?? []) expect(n.length).toBeLessThanOrEqual(1000);
    expect(r.notes?.at(-1)).toMatch(/^By hand — Test acquire\/release cycle: `curl -s -X POST/);
  });
});
