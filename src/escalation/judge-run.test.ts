/**
 * Durations and pages through the run path (runDiagnostic → judge → finding history), on a real Postgres against the
 * Events API fake, with a fake system whose findings the test sets and a clock the test moves.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createPagerDutyEventsClient } from '../../integrations/pagerduty/events-client.js';
import { startFakePagerDutyEvents, type FakePagerDutyEvents } from '../../test/support/fake-pagerduty-events.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import { ScheduleSchema } from '../config/config-file.js';
import type { Invocation } from '../core/invocation.js';
import { silentLogger } from '../core/logger.js';
import type { Finding, Report } from '../core/report.js';
import { Secret } from '../core/secret.js';
import { isRefusedBeforeWrite } from '../core/target-error.js';
import type { SystemModule } from '../core/system.js';
import { runDiagnostic } from '../runner/run-diagnostic.js';
import { recordRunHistory } from '../schedules/record-run-history.js';
import { migrate } from '../store/migrate.js';
import { claimTrigger, markSendFailed } from './escalation-store.js';
import { createEscalator } from './escalator.js';
import { createRunJudge } from './judge-run.js';
import { createPageOnCall } from './page-on-call.js';

let db: pg.Pool;
let pd: FakePagerDutyEvents;
let nowMs = Date.parse('2026-12-06T10:00:00Z');
const clock = { now: () => nowMs };
const current: Record<string, Finding[]> = {};

const fake: SystemModule = {
  id: 'fake',
  displayName: 'Fake',
  instanceSchema: z.object({}),
  createClients: () => ({}),
  thresholds: [{ name: 'down-long', defaultMs: 3_600_000, kind: 'held', source: 'test' }],
  workflows: [
    {
      id: 'health',
      title: 'Fake health',
      description: 't',
      run: async (ctx) => ({ findings: current[ctx.target] ?? [] }),
    },
    {
      id: 'checklist',
      title: 'Fake checklist',
      description: 't',
      run: async (ctx) => ({ findings: current[`${ctx.target}:${ctx.args.checklist}`] ?? [] }),
    },
  ],
  remediations: [],
};
const every = (target: string) =>
  ScheduleSchema.parse({
    name: `s-${target}`,
    system: 'fake',
    target,
    workflow: 'health',
    every: '1m',
    channel: 'ops',
  });

/** An escalator on the fake PagerDuty and the test clock (its state is in the database: one per use is fine). */
function escalatorOnFakePagerDuty() {
  return createEscalator({
    db,
    client: createPagerDutyEventsClient({
      routingKey: new Secret('R0UT1NGKEY0123456789abcdefabcdef'),
      eventsUrl: pd.url,
    }),
    clock,
    logger: silentLogger,
  });
}

/** Page on-call as a person presses it, on the fake system. */
const pageOnCall = () => createPageOnCall({ db, escalator: escalatorOnFakePagerDuty(), systems: [fake] });

/** What Page on-call is given when pressed for `target`'s finding `code` at `level`. */
const pressFor = (target: string, code: string, level: string) => ({
  target,
  clients: {},
  params: { system: 'fake', code, level },
  clock,
  signal: new AbortController().signal,
  logger: silentLogger,
});

let runs = 0;
async function run(target: string, checklist?: string): Promise<Report> {
  const escalator = escalatorOnFakePagerDuty();
  const judge = createRunJudge({
    db,
    systems: [fake],
    schedules: [every('t1'), every('t2'), every('t3'), every('t4'), every('t5'), every('t8')],
    thresholds: { fake: { 'down-long': 30_000 } },
    escalation: { escalator, codes: { 'fake.configured': 'P2' } },
    clock,
  });
  const invocation: Invocation = {
    invocationId: `inv-${target}-${++runs}`,
    system: 'fake',
    workflow: checklist ? 'checklist' : 'health',
    target,
    args: checklist ? { checklist } : {},
    actor: { platform: 'slack', userId: 'schedule:s' },
    conversation: { platform: 'slack', channelId: 'C0OPS' },
    requestedAt: new Date(nowMs).toISOString(),
  };
  return runDiagnostic(invocation, {
    db,
    systems: [fake],
    clientsFor: () => ({}),
    engineWorkflows: {},
    clock,
    logger: silentLogger,
    timeoutMs: 5000,
    beforeReport: async (inv, draft) =>
      (
        await recordRunHistory(db, inv, await judge(inv, draft, new Date(nowMs)), {
          now: new Date(nowMs),
          schedule: null,
        })
      ).draft,
  });
}

const down: Finding = {
  code: 'fake.down',
  severity: 'critical',
  title: 'Fake is down',
  evidence: 'no answer',
  duration: { threshold: 'down-long' },
  escalation: { level: 'P0', page: true },
};

beforeAll(async () => {
  db = new pg.Pool({ connectionString: await createTestDatabase(), max: 6 });
  await migrate(db, silentLogger);
  pd = await startFakePagerDutyEvents();
}, 60_000);
afterAll(async () => {
  await pd?.close();
  await db?.end();
});

describe('a run judged for durations and pages', () => {
  it('pending, then one trigger once held, then one resolve when it clears; Page on-call offered once critical', async () => {
    current.t1 = [down];
    let r = await run('t1');
    expect(r.findings[0]).toMatchObject({ severity: 'warning', title: 'Fake is down (pending)' });
    expect(r.findings[0]!.actions).toBeUndefined();
    nowMs += 20_000;
    r = await run('t1');
    expect(r.findings[0]!.evidence).toContain(
      'Pending: held for 20 s; the runbook makes it P0, pages the on-call after 30 s',
    );
    expect(pd.accepted('trigger')).toHaveLength(0);
    nowMs += 15_000;
    r = await run('t1');
    expect(r.findings[0]).toMatchObject({ severity: 'critical', title: 'Fake is down' });
    expect(r.notes).toContain('Paged the on-call through PagerDuty: [P0] Fake t1: Fake is down (fake.down)');
    expect(r.findings[0]!.actions).toEqual([
      expect.objectContaining({
        remediation: 'page-on-call',
        label: 'Page on-call',
        level: 'confirm',
        offerId: expect.any(String),
      }),
    ]);
    nowMs += 20_000;
    r = await run('t1');
    expect(r.findings[0]!.evidence).toMatch(/The on-call is paged \(PagerDuty, since /);
    expect(pd.accepted('trigger', 'runbook-bot/fake/t1/fake.down')).toHaveLength(1);
    current.t1 = [{ ...down, severity: 'ok', title: 'Fake is up' }];
    nowMs += 20_000;
    r = await run('t1');
    expect(r.notes).toContain('Resolved the page: [P0] Fake t1: Fake is down (fake.down)');
    r = await run('t1');
    expect(pd.accepted('resolve', 'runbook-bot/fake/t1/fake.down')).toHaveLength(1);
    expect(pd.accepted('trigger', 'runbook-bot/fake/t1/fake.down')).toHaveLength(1);
  });

  it('a gap with no run (workers down an hour) is not counted as held: the duration restarts and the text says so', async () => {
    current.t5 = [down];
    await run('t5');
    nowMs += 20_000;
    let r = await run('t5');
    expect(r.findings[0]!.evidence).toContain('Pending: held for 20 s');
    // No run for an hour: nobody looked, so the bot cannot say the condition held all that time.
    nowMs += 3_600_000;
    r = await run('t5');
    expect(r.findings[0]).toMatchObject({ severity: 'warning', title: 'Fake is down (pending)' });
    expect(r.findings[0]!.evidence).toContain('Pending: held for 0 s');
    expect(r.findings[0]!.evidence).toContain('Not observed for 1 h (no run saw this target since 10:');
    expect(pd.accepted('trigger', 'runbook-bot/fake/t5/fake.down')).toHaveLength(0);
    nowMs += 20_000;
    r = await run('t5');
    expect(r.findings[0]!.evidence).toContain('Pending: held for 20 s');
    expect(pd.accepted('trigger', 'runbook-bot/fake/t5/fake.down')).toHaveLength(0);
    nowMs += 20_000;
    r = await run('t5');
    expect(r.findings[0]).toMatchObject({ severity: 'critical', title: 'Fake is down' });
    expect(pd.accepted('trigger', 'runbook-bot/fake/t5/fake.down')).toHaveLength(1);
  });

  it('a page another worker is sending (or whose outcome is unknown) is said so, never "already paged"', async () => {
    const configured: Finding = { code: 'fake.configured', severity: 'critical', title: 'Configured', evidence: 'x' };
    current.t6 = [configured];
    await claimTrigger(db, {
      system: 'fake',
      target: 't6',
      code: 'fake.configured',
      dedupKey: 'runbook-bot/fake/t6/fake.configured',
      streakSince: new Date(nowMs),
      level: 'P2',
      summary: '[P2] Fake t6: Configured (fake.configured)',
      workflow: 'health',
      requestedBy: 'auto',
      claimedBy: 'a-worker-that-stopped',
      now: new Date(nowMs),
      staleMs: 120_000,
    });
    const r = await run('t6');
    expect(pd.accepted('trigger', 'runbook-bot/fake/t6/fake.configured')).toHaveLength(0);
    expect(r.findings[0]!.evidence).toContain(
      'A page for this finding is being sent, or the outcome of sending it is not known yet: a later run re-checks.',
    );
    const pressed = await pageOnCall().execute(pressFor('t6', 'fake.configured', 'P2'));
    expect(pressed.summary).toBe(
      'A page for this finding is being sent, or the outcome of sending it is not known yet: nothing sent again; ' +
        '/runbook escalations shows it once it is open.',
    );
  });

  it('a page set off by one checklist is not resolved by another checklist that does not check it', async () => {
    current['t7:daily'] = [{ code: 'fake.configured', severity: 'warning', title: 'Configured', evidence: 'x' }];
    await run('t7', 'daily');
    expect(pd.accepted('trigger', 'runbook-bot/fake/t7/fake.configured')).toHaveLength(1);
    // The weekly checklist answers, but has no item about fake.configured: it says nothing about it.
    current['t7:weekly'] = [{ code: 'fake.weekly', severity: 'ok', title: 'Weekly', evidence: 'x' }];
    await run('t7', 'weekly');
    expect(pd.accepted('resolve', 'runbook-bot/fake/t7/fake.configured')).toHaveLength(0);
    current['t7:daily'] = [{ code: 'fake.configured', severity: 'ok', title: 'Configured', evidence: 'x' }];
    await run('t7', 'daily');
    expect(pd.accepted('resolve', 'runbook-bot/fake/t7/fake.configured')).toHaveLength(1);
  });

  it("a duration counts only runs where the finding carried it: an hour of the same code at a milder condition is not 'held'", async () => {
    // The same code as a warning with no duration (KyroDB: writes partly failing), then the paging condition.
    const partly: Finding = { code: 'fake.down', severity: 'warning', title: 'Partly down', evidence: 'x' };
    current.t8 = [partly];
    await run('t8');
    for (let i = 0; i < 3; i++) {
      nowMs += 30_000;
      await run('t8');
    }
    current.t8 = [down];
    nowMs += 30_000;
    let r = await run('t8');
    expect(r.findings[0]).toMatchObject({ severity: 'warning', title: 'Fake is down (pending)' });
    expect(r.findings[0]!.evidence).toContain('Pending: held for 0 s');
    expect(pd.accepted('trigger', 'runbook-bot/fake/t8/fake.down')).toHaveLength(0);
    nowMs += 31_000;
    r = await run('t8');
    expect(r.findings[0]).toMatchObject({ severity: 'critical', title: 'Fake is down' });
    expect(pd.accepted('trigger', 'runbook-bot/fake/t8/fake.down')).toHaveLength(1);
    // Back to the milder condition: the page resolves; the paging condition again later is a new streak and pages.
    current.t8 = [partly];
    nowMs += 30_000;
    await run('t8');
    expect(pd.accepted('resolve', 'runbook-bot/fake/t8/fake.down')).toHaveLength(1);
    current.t8 = [down];
    nowMs += 30_000;
    r = await run('t8');
    expect(r.findings[0]).toMatchObject({ title: 'Fake is down (pending)' });
    nowMs += 31_000;
    r = await run('t8');
    expect(pd.accepted('trigger', 'runbook-bot/fake/t8/fake.down')).toHaveLength(2);
  });

  it('a page PagerDuty refused (400) is said on the finding at every run of the streak, not passed over in silence', async () => {
    current.t9 = [{ code: 'fake.configured', severity: 'critical', title: 'Configured', evidence: 'x' }];
    const k = { system: 'fake', target: 't9', code: 'fake.configured' };
    await claimTrigger(db, {
      ...k,
      dedupKey: 'runbook-bot/fake/t9/fake.configured',
      streakSince: new Date(nowMs),
      level: 'P2',
      summary: '[P2] Fake t9: Configured (fake.configured)',
      workflow: 'health',
      requestedBy: 'auto',
      claimedBy: 'earlier-run',
      now: new Date(nowMs),
      staleMs: 120_000,
    });
    await markSendFailed(db, k, 'earlier-run', {
      retryable: false,
      error: 'PagerDuty Events API answered 400: Event object is invalid',
      now: new Date(nowMs),
    });
    const r = await run('t9');
    expect(pd.accepted('trigger', 'runbook-bot/fake/t9/fake.configured')).toHaveLength(0);
    expect(r.findings[0]!.evidence).toContain(
      'Not paged: PagerDuty refused the page (PagerDuty Events API answered 400: Event object is invalid) and it is ' +
        'not sent again for this condition; page the on-call by hand if it needs one.',
    );
  });

  it('a finding missing from a run whose probes failed does not resolve the page; one from a run that answered does', async () => {
    current.t2 = [{ code: 'fake.configured', severity: 'warning', title: 'Configured', evidence: 'x' }];
    await run('t2');
    expect(pd.accepted('trigger', 'runbook-bot/fake/t2/fake.configured')).toHaveLength(1);
    expect(
      (pd.accepted('trigger', 'runbook-bot/fake/t2/fake.configured')[0]!.body as { payload: { severity: string } })
        .payload.severity,
    ).toBe('warning');
    current.t2 = [
      {
        code: 'fake.probe.unreachable',
        severity: 'inconclusive',
        title: 'Unreachable',
        evidence: 'x',
        probeFailure: true,
      },
    ];
    await run('t2');
    expect(pd.accepted('resolve', 'runbook-bot/fake/t2/fake.configured')).toHaveLength(0);
    current.t2 = [{ code: 'fake.configured', severity: 'ok', title: 'Configured', evidence: 'x' }];
    await run('t2');
    expect(pd.accepted('resolve', 'runbook-bot/fake/t2/fake.configured')).toHaveLength(1);
  });

  it("a rule's finding missing from a run that answered (no data to decide) keeps its page open and says so; a probe's failure gone resolves its page", async () => {
    current.t10 = [{ code: 'fake.configured', severity: 'warning', title: 'Configured', evidence: 'x' }];
    await run('t10');
    expect(pd.accepted('trigger', 'runbook-bot/fake/t10/fake.configured')).toHaveLength(1);
    // The target answered, but the rule had nothing to read: no evidence the condition cleared.
    current.t10 = [{ code: 'fake.other', severity: 'ok', title: 'Other', evidence: 'x' }];
    const undecided = await run('t10');
    expect(pd.accepted('resolve', 'runbook-bot/fake/t10/fake.configured')).toHaveLength(0);
    expect(undecided.notes?.join('\n')).toContain('The page for fake.configured stays open: this run could not decide');
    current.t10 = [{ code: 'fake.configured', severity: 'ok', title: 'Configured', evidence: 'x' }];
    await run('t10');
    expect(pd.accepted('resolve', 'runbook-bot/fake/t10/fake.configured')).toHaveLength(1);

    // A page set off by a probe that got no answer resolves once a run's probes all answer without it.
    const unreachable: Finding = {
      code: 'fake.probe.unreachable',
      severity: 'inconclusive',
      title: 'Unreachable',
      evidence: 'x',
      probeFailure: true,
      escalation: { level: 'P0', page: true },
    };
    current.t11 = [unreachable];
    await run('t11');
    expect(pd.accepted('trigger', 'runbook-bot/fake/t11/fake.probe.unreachable')).toHaveLength(1);
    current.t11 = [{ code: 'fake.other', severity: 'ok', title: 'Other', evidence: 'x' }];
    await run('t11');
    expect(pd.accepted('resolve', 'runbook-bot/fake/t11/fake.probe.unreachable')).toHaveLength(1);
  });

  it('Page on-call pages at once with the same key; the automatic page of that streak then sends nothing', async () => {
    current.t3 = [down];
    await run('t3');
    const page = pageOnCall();
    const result = await page.execute(pressFor('t3', 'fake.down', 'P0'));
    expect(result.summary).toBe('Paged the on-call through PagerDuty: [P0] Fake t3: Fake is down (fake.down)');
    nowMs += 40_000;
    await run('t3');
    expect(pd.accepted('trigger', 'runbook-bot/fake/t3/fake.down')).toHaveLength(1);
    const again = await page.execute(pressFor('t3', 'fake.down', 'P0'));
    expect(again.summary).toMatch(/^The on-call is already paged for this finding since .+: nothing sent again\.$/);
  });

  it('a page a person asked for on a finding the runbook does not page for stays open until the finding clears', async () => {
    const plain: Finding = { code: 'fake.plain', severity: 'critical', title: 'Plain', evidence: 'x' };
    current.t4 = [plain];
    const r = await run('t4');
    expect(r.findings[0]!.actions?.[0]).toMatchObject({ remediation: 'page-on-call', params: { level: 'P1' } });
    await pageOnCall().execute(pressFor('t4', 'fake.plain', 'P1'));
    expect(pd.accepted('trigger', 'runbook-bot/fake/t4/fake.plain')).toHaveLength(1);
    await run('t4');
    expect(pd.accepted('resolve', 'runbook-bot/fake/t4/fake.plain')).toHaveLength(0);
    current.t4 = [{ ...plain, severity: 'ok' }];
    await run('t4');
    expect(pd.accepted('resolve', 'runbook-bot/fake/t4/fake.plain')).toHaveLength(1);
  });

  it('Page on-call pressed after the finding cleared sends nothing and says so', async () => {
    const plain: Finding = { code: 'fake.gone', severity: 'critical', title: 'Gone', evidence: 'x' };
    current.t9 = [plain];
    const r = await run('t9');
    expect(r.findings[0]!.actions?.[0]).toMatchObject({ remediation: 'page-on-call' });
    current.t9 = [{ ...plain, severity: 'ok' }];
    nowMs += 60_000;
    await run('t9');
    const pressed = pageOnCall().execute(pressFor('t9', 'fake.gone', 'P1'));
    await expect(pressed).rejects.toSatisfy(isRefusedBeforeWrite);
    await expect(pressed).rejects.toThrow(/cleared since the card was shown\), so no page was sent/);
    expect(pd.accepted('trigger', 'runbook-bot/fake/t9/fake.gone')).toHaveLength(0);
  });

  it('Page on-call carries who pressed it: in the event custom_details and in the result posted in the channel', async () => {
    current.t10 = [{ code: 'fake.who', severity: 'critical', title: 'Who', evidence: 'x' }];
    await run('t10');
    const escalator = createEscalator({
      db,
      client: createPagerDutyEventsClient({
        routingKey: new Secret('R0UT1NGKEY0123456789abcdefabcdef'),
        eventsUrl: pd.url,
      }),
      clock,
      logger: silentLogger,
    });
    const pressed = await createPageOnCall({ db, escalator, systems: [fake] }).execute({
      target: 't10',
      clients: {},
      params: { system: 'fake', code: 'fake.who', level: 'P1' },
      clock,
      signal: new AbortController().signal,
      logger: silentLogger,
      requestedBy: 'slack:U0PAGER',
    });
    expect(pressed.summary).toBe(
      'Paged the on-call through PagerDuty: [P1] Fake t10: Who (fake.who) (paged by <@U0PAGER>)',
    );
    const [sent] = pd.accepted('trigger', 'runbook-bot/fake/t10/fake.who');
    expect(sent!.body).toMatchObject({ payload: { custom_details: { requested_by: 'slack:U0PAGER' } } });
  });
});
