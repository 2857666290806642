import { describeCardState, type ApprovalCard } from '../../src/core/approval-card.js';
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
import { VERBS } from './teams-activity.js';

export interface RenderApprovalCardOptions {
  /**
   * Display name of a user id (Entra object id) when the bot has seen that user; unknown ids are shown as they are.
   * Names are shown as text, not as mentions: a card that changes state must not notify again at each update.
   */
  readonly nameOf?: (userId: string) => string | undefined;
}

const ICON: Record<ApprovalCard['state'], string> = {
  pending: '⏳',
  approved: '⚙️',
  executing: '⚙️',
  succeeded: '✅',
  failed: '⚠️',
  'outcome-unknown': '⚠️',
  skipped: '⚙️',
  denied: '🚫',
  expired: '🚫',
};

const cut = (text: string, max: number) => truncateText(text, max);

function line(label: string, value: string, max: number, o: { mono?: boolean } = {}): CardElement {
  return richText(
    [textRun(`${label}: `, { weight: 'Bolder' }), textRun(cut(value, max), o.mono ? { fontType: 'Monospace' } : {})],
    { spacing: 'Small' },
  );
}

/**
 * An approval request as an Adaptive Card 1.5: what will run, what it changes, why, who asked, its state, and while
 * it is pending Approve/Deny (`Action.Execute`, verbs `approval.approve` / `approval.deny`, data = the approval id
 * only). Updated in place for everyone as the request moves. Pure.
 */
export function renderApprovalCard(card: ApprovalCard, options: RenderApprovalCardOptions = {}): TeamsCardMessage {
  const name = (userId: string) => toOneLine(options.nameOf?.(userId) ?? userId) || userId;
  const verb = card.level === 'approval' ? 'Approval needed' : 'Confirm';
  const stateLine = describeCardState(card, name);
  const title = toOneLine(`${verb}: ${card.title} on ${card.target}`);
  const body: CardElement[] = [
    richText([textRun(cut(title, 200), { size: 'Large', weight: 'Bolder' })]),
    richText(
      [
        textRun('What will run: ', { weight: 'Bolder' }),
        textRun(cut(toOneLine(card.call), 300), { fontType: 'Monospace' }),
        textRun(` on ${cut(toOneLine(`${card.system}/${card.target}`), 120)}`, { weight: 'Bolder' }),
      ],
      { spacing: 'Small' },
    ),
    line('What it changes', card.effect, 1000),
    ...(card.reason ? [line('Why', card.reason, 1000)] : []),
    line('Asked by', name(card.requestedBy), 200),
    {
      type: 'Container',
      style:
        card.state === 'pending'
          ? 'emphasis'
          : card.state === 'succeeded'
            ? 'good'
            : card.state === 'failed' || card.state === 'outcome-unknown'
              ? 'warning'
              : 'default',
      separator: true,
      items: [richText([textRun(`${ICON[card.state]} ${cut(stateLine, 1500)}`, { weight: 'Bolder' })])],
    },
    richText([textRun(`request ${cut(card.approvalId, 160)}`, { size: 'Small', isSubtle: true })], {
      spacing: 'Small',
    }),
  ];
  const actions: CardElement[] =
    card.state === 'pending'
      ? [
          {
            type: 'Action.Execute',
            title: card.level === 'approval' ? 'Approve' : 'Confirm',
            verb: VERBS.approve,
            data: { id: card.approvalId },
            style: card.destructive ? 'destructive' : 'positive',
          },
          {
            type: 'Action.Execute',
            title: card.level === 'approval' ? 'Deny' : 'Cancel',
            verb: VERBS.deny,
            data: { id: card.approvalId },
          },
        ]
      : [];
  const summary = toOneLine(`${verb}: ${card.title} on ${card.target} — ${stateLine}`);
  return { card: adaptiveCard(body, actions), summary: cut(summary, TEAMS_LIMITS.summary) };
}
