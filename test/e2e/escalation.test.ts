/**
 * Escalation end to end (issue 14): the real `web` and two real `worker` processes, a 3-second schedule of KyroDB's
 * health into #ops, the runbook's "circuit breaker open > 1 h" overridden to 15 s, and a loopback fake of the
 * PagerDuty Events API v2. KyroDB's WAL circuit breaker opened (writes refused) is pending until it has held 15 s
 * across the scheduled runs, then gives exactly one trigger; writes succeeding again give exactly one resolve. The
 * channel is told both times; the Page on-call button (the requester confirms) sends nothing more while the page is
 * open, and `/runbook escalations` lists the page while it is open.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startKyroSimulator, type KyroSimulator } from '../../integrations/kyrodb/simulator/index.js';
import { startFakePagerDutyEvents, type FakePagerDutyEvents } from '../support/fake-pagerduty-events.js';
import { slashCommandBody } from '../support/slack-signing.js';
import { startBotStack, type BotStack } from './bot-stack.js';

vi.setConfig({ testTimeout: 150_000, hookTimeout: 120_000 });

const CHANNEL = 'C0OPS';
const ROUTING_KEY = 'R0UT1NGKEYe2e0123456789abcdef01';
const DEDUP = 'runbook-bot/kyrodb/prod/kyrodb.wal.circuit-breaker';
let stack: BotStack;
let kyro: KyroSimulator;
let pd: FakePagerDutyEvents;

beforeAll(async () => {
  kyro = await startKyroSimulator({ scenario: 'healthy' });
  pd = await startFakePagerDutyEvents();
  stack = await startBotStack({
    workerEnv: { PAGERDUTY_EVENTS_URL: pd.url },
    extraTargets: `  kyrodb:\n    prod: { url: "${kyro.url}", writeWindowMs: 200, timeoutMs: 2000 }\n`,
    extraConfig:
      `channels:\n  ops: { slack: ${CHANNEL} }\n` +
      'schedules:\n' +
      '  - { name: kyrodb-watch, system: kyrodb, target: prod, workflow: health, every: 3s, channel: ops }\n' +
      'thresholds:\n  kyrodb: { circuit-breaker-open: 15s }\n' +
      `escalation:\n  pagerduty: { routingKey: "${ROUTING_KEY}" }\n`,
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await pd?.close();
  await kyro?.close();
  for (const p of [stack?.web, ...(stack?.workers ?? [])]) expect(p?.output() ?? '').not.toContain(ROUTING_KEY);
});

interface StoredReport {
  findings: { code: string; severity: string; title: string; evidence: string }[];
  notes?: string[];
}
const runs = async () =>
  (
    await stack.db.query<{ run_id: string; at: Date; report: StoredReport }>(
      `select r.run_id, r.at, p.report from finding_runs r join reports p on p.invocation_id = r.run_id
       where r.schedule = 'kyrodb-watch' order by r.at`,
    )
  ).rows;
const breakerOf = (r: StoredReport) => r.findings.find((f) => f.code === 'kyrodb.wal.circuit-breaker');
const textOf = (m: { text?: string; blocks?: unknown }) => `${m.text ?? ''}\n${JSON.stringify(m.blocks ?? [])}`;

describe('escalation by page', () => {
  it('pages once after the overridden 15 s, and resolves once when writes succeed again', async () => {
    await expect.poll(async () => (await runs()).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    await kyro.setScenario('wal-refusing');
    const switchedAt = Date.now();

    // Pending first: a warning that says how long it has held against the 15 s.
    await expect
      .poll(async () => (await runs()).some((r) => breakerOf(r.report)?.title.endsWith('(pending)')), {
        timeout: 20_000,
      })
      .toBe(true);
    const pending = (await runs()).map((r) => breakerOf(r.report)).find((f) => f?.title.endsWith('(pending)'))!;
    expect(pending.severity).toBe('warning');
    expect(pending.evidence).toMatch(
      /Pending: held for \d+ s; the runbook makes it P0, pages the on-call after 15 s \(circuit-breaker-open\)\./,
    );
    expect(pd.accepted('trigger')).toHaveLength(0);

    // Held 15 s: one trigger.
    await expect.poll(() => pd.accepted('trigger').length, { timeout: 45_000 }).toBe(1);
    expect(Date.now() - switchedAt).toBeGreaterThanOrEqual(14_000);
    const trigger = pd.accepted('trigger')[0]!;
    expect(trigger.dedupKey).toBe(DEDUP);
    expect(trigger.authorization).toBeUndefined();
    expect(trigger.routingKey).toBe(ROUTING_KEY);
    expect(trigger.body).toMatchObject({
      event_action: 'trigger',
      payload: { severity: 'critical', source: 'kyrodb/prod', component: 'kyrodb', group: 'prod' },
      links: [{ href: `https://slack.com/app_redirect?channel=${CHANNEL}` }],
    });
    expect((trigger.body as { payload: { summary: string } }).payload.summary).toMatch(
      /^\[P0\] KyroDB prod: Writes are refused: .+ \(kyrodb\.wal\.circuit-breaker\)$/,
    );
    // The channel is told, in the run's report.
    await expect
      .poll(
        () => stack.slack.messages(CHANNEL).some((m) => textOf(m).includes('Paged the on-call through PagerDuty')),
        {
          timeout: 15_000,
        },
      )
      .toBe(true);

    // More ticks while it holds: still one trigger (one alert open at PagerDuty).
    const afterTrigger = (await runs()).length;
    await expect.poll(async () => (await runs()).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(afterTrigger + 2);
    expect(pd.accepted('trigger')).toHaveLength(1);
    expect(pd.stateOf(DEDUP)).toBe('open');
    const last = (await runs()).at(-1)!.report;
    expect(breakerOf(last)).toMatchObject({ severity: 'critical' });
    expect(breakerOf(last)!.evidence).toMatch(/Held for \d+ s across scheduled runs: past the runbook's 15 s/);

    // Page on-call on the critical finding (the requester confirms): the same key, so nothing is sent twice.
    const withButton = stack.slack
      .messages(CHANNEL)
      .filter((m) => textOf(m).includes('Page on-call'))
      .at(-1)!;
    expect(withButton, 'a report with a Page on-call button').toBeDefined();
    const button = (
      withButton.blocks as { type: string; elements?: { action_id: string; value: string; text: { text: string } }[] }[]
    )
      .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
      .find((e) => e.text.text.includes('Page on-call'))!;
    expect(button.value).toMatch(/^ofr_/);
    await stack.click({
      userId: 'U0ALICE',
      channelId: CHANNEL,
      actionId: button.action_id,
      value: button.value,
      messageTs: withButton.ts,
    });
    await expect
      .poll(
        () => stack.slack.messages(CHANNEL).find((m) => String(m.text).startsWith('Confirm: Page on-call on prod')),
        {
          timeout: 20_000,
        },
      )
      .toBeDefined();
    const card = stack.slack.messages(CHANNEL).find((m) => String(m.text).startsWith('Confirm: Page on-call on prod'))!;
    const confirm = (card.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
      .find((e) => e.action_id === 'approval:approve')!;
    await stack.click({
      userId: 'U0ALICE',
      channelId: CHANNEL,
      actionId: 'approval:approve',
      value: confirm.value,
      messageTs: card.ts,
    });
    await expect
      .poll(
        async () =>
          (await stack.db.query(`select state, result from approvals where id = $1`, [confirm.value])).rows[0] as
            { state: string; result: string } | undefined,
        { timeout: 20_000 },
      )
      .toMatchObject({ state: 'succeeded', result: expect.stringContaining('already paged') });
    expect(pd.accepted('trigger')).toHaveLength(1);

    // /runbook escalations lists the open page.
    const res = await stack.postSlack(
      slashCommandBody({ command: '/runbook', text: 'escalations', channel_id: CHANNEL }),
    );
    expect(res.status).toBe(200);
    await expect
      .poll(
        () =>
          stack.slack
            .messages(CHANNEL)
            .some((m) => textOf(m).includes('kyrodb.wal.circuit-breaker') && textOf(m).includes(`dedup_key ${DEDUP}`)),
        { timeout: 20_000 },
      )
      .toBe(true);

    // Writes succeed again: one resolve.
    await kyro.setScenario('healthy');
    await expect.poll(() => pd.accepted('resolve').length, { timeout: 20_000 }).toBe(1);
    expect(pd.stateOf(DEDUP)).toBe('resolved');
    await expect
      .poll(() => stack.slack.messages(CHANNEL).some((m) => textOf(m).includes('Resolved the page')), {
        timeout: 15_000,
      })
      .toBe(true);
    const afterResolve = (await runs()).length;
    await expect.poll(async () => (await runs()).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(afterResolve + 2);
    expect(pd.accepted('trigger')).toHaveLength(1);
    expect(pd.accepted('resolve')).toHaveLength(1);
    expect(pd.events.filter((e) => e.status !== 202)).toEqual([]);
    const row = (await stack.db.query(`select state from escalations where code = 'kyrodb.wal.circuit-breaker'`)).rows;
    expect(row).toEqual([{ state: 'resolved' }]);
  });
});
