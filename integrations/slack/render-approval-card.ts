import type { KnownBlock } from '@slack/types';
import { describeCardState, type ApprovalCard } from '../../src/core/approval-card.js';
import { BLOCK_KIT_LIMITS, escapeMrkdwn, mrkdwnText, plainText, toOneLine, truncateText } from './block-kit-limits.js';
import type { SlackMessage } from './slack-message.js';

/** Action ids of the card's buttons; their value is the approval id and nothing else. */
export const APPROVE_ACTION_ID = 'approval:approve';
export const DENY_ACTION_ID = 'approval:deny';

const mention = (userId: string) => `<@${escapeMrkdwn(userId)}>`;

/** Slack Block Kit for an approval request; Approve/Deny buttons only while it is pending. Pure. */
export function renderApprovalCard(card: ApprovalCard): SlackMessage {
  const verb = card.level === 'approval' ? 'Approval needed' : 'Confirm';
  // The state line may carry a target's error text (`result`): everything but the mentions is escaped.
  const stateLine = describeCardState(card, mention, escapeMrkdwn);
  const icon =
    card.state === 'pending'
      ? ':hourglass_flowing_sand:'
      : card.state === 'succeeded'
        ? ':white_check_mark:'
        : card.state === 'failed' || card.state === 'outcome-unknown'
          ? ':warning:'
          : card.state === 'denied' || card.state === 'expired'
            ? ':no_entry_sign:'
            : ':gear:';
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: plainText(toOneLine(`${verb}: ${card.title} on ${card.target}`), BLOCK_KIT_LIMITS.headerText),
    },
    {
      type: 'section',
      text: mrkdwnText(
        [
          `*What will run:* \`${escapeMrkdwn(card.call)}\` on *${escapeMrkdwn(card.system)}/${escapeMrkdwn(card.target)}*`,
          `*What it changes:* ${escapeMrkdwn(card.effect)}`,
          card.reason ? `*Why:* ${escapeMrkdwn(card.reason)}` : undefined,
          `*Asked by:* ${mention(card.requestedBy)}`,
        ]
          .filter(Boolean)
          .join('\n'),
      ),
    },
    { type: 'section', text: mrkdwnText(`${icon} ${stateLine}`) },
  ];
  if (card.state === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: `approval:${card.approvalId}`.slice(0, BLOCK_KIT_LIMITS.blockId),
      elements: [
        {
          type: 'button',
          action_id: APPROVE_ACTION_ID,
          text: plainText(card.level === 'approval' ? 'Approve' : 'Confirm', BLOCK_KIT_LIMITS.buttonText),
          style: card.destructive ? 'danger' : 'primary',
          value: card.approvalId,
        },
        {
          type: 'button',
          action_id: DENY_ACTION_ID,
          text: plainText(card.level === 'approval' ? 'Deny' : 'Cancel', BLOCK_KIT_LIMITS.buttonText),
          value: card.approvalId,
        },
      ],
    });
  }
  blocks.push({ type: 'context', elements: [mrkdwnText(`request ${escapeMrkdwn(card.approvalId)}`)] });
  // The notification text is mrkdwn too: escaped, with user ids as plain text (a card update must not notify again).
  const fallback = escapeMrkdwn(
    toOneLine(`${verb}: ${card.title} on ${card.target} — ${describeCardState(card, (u) => u)}`),
  );
  return { text: truncateText(fallback, BLOCK_KIT_LIMITS.fallbackText, { mrkdwn: true }), blocks };
}
