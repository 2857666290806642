// Goldens and checks of the approval, incident and text renderers for Teams.
import { describe, expect, it } from 'vitest';
import { goldenChecker } from '../../test/support/golden.js';
import type { ApprovalCard } from '../../src/core/approval-card.js';
import type { IncidentMessage } from '../../src/core/incident.js';
import { validateTeamsActivity } from '../../test/support/fake-bot-connector.js';
import { cardActivity, type CardElement, type TeamsCardMessage } from './adaptive-card.js';
import { renderApprovalCard } from './render-approval-card.js';
import { renderIncidentCard } from './render-incident-card.js';
import { renderTextMessage } from './render-text-message.js';

const expectGolden = goldenChecker(import.meta.url);

const json = (m: unknown): string => `${JSON.stringify(m, null, 2)}\n`;

function elements(node: unknown, out: CardElement[] = []): CardElement[] {
  if (Array.isArray(node)) node.forEach((n) => elements(n, out));
  else if (node !== null && typeof node === 'object') {
    const o = node as CardElement;
    if (typeof o.type === 'string') out.push(o);
    Object.values(o).forEach((v) => elements(v, out));
  }
  return out;
}
const allText = (m: TeamsCardMessage) =>
  elements(m.card)
    .filter((e) => e.type === 'TextRun')
    .map((e) => String(e.text))
    .join('');

const ALICE = '00000000-0000-0000-0000-0000000a11ce';
const BOB = '00000000-0000-0000-0000-000000000b0b';
const names: Record<string, string> = { [ALICE]: 'Alice Example', [BOB]: 'Bob Approver' };

const pending: ApprovalCard = {
  approvalId: 'apr_0123456789abcdef',
  title: 'Rebuild SQLite',
  system: 'corvo',
  target: 'prod',
  level: 'approval',
  destructive: true,
  call: 'POST /api/v1/admin/rebuild-sqlite',
  effect: 'Rebuilds the SQLite mirror from Pebble; reads of the mirror pause for a few seconds.',
  reason: 'SQLite diverged from Pebble: mirror dropped 212 writes since 09:10 UTC',
  requestedBy: ALICE,
  expiresAt: '2025-03-14T09:41:53.000Z',
  state: 'pending',
};

const cards: Record<string, ApprovalCard> = {
  pending,
  confirm: {
    ...pending,
    level: 'confirm',
    destructive: false,
    title: 'Resume queue',
    call: 'POST /queues/emails/resume',
  },
  succeeded: {
    ...pending,
    state: 'succeeded',
    decidedBy: BOB,
    decidedAt: '2025-03-14T09:30:00.000Z',
    result: 'rebuilt in 1,234 ms',
  },
  denied: { ...pending, state: 'denied', decidedBy: BOB, decidedAt: '2025-03-14T09:30:00.000Z' },
  expired: { ...pending, state: 'expired' },
  hostile: {
    ...pending,
    effect: 'changes [click](https://evil.example) **bold** <at>Everyone</at>',
    reason: '{{DATE(2025-01-01T00:00:00Z)}} & <script>',
    state: 'failed',
    decidedBy: 'unknown-user',
    decidedAt: '2025-03-14T09:30:00.000Z',
    result: 'HTTP 500 <html>',
  },
};

describe('renderApprovalCard (Teams)', () => {
  it.each(Object.entries(cards))('%s matches its golden file and is a card Teams accepts', async (name, card) => {
    const m = renderApprovalCard(card, { nameOf: (id) => names[id] });
    expect(validateTeamsActivity(cardActivity(m))).toEqual([]);
    await expectGolden(`approval-${name}.golden.json`, json(m));
  });

  it('has Approve/Deny as Action.Execute with only the approval id, while pending', () => {
    const m = renderApprovalCard(pending);
    expect(m.card.actions).toEqual([
      {
        type: 'Action.Execute',
        title: 'Approve',
        verb: 'approval.approve',
        data: { id: 'apr_0123456789abcdef' },
        style: 'destructive',
      },
      { type: 'Action.Execute', title: 'Deny', verb: 'approval.deny', data: { id: 'apr_0123456789abcdef' } },
    ]);
    expect(renderApprovalCard(cards.confirm!).card.actions?.map((a) => a.title)).toEqual(['Confirm', 'Cancel']);
    for (const state of ['succeeded', 'denied', 'expired', 'hostile']) {
      expect(renderApprovalCard(cards[state]!).card.actions).toBeUndefined();
    }
  });

  it('names people by display name when known, by id otherwise, and says the outcome', () => {
    const m = renderApprovalCard(cards.succeeded!, { nameOf: (id) => names[id] });
    expect(allText(m)).toContain('Asked by: Alice Example');
    expect(allText(m)).toContain('✅ Approved by Bob Approver at 09:30 UTC — done: rebuilt in 1,234 ms');
    expect(m.summary).toBe(
      'Approval needed: Rebuild SQLite on prod — Approved by Bob Approver at 09:30 UTC — done: rebuilt in 1,234 ms',
    );
    expect(allText(renderApprovalCard(cards.succeeded!))).toContain(`Asked by: ${ALICE}`);
  });

  it('keeps hostile text plain (TextRuns only, no TextBlock, no mention entities)', () => {
    const m = renderApprovalCard(cards.hostile!);
    expect(elements(m.card).filter((e) => e.type === 'TextBlock')).toEqual([]);
    expect(allText(m)).toContain('changes [click](https://evil.example) **bold** <at>Everyone</at>');
    expect(JSON.stringify(m.card)).not.toContain('"entities"');
  });
});

const incidentMessages: Record<string, IncidentMessage> = {
  'incident-root': {
    kind: 'root',
    card: {
      incidentId: 'inc_0f1e2d3c',
      source: 'pagerduty',
      status: 'acknowledged',
      title: 'Corvo Production: SQLite mirror diverged',
      number: 1234,
      priority: 'P1',
      urgency: 'high',
      service: 'Corvo Production',
      assignees: ['Dana Oncall'],
      url: 'https://acme.pagerduty.com/incidents/Q1ABC',
      acknowledgedBy: 'Dana Oncall',
      runbook: 'Corvo prod: health, sqlite-diverged',
    },
  },
  'incident-resolved': {
    kind: 'root',
    card: {
      incidentId: 'inc_0f1e2d3c',
      source: 'alertmanager',
      status: 'resolved',
      title: 'CircuitBreakerOpen <script>& [x](javascript:alert(1))',
      assignees: [],
      url: 'javascript:alert(1)',
      durationMs: 1_883_000,
      replacesDeletedRoot: true,
    },
  },
  'incident-note': { kind: 'note', note: { status: 'acknowledged', text: 'Acknowledged by Dana Oncall' } },
  'incident-storm': {
    kind: 'storm-summary',
    summary: {
      count: 37,
      byService: [{ service: 'Corvo Production', count: 37 }],
      windowMs: 60_000,
      command: '/runbook incidents',
    },
  },
};

describe('renderIncidentCard', () => {
  it.each(Object.entries(incidentMessages))(
    '%s matches its golden file and is a card Teams accepts',
    async (name, msg) => {
      const m = renderIncidentCard(msg);
      expect(validateTeamsActivity(cardActivity(m))).toEqual([]);
      await expectGolden(`${name}.golden.json`, json(m));
    },
  );

  it('links to the incident only for an http(s) URL', () => {
    expect(renderIncidentCard(incidentMessages['incident-root']!).card.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Open in PagerDuty', url: 'https://acme.pagerduty.com/incidents/Q1ABC' },
    ]);
    expect(renderIncidentCard(incidentMessages['incident-resolved']!).card.actions).toBeUndefined();
  });
});

describe('renderTextMessage', () => {
  it('escapes markup, keeps line breaks and turns Slack emoji codes into characters', () => {
    expect(renderTextMessage(':warning: a <b>&\nb')).toEqual({
      type: 'message',
      textFormat: 'xml',
      text: '⚠️ a &lt;b&gt;&amp;<br>b',
    });
  });

  it('@mentions the user a refusal is for', () => {
    expect(renderTextMessage("You can't approve your own request.", { id: '29:1alice', name: 'Alice <A>' })).toEqual({
      type: 'message',
      textFormat: 'xml',
      text: "<at>Alice &lt;A&gt;</at> You can't approve your own request.",
      entities: [
        { type: 'mention', text: '<at>Alice &lt;A&gt;</at>', mentioned: { id: '29:1alice', name: 'Alice <A>' } },
      ],
    });
  });
});
