// Every kind of message the Slack transport posts, with hostile text from a target and an echoed secret in every
// field, against the fake Slack Web API: nothing reaches Slack as a live broadcast, mention or link, and no secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalCard } from '../../src/core/approval-card.js';
import type { Conversation } from '../../src/core/invocation.js';
import { Secret } from '../../src/core/secret.js';
import { report } from '../../test/support/report-fixtures.js';
import { found, HOSTILE, SLACK_ACTIVE, SLACK_INERT } from '../../test/support/hostile-strings.js';
import { startFakeSlack, type FakeSlack } from '../../test/support/fake-slack.js';
import { createSlackTransport } from './slack-transport.js';

const BOT_TOKEN = 'xoxb-unit-transport-token-000111';
const TARGET_KEY = 'unit-transport-target-key-42';
/** A target's text: hostile markup, the configured key and a token of another app, as an error body might echo. */
const ECHO = `${HOSTILE} key=${TARGET_KEY} xoxp-9999-8888-abcdefabcdef Bearer abcdef0123456789`;

let slack: FakeSlack;
let transport: ReturnType<typeof createSlackTransport>;

beforeAll(async () => {
  slack = await startFakeSlack({ token: BOT_TOKEN });
  new Secret(TARGET_KEY); // as the config does when it reads the target's apiKey
  transport = createSlackTransport({ botToken: new Secret(BOT_TOKEN), apiUrl: slack.url });
});

afterAll(async () => {
  await slack?.close();
});

const conversation = (channelId: string): Conversation => ({ platform: 'slack', channelId });

const card = (over: Partial<ApprovalCard> = {}): ApprovalCard => ({
  approvalId: 'apr_unit',
  title: 'Rebuild SQLite',
  system: 'corvo',
  target: 'prod',
  level: 'approval',
  destructive: true,
  call: 'POST /api/v1/admin/rebuild-sqlite',
  effect: 'Rebuilds the mirror',
  reason: `SQLite diverged: ${ECHO}`,
  requestedBy: 'U0ALICE',
  expiresAt: '2026-01-01T10:15:00.000Z',
  state: 'failed',
  decidedBy: 'U0BOB',
  decidedAt: '2026-01-01T10:01:00.000Z',
  result: `POST /api/v1/admin/rebuild-sqlite: Corvo answered 500 INTERNAL: ${ECHO}`,
  ...over,
});

/** Everything Slack received in calls that post or change messages. */
function delivered(): unknown[] {
  return slack.calls
    .filter((c) => ['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(c.method))
    .map((c) => c.args);
}

function expectInertAndRedacted(value: unknown): void {
  expect(found(value, SLACK_ACTIVE)).toEqual([]);
  expect(found(value, [TARGET_KEY, BOT_TOKEN, 'xoxp-9999', 'abcdef0123456789'])).toEqual([]);
  expect(found(value, ['[redacted]'])).toEqual(['[redacted]']);
}

describe('Slack transport: hostile target text and echoed secrets', () => {
  it('a thread line (postText) is escaped and redacted', async () => {
    await transport.postText(
      { ...conversation('C0TEXT'), threadId: '1.1' },
      `Re-check: still warning — Queue ${ECHO} is paused`,
    );
    const [m] = slack.messages('C0TEXT');
    expectInertAndRedacted(m);
    expect(found(m, SLACK_INERT)).toEqual(SLACK_INERT);
    expect(m!.text).toContain('Re-check: still warning — Queue Q &lt;!channel&gt;');
  });

  it('an ephemeral reply is escaped and redacted', async () => {
    await transport.postEphemeral(conversation('C0EPH'), 'U0ALICE', `Nothing to do: ${ECHO}`);
    const [e] = slack.ephemerals('C0EPH');
    expectInertAndRedacted(e);
    expect(found(e, SLACK_INERT)).toEqual(SLACK_INERT);
  });

  it('an approval card: text, status block and notification text are escaped; only our own mentions are live', async () => {
    const posted = await transport.postApprovalCard(conversation('C0CARD'), card({ state: 'pending' }));
    await transport.updateApprovalCard(posted, card());
    const [m] = slack.messages('C0CARD');
    expect(m!.edits).toBe(1);
    expectInertAndRedacted(m);
    expect(found(m, SLACK_INERT)).toEqual(SLACK_INERT);
    // The decider is mentioned in the status block (our markup); the notification text names them without markup.
    expect(JSON.stringify(m!.blocks)).toContain('Approved by <@U0BOB>');
    expect(m!.text).toMatch(/^Approval needed: Rebuild SQLite on prod — Approved by U0BOB at 10:01 UTC — FAILED: /);
    expect(m!.text).not.toContain('<@');
  });

  it('a report and an incident message carry no secret', async () => {
    await transport.postReport(
      conversation('C0REP'),
      report({
        summary: ECHO,
        findings: [{ code: 'corvo.probe.failed', severity: 'inconclusive', title: ECHO, evidence: ECHO }],
      }),
    );
    await transport.postIncidentMessage!(conversation('C0INC'), {
      kind: 'note',
      note: { status: 'triggered', text: ECHO },
    });
    for (const channel of ['C0REP', 'C0INC']) expectInertAndRedacted(slack.messages(channel));
  });

  it('report notes, and every field of an incident root a PagerDuty user can write, are inert', async () => {
    // Schedule digests, checklist notes and escalation notes reach Slack as report notes; names and services from
    // PagerDuty as the incident root's fields and its silence line. (A header is plain_text: Slack parses nothing in it.)
    await transport.postReport(conversation('C0NOTES'), report({ findings: [], notes: [ECHO, `digest: ${ECHO}`] }));
    await transport.postIncidentMessage!(conversation('C0ROOT'), {
      kind: 'root',
      card: {
        incidentId: 'inc_hostile',
        source: 'pagerduty',
        status: 'acknowledged',
        title: 'Corvo Production', // shown in the plain_text header (render-incident-message.test.ts has its escaping)
        priority: ECHO,
        urgency: ECHO,
        service: ECHO,
        assignees: [ECHO],
        acknowledgedBy: ECHO,
        runbook: ECHO,
        silence: { by: ECHO, until: '2026-01-01T11:00:00.000Z', recordId: 'sil_1' },
      },
    });
    for (const channel of ['C0NOTES', 'C0ROOT']) expectInertAndRedacted(slack.messages(channel));
  });

  it('no call the transport made carried live markup or a secret', () => {
    expect(delivered().length).toBeGreaterThanOrEqual(6);
    for (const args of delivered()) {
      expect(found(args, SLACK_ACTIVE)).toEqual([]);
      expect(found(args, [TARGET_KEY, 'xoxp-9999'])).toEqual([]);
    }
  });
});
