import {
  badgeOf,
  describeIncidentStatus,
  describeStormSummary,
  formatClock,
  incidentActionLabel,
  type IncidentActionKind,
  type IncidentBadge,
  type IncidentCard,
  type IncidentMessage,
} from '../../src/core/incident.js';
import {
  adaptiveCard,
  type CardElement,
  richText,
  TEAMS_LIMITS,
  textRun,
  toOneLine,
  truncateText,
  type TeamsCardMessage,
} from './adaptive-card.js';

const BADGE: Record<IncidentBadge, string> = { red: '🔴', amber: '🟠', green: '🟢' };
const STYLE: Record<IncidentBadge, string> = { red: 'attention', amber: 'warning', green: 'good' };
const SOURCE_NAME = { pagerduty: 'PagerDuty', alertmanager: 'Alertmanager' } as const;

/** `Action.Execute` verb of an incident button (teams-activity.ts parses it back): `incident.acknowledge`, … */
export const INCIDENT_VERB_PREFIX = 'incident.';
/** The Add note input's id: its value arrives in the invoke's `data` under this key. */
export const NOTE_INPUT_ID = 'noteText';

/** One incident button: `Action.Execute` with the incident id (and the silence record for Unsilence) as data. */
function incidentButton(card: IncidentCard, kind: IncidentActionKind): CardElement {
  const id = kind === 'unsilence' && card.silence ? `${card.incidentId}--${card.silence.recordId}` : card.incidentId;
  if (kind === 'note') {
    // Add note: an inline text box (Action.ShowCard) whose Add button sends the text with the click.
    return {
      type: 'Action.ShowCard',
      title: incidentActionLabel(kind),
      card: {
        type: 'AdaptiveCard',
        body: [
          {
            type: 'Input.Text',
            id: NOTE_INPUT_ID,
            label: 'Note for the PagerDuty incident (posted as you)',
            isMultiline: true,
            maxLength: 2000,
            isRequired: true,
            errorMessage: 'Write a note first.',
          },
        ],
        actions: [{ type: 'Action.Execute', title: 'Add note', verb: `${INCIDENT_VERB_PREFIX}note`, data: { id } }],
      },
    };
  }
  return {
    type: 'Action.Execute',
    title: incidentActionLabel(kind),
    verb: `${INCIDENT_VERB_PREFIX}${kind}`,
    data: { id },
    // Inputs of other buttons' cards are not submitted with this one.
    associatedInputs: 'none',
    ...(kind === 'acknowledge' ? { style: 'positive' } : {}),
  };
}

/** One line of alert-source text, capped. */
const one = (text: string, max: number) => truncateText(toOneLine(text), max);

function renderRoot(card: IncidentCard): TeamsCardMessage {
  const badge = badgeOf(card.status);
  const status = describeIncidentStatus(card);
  const number = card.number !== undefined ? `#${card.number} ` : '';
  const facts: [string, string | undefined][] = [
    ['Priority', card.priority],
    ['Urgency', card.urgency],
    ['Service', card.service],
    ['Assignee', card.assignees.length ? card.assignees.join(', ') : undefined],
  ];
  const body: CardElement[] = [
    richText([textRun(one(`${BADGE[badge]} ${number}${card.title}`, 300), { size: 'Large', weight: 'Bolder' })]),
    {
      type: 'Container',
      style: STYLE[badge],
      items: [
        richText([textRun(one(status, 300), { weight: 'Bolder' })]),
        ...facts
          .filter((f): f is [string, string] => f[1] !== undefined && f[1].trim() !== '')
          .map(([label, value]) =>
            richText([textRun(`${label}: `, { weight: 'Bolder' }), textRun(one(value, 300))], { spacing: 'None' }),
          ),
      ],
    },
  ];
  if (card.silence) {
    body.push(
      richText([textRun(one(`🔇 Silenced by ${card.silence.by} until ${formatClock(card.silence.until)}`, 300))], {
        spacing: 'Small',
      }),
    );
  }
  if (card.replacesDeletedRoot) {
    body.push(
      richText(
        [textRun('This message replaces the incident’s earlier root message, which was deleted.', { italic: true })],
        { spacing: 'Small' },
      ),
    );
  }
  body.push(
    richText(
      [
        textRun(
          [
            `${SOURCE_NAME[card.source]} incident`,
            card.incidentId,
            card.runbook ? `runbook: ${one(card.runbook, 300)}` : 'no runbook routed',
          ].join(' · '),
          { size: 'Small', isSubtle: true },
        ),
      ],
      { spacing: 'Small' },
    ),
  );
  // A link only for plain http(s) URLs.
  // The incident buttons sit in their own ActionSet (Teams shows at most 5 actions per set; the link stays below).
  if (card.actions && card.actions.length > 0) {
    body.push({ type: 'ActionSet', actions: card.actions.slice(0, 5).map((kind) => incidentButton(card, kind)) });
  }
  const actions: CardElement[] = [
    ...(card.url && /^https?:\/\/[^\s<>"]+$/.test(card.url) && card.url.length <= 2000
      ? [{ type: 'Action.OpenUrl', title: `Open in ${SOURCE_NAME[card.source]}`, url: card.url }]
      : []),
  ];
  const summary = `${BADGE[badge]} ${status.toUpperCase()}${card.priority ? ` · ${card.priority}` : ''} · ${number}${card.title}`;
  return { card: adaptiveCard(body, actions), summary: one(summary, TEAMS_LIMITS.summary) };
}

/**
 * An incident root (updated in place as the incident moves), a one-line thread note, or a storm summary, as an
 * Adaptive Card 1.5. Pure; every text from the alert source goes in plain `TextRun`s.
 */
export function renderIncidentCard(message: IncidentMessage): TeamsCardMessage {
  if (message.kind === 'root') return renderRoot(message.card);
  if (message.kind === 'storm-summary') {
    const line = `🚨 ${describeStormSummary(message.summary)}`;
    return {
      card: adaptiveCard([
        richText([textRun(one(line, 1000), { weight: 'Bolder' })]),
        richText(
          [
            textRun(
              'Storm control: these incidents are recorded but get no thread of their own, so the channel stays readable.',
              { size: 'Small', isSubtle: true },
            ),
          ],
          { spacing: 'Small' },
        ),
      ]),
      summary: one(line, TEAMS_LIMITS.summary),
    };
  }
  const line = `${BADGE[badgeOf(message.note.status)]} ${one(message.note.text, 2500)}`;
  const button = message.note.button;
  const actions: CardElement[] = button
    ? [
        {
          type: 'Action.Execute',
          title: button.label,
          verb: `${INCIDENT_VERB_PREFIX}${button.action}`,
          data: { id: button.value },
          style: 'positive',
        },
      ]
    : [];
  return { card: adaptiveCard([richText([textRun(line)])], actions), summary: one(line, TEAMS_LIMITS.summary) };
}
