import type { ChatTransport } from './chat-transport.js';
import { redactDeep, redactSecrets } from './redact.js';

/**
 * `transport` with {@link redactSecrets} applied to everything it is asked to post or update: texts, reports,
 * approval cards and incident messages, before the platform renderer sees them. Each platform's transport factory
 * returns its transport through this, so no message reaches chat unredacted whoever calls it.
 */
export function withRedaction<T extends ChatTransport>(transport: T): T {
  const t = transport;
  const wrapped: ChatTransport = {
    platform: t.platform,
    postReport: (conversation, report) => t.postReport(conversation, redactDeep(report)),
    postText: (conversation, text) => t.postText(conversation, redactSecrets(text)),
    postApprovalCard: (conversation, card) => t.postApprovalCard(conversation, redactDeep(card)),
    updateApprovalCard: (message, card) => t.updateApprovalCard(message, redactDeep(card)),
    postEphemeral: (conversation, userId, text) => t.postEphemeral(conversation, userId, redactSecrets(text)),
    ...(t.postIncidentMessage
      ? {
          postIncidentMessage: (conversation, message) => t.postIncidentMessage!(conversation, redactDeep(message)),
        }
      : {}),
    ...(t.updateIncidentMessage
      ? { updateIncidentMessage: (posted, message) => t.updateIncidentMessage!(posted, redactDeep(message)) }
      : {}),
    ...(t.groupMembers ? { groupMembers: (group) => t.groupMembers!(group) } : {}),
    ...(t.userEmail ? { userEmail: (userId, conversation) => t.userEmail!(userId, conversation) } : {}),
    ...(t.permalink ? { permalink: (posted) => t.permalink!(posted) } : {}),
  };
  // Extra members of a concrete transport (Slack's `client`) stay reachable.
  return Object.assign(Object.create(null) as object, transport, wrapped) as T;
}
