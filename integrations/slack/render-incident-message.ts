import type { KnownBlock, MrkdwnElement } from '@slack/types';
import {
  badgeOf,
  describeIncidentStatus,
  describeWindow,
  formatClock,
  incidentActionLabel,
  type IncidentBadge,
  type IncidentCard,
  type IncidentMessage,
  type StormSummary,
} from '../../src/core/incident.js';
import { BLOCK_KIT_LIMITS, escapeMrkdwn, mrkdwnText, plainText, toOneLine, truncateText } from './block-kit-limits.js';
import type { SlackMessage } from './slack-message.js';

const BADGE_EMOJI: Record<IncidentBadge, string> = {
  red: ':red_circle:',
  amber: ':large_orange_circle:',
  green: ':large_green_circle:',
};

/** `action_id` of an incident root's buttons: `incident:acknowledge`, `incident:silence-1h`, … */
export const INCIDENT_ACTION_PREFIX = 'incident:';

const SOURCE_NAME = { pagerduty: 'PagerDuty', alertmanager: 'Alertmanager' } as const;

/** Escaped, one-line, capped mrkdwn of text that came from an alert source. */
function esc(text: string, max: number): string {
  return truncateText(escapeMrkdwn(toOneLine(text)), max, { mrkdwn: true });
}

/** A link only for http(s) URLs without characters that would break Slack's `<url|text>` syntax. */
function link(url: string | undefined, text: string): string | undefined {
  if (!url || !/^https?:\/\/[^\s<>|]+$/.test(url) || url.length > 2000) return undefined;
  return `<${url.replace(/&/g, '&amp;')}|${escapeMrkdwn(text)}>`;
}

function field(label: string, value: string | undefined): MrkdwnElement | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return mrkdwnText(`*${label}*\n${esc(value, 300)}`, 2000);
}

function renderRoot(card: IncidentCard): SlackMessage {
  const emoji = BADGE_EMOJI[badgeOf(card.status)];
  const status = describeIncidentStatus(card);
  const number = card.number !== undefined ? `#${card.number} ` : '';
  const fields = [
    field('Priority', card.priority),
    field('Urgency', card.urgency),
    field('Service', card.service),
    field('Assignee', card.assignees.length ? card.assignees.join(', ') : undefined),
  ].filter((f): f is MrkdwnElement => f !== undefined);
  const statusSection: KnownBlock = {
    type: 'section',
    text: mrkdwnText(`${emoji} *${esc(status, 300)}*`),
    ...(fields.length ? { fields } : {}),
  };
  const linkLine = link(card.url, `Open in ${SOURCE_NAME[card.source]}`);
  const context = [
    `${SOURCE_NAME[card.source]} incident`,
    escapeMrkdwn(card.incidentId),
    card.runbook ? `runbook: ${esc(card.runbook, 300)}` : 'no runbook routed',
  ];
  const blocks: KnownBlock[] = [
    { type: 'header', text: plainText(`${emoji} ${toOneLine(`${number}${card.title}`)}`, BLOCK_KIT_LIMITS.headerText) },
    statusSection,
  ];
  if (linkLine) blocks.push({ type: 'section', text: mrkdwnText(linkLine) });
  if (card.silence) {
    blocks.push({
      type: 'section',
      text: mrkdwnText(`:mute: Silenced by ${esc(card.silence.by, 200)} until ${formatClock(card.silence.until)}`),
    });
  }
  if (card.actions && card.actions.length > 0) {
    // Each button carries only the incident id; the action id says what it does (slack-ingress routes it).
    blocks.push({
      type: 'actions',
      block_id: 'incident-actions',
      elements: card.actions.map((kind) => ({
        type: 'button' as const,
        action_id: `${INCIDENT_ACTION_PREFIX}${kind}`,
        text: plainText(incidentActionLabel(kind), BLOCK_KIT_LIMITS.buttonText),
        value: kind === 'unsilence' && card.silence ? `${card.incidentId}--${card.silence.recordId}` : card.incidentId,
        ...(kind === 'acknowledge' ? { style: 'primary' as const } : {}),
      })),
    });
  }
  if (card.replacesDeletedRoot) {
    blocks.push({
      type: 'context',
      elements: [mrkdwnText('_This message replaces the incident’s earlier root message, which was deleted._')],
    });
  }
  blocks.push({ type: 'context', elements: [mrkdwnText(context.join(' · '))] });
  const text = toOneLine(
    `${emoji} ${status.toUpperCase()}${card.priority ? ` · ${card.priority}` : ''} · ${number}${card.title}`,
  );
  return { text: truncateText(escapeMrkdwn(text), BLOCK_KIT_LIMITS.fallbackText, { mrkdwn: true }), blocks };
}

function renderSummary(summary: StormSummary): SlackMessage {
  const n = summary.count;
  const services =
    summary.byService.length === 1
      ? ` for *${esc(summary.byService[0]!.service, 200)}*`
      : summary.byService.length > 1
        ? ` (${summary.byService
            .slice(0, 5)
            .map((s) => `${esc(s.service, 100)} ${s.count}`)
            .join(', ')}${summary.byService.length > 5 ? `, ${summary.byService.length - 5} more services` : ''})`
        : '';
  const line = `:rotating_light: *${n} more incident${n === 1 ? '' : 's'}*${services} in ${describeWindow(summary.windowMs)} — see \`${escapeMrkdwn(summary.command)}\``;
  return {
    text: truncateText(line.replace(/\*/g, ''), BLOCK_KIT_LIMITS.fallbackText, { mrkdwn: true }),
    blocks: [
      { type: 'section', text: mrkdwnText(line) },
      {
        type: 'context',
        elements: [
          mrkdwnText(
            'Storm control: these incidents are recorded but get no thread of their own, so the channel stays readable.',
          ),
        ],
      },
    ],
  };
}

/** Slack Block Kit for an incident root, a thread note or a storm summary. Pure; escapes everything from the source. */
export function renderIncidentMessage(message: IncidentMessage): SlackMessage {
  if (message.kind === 'root') return renderRoot(message.card);
  if (message.kind === 'storm-summary') return renderSummary(message.summary);
  const line = `${BADGE_EMOJI[badgeOf(message.note.status)]} ${esc(message.note.text, 2500)}`;
  const button = message.note.button;
  return {
    text: truncateText(line, BLOCK_KIT_LIMITS.fallbackText, { mrkdwn: true }),
    blocks: [
      { type: 'section', text: mrkdwnText(line) },
      ...(button
        ? [
            {
              type: 'actions' as const,
              block_id: 'incident-note-actions',
              elements: [
                {
                  type: 'button' as const,
                  action_id: `${INCIDENT_ACTION_PREFIX}${button.action}`,
                  text: plainText(button.label, BLOCK_KIT_LIMITS.buttonText),
                  value: button.value,
                  style: 'primary' as const,
                },
              ],
            },
          ]
        : []),
    ],
  };
}
