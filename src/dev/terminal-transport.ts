import { renderApprovalCardText } from '../core/approval-card.js';
import type { ChatTransport, PostedMessage } from '../core/chat-transport.js';
import type { Conversation } from '../core/invocation.js';
import { renderIncidentMessageText } from '../core/incident.js';
import type { Report } from '../core/report.js';
import { renderText } from '../core/render-text.js';

/** The demo's chat: everything is printed to a stream as plain text. */
export function createTerminalTransport(
  write: (text: string) => void,
  onPosted?: (report: Report | undefined) => void,
): ChatTransport {
  let seq = 0;
  const posted = (conversation: Conversation): PostedMessage => ({
    channelId: conversation.channelId,
    messageId: String(++seq),
    threadId: conversation.threadId,
  });
  return {
    platform: 'terminal',
    async postReport(conversation, report) {
      const text = renderText(report);
      // Offered fixes: in Slack they are buttons; here the offer id is typed (`click <id>`).
      const offers = report.findings.flatMap((f) => (f.actions ?? []).filter((a) => a.offerId));
      const clickable = offers.map((a) => `  → click ${a.offerId}   (${a.label})`).join('\n');
      write(`\n${text}${clickable ? `\n${clickable}` : ''}\n`);
      onPosted?.(report);
      return posted(conversation);
    },
    async postText(conversation, text) {
      write(`\nbot> ${text}\n`);
      onPosted?.(undefined);
      return posted(conversation);
    },
    async postApprovalCard(conversation, card) {
      write(`\n${renderApprovalCardText(card)}\n`);
      onPosted?.(undefined);
      return posted(conversation);
    },
    async updateApprovalCard(_message, card) {
      write(`\n(card updated) ${renderApprovalCardText(card)}\n`);
    },
    async postIncidentMessage(conversation, message) {
      const where = conversation.threadId ? ` (thread ${conversation.threadId})` : '';
      write(`\nbot${where}> ${renderIncidentMessageText(message)}\n`);
      onPosted?.(undefined);
      return posted(conversation);
    },
    async updateIncidentMessage(message, content) {
      write(`\n(message ${message.messageId} updated) ${renderIncidentMessageText(content)}\n`);
    },
    async postEphemeral(_conversation, userId, text) {
      write(`\nbot (only ${userId})> ${text}\n`);
      onPosted?.(undefined);
    },
  };
}
