import { describe, expect, it } from 'vitest';
import { goldenChecker } from '../../test/support/golden.js';
import type { IncidentCard, IncidentMessage } from '../../src/core/incident.js';
import { renderIncidentMessageText } from '../../src/core/incident.js';
import { BLOCK_KIT_LIMITS } from './block-kit-limits.js';
import { renderIncidentMessage } from './render-incident-message.js';

const expectGolden = goldenChecker(import.meta.url);

const triggered: IncidentCard = {
  incidentId: 'inc_0123456789abcdef01234567',
  source: 'pagerduty',
  status: 'triggered',
  title: 'Corvo Production — SQLite mirror dropping updates',
  number: 4812,
  priority: 'P1',
  urgency: 'high',
  service: 'Corvo Production',
  assignees: ['Dana Oncall'],
  url: 'https://acme.pagerduty.com/incidents/Q1ABCD2EFGH3IJ',
  runbook: 'Corvo prod: health, sqlite-diverged',
};
const acknowledged: IncidentCard = { ...triggered, status: 'acknowledged', acknowledgedBy: 'Dana Oncall' };
const resolved: IncidentCard = {
  ...triggered,
  status: 'resolved',
  assignees: [],
  resolvedBy: 'Dana Oncall',
  durationMs: 31 * 60_000 + 25_000,
  replacesDeletedRoot: true,
};

const json = (m: IncidentMessage) => `${JSON.stringify(renderIncidentMessage(m), null, 2)}\n`;

describe('renderIncidentMessage goldens', () => {
  it.each([
    ['incident-root-triggered', { kind: 'root', card: triggered }],
    ['incident-root-acknowledged', { kind: 'root', card: acknowledged }],
    ['incident-root-resolved', { kind: 'root', card: resolved }],
    ['incident-note', { kind: 'note', note: { status: 'acknowledged', text: 'Acknowledged by Dana Oncall' } }],
    [
      'incident-storm-summary',
      {
        kind: 'storm-summary',
        summary: {
          count: 37,
          byService: [{ service: 'Corvo Production', count: 37 }],
          windowMs: 60_000,
          command: '/runbook incidents',
        },
      },
    ],
  ] as const)('%s matches its golden file', async (name, message) => {
    await expectGolden(`${name}.golden.json`, json(message as IncidentMessage));
  });
});

describe('renderIncidentMessage', () => {
  it('shows the badge and the status line the issue asks for', () => {
    expect(renderIncidentMessage({ kind: 'root', card: triggered }).text).toBe(
      ':red_circle: TRIGGERED · P1 · #4812 Corvo Production — SQLite mirror dropping updates',
    );
    expect(JSON.stringify(renderIncidentMessage({ kind: 'root', card: acknowledged }).blocks)).toContain(
      ':large_orange_circle: *Acknowledged by Dana Oncall*',
    );
    expect(JSON.stringify(renderIncidentMessage({ kind: 'root', card: resolved }).blocks)).toContain(
      ':large_green_circle: *Resolved after 31m 25s by Dana Oncall*',
    );
  });

  it('says "37 more incidents for Corvo Production in the last minute — see /runbook incidents"', () => {
    const m = renderIncidentMessage({
      kind: 'storm-summary',
      summary: {
        count: 37,
        byService: [{ service: 'Corvo Production', count: 37 }],
        windowMs: 60_000,
        command: '/runbook incidents',
      },
    });
    expect(m.text).toBe(
      ':rotating_light: 37 more incidents for Corvo Production in the last minute — see `/runbook incidents`',
    );
  });

  it('escapes what the alert source wrote and refuses odd links', () => {
    const hostile: IncidentCard = {
      ...triggered,
      title: '<!channel> & <https://evil.example|click>',
      assignees: ['<@U0ADMIN>'],
      url: 'https://acme.pagerduty.com/incidents/x|<!here>',
    };
    const m = renderIncidentMessage({ kind: 'root', card: hostile });
    // Everything Slack parses as mrkdwn (the fallback text and mrkdwn objects); plain_text shows what it holds.
    const mrkdwn: string[] = [m.text];
    JSON.stringify(m.blocks, (_k, v: unknown) => {
      if (v && typeof v === 'object' && (v as { type?: string }).type === 'mrkdwn')
        mrkdwn.push((v as { text: string }).text);
      return v;
    });
    const all = mrkdwn.join('\n');
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<@U0ADMIN>');
    expect(all).not.toContain('<!here>');
    expect(all).not.toContain('Open in PagerDuty');
    const note = renderIncidentMessage({ kind: 'note', note: { status: 'triggered', text: 'Note: <!everyone> ping' } });
    expect(JSON.stringify(note)).toContain('&lt;!everyone&gt;');
  });

  it('stays within Block Kit limits with huge inputs', () => {
    const huge: IncidentCard = {
      ...triggered,
      title: 'T'.repeat(10_000),
      service: 'S'.repeat(10_000),
      assignees: Array.from({ length: 500 }, (_, i) => `User ${i}`),
      runbook: 'R'.repeat(10_000),
    };
    const m = renderIncidentMessage({ kind: 'root', card: huge });
    expect(m.text.length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.fallbackText);
    expect(m.blocks.length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.blocksPerMessage);
    expect(JSON.stringify(m.blocks).length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.messageChars);
    const header = m.blocks[0] as { text: { text: string } };
    expect(header.text.text.length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.headerText);
  });

  it('has a plain-text rendering for the terminal and for transports without rich messages', () => {
    expect(renderIncidentMessageText({ kind: 'root', card: resolved })).toBe(
      [
        '[GREEN] #4812 Corvo Production — SQLite mirror dropping updates',
        'Resolved after 31m 25s by Dana Oncall · priority P1 · urgency high · service Corvo Production',
        'https://acme.pagerduty.com/incidents/Q1ABCD2EFGH3IJ',
        'Runbook: Corvo prod: health, sqlite-diverged',
        '(replaces the earlier root message, which was deleted)',
      ].join('\n'),
    );
  });
});
