import type pg from 'pg';
import type { ApprovalCard } from '../../src/core/approval-card.js';
import {
  MessageNotFoundError,
  PermanentDeliveryError,
  type ChatTransport,
  type PostedMessage,
} from '../../src/core/chat-transport.js';
import type { IncidentMessage } from '../../src/core/incident.js';
import type { Conversation } from '../../src/core/invocation.js';
import type { Logger } from '../../src/core/logger.js';
import type { Report } from '../../src/core/report.js';
import { withRedaction } from '../../src/core/redacting-transport.js';
import { cardActivity, type TeamsCardMessage } from './adaptive-card.js';
import { renderApprovalCard } from './render-approval-card.js';
import { renderIncidentCard } from './render-incident-card.js';
import { renderReportCard } from './render-report-card.js';
import { renderTextMessage } from './render-text-message.js';
import type { TeamsConversationReference } from './teams-activity.js';
import { ConnectorError, type Connector, type ConnectorActivity } from './teams-connector.js';
import {
  conversationKeyOf,
  isChannelConversation,
  postingConversationId,
  splitConversationId,
} from './teams-conversation.js';
import { findConversationReference, findTeamsUsers, saveCard } from './teams-store.js';

/** A Teams call failed for a reason a retry will not fix (bad request, forbidden, unknown conversation). */
export class TeamsPermanentError extends PermanentDeliveryError {
  constructor(message: string) {
    super(message);
    this.name = 'TeamsPermanentError';
  }
}

/** A Teams channel from the config (`channels.<name>.teams`): where alert threads go before anyone talked there. */
export interface ConfiguredTeamsChannel {
  readonly conversationId: string;
  readonly serviceUrl: string;
  readonly tenantId?: string;
}

export interface TeamsTransportOptions {
  readonly db: pg.Pool;
  readonly connector: Connector;
  readonly configuredChannels: readonly ConfiguredTeamsChannel[];
  /** The bot's account id when no conversation reference names it: `28:<MICROSOFT_APP_ID>`. */
  readonly botId: string;
  readonly logger: Logger;
}

/**
 * Posting to Teams from the worker: renders with the Teams renderers and talks to the Bot Connector REST API at the
 * conversation's stored `serviceUrl` (conversation references in Postgres, saved by the web process from every
 * inbound activity). Replies in a channel thread go to `<conversation>;messageid=<root>`; a top-level post in a
 * channel starts a new thread with `POST v3/conversations`; cards are replaced in place with `PUT …/activities/{id}`.
 * Teams has no ephemeral messages for bots in channels, so a message "for one user" (a refusal) is a reply that
 * @mentions them. Texts are escaped by {@link renderTextMessage}, card text goes only into plain `TextRun`s, and
 * secrets are redacted from everything (`withRedaction`).
 */
export function createTeamsTransport(o: TeamsTransportOptions): ChatTransport {
  return withRedaction(createRawTeamsTransport(o));
}

function createRawTeamsTransport(o: TeamsTransportOptions): ChatTransport {
  const configured = new Map(o.configuredChannels.map((c) => [conversationKeyOf(c.conversationId), c]));

  async function referenceOf(key: string): Promise<TeamsConversationReference> {
    const stored = await findConversationReference(o.db, key);
    if (stored) return stored;
    const c = configured.get(key);
    if (c) {
      o.logger.debug(
        { platform: 'teams', channel: key },
        'no stored conversation reference; using the configured channel',
      );
      const { base } = splitConversationId(c.conversationId);
      return {
        key,
        conversationId: base,
        serviceUrl: c.serviceUrl,
        ...(c.tenantId ? { tenantId: c.tenantId } : {}),
        conversationType: isChannelConversation(base) ? 'channel' : 'groupChat',
        botId: o.botId,
      };
    }
    throw new TeamsPermanentError(
      'no conversation reference for this Teams conversation: install the bot there (or add the channel under channels.<name>.teams)',
    );
  }

  async function call<T>(fn: () => Promise<T>, o2: { updating?: boolean } = {}): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ConnectorError)) throw err;
      if (o2.updating && err.status === 404) throw new MessageNotFoundError();
      if (err.transient) throw err;
      throw new TeamsPermanentError(err.message);
    }
  }

  async function post(conversation: Conversation, activity: ConnectorActivity): Promise<PostedMessage> {
    const ref = await referenceOf(conversation.channelId);
    const channel = isChannelConversation(ref.conversationId, ref.conversationType);
    if (channel && !conversation.threadId) {
      // A new thread in the channel; its root message id comes back as `activityId` (platforms.md §2.4).
      const res = await call(() =>
        o.connector.createConversation(ref.serviceUrl, {
          isGroup: true,
          bot: { id: ref.botId, ...(ref.botName ? { name: ref.botName } : {}) },
          channelData: {
            channel: { id: ref.conversationId },
            ...(ref.tenantId ? { tenant: { id: ref.tenantId } } : {}),
          },
          ...(ref.tenantId ? { tenantId: ref.tenantId } : {}),
          activity,
        }),
      );
      const messageId = res.activityId ?? (res.id ? splitConversationId(res.id).messageId : undefined);
      if (!messageId) throw new Error('Teams createConversation answered without the new message id');
      return { channelId: conversation.channelId, messageId };
    }
    const target = postingConversationId(ref.conversationId, conversation.threadId, channel);
    const res = await call(() => o.connector.sendToConversation(ref.serviceUrl, target, activity));
    if (!res.id) throw new Error('Teams sendToConversation answered without the message id');
    return {
      channelId: conversation.channelId,
      messageId: res.id,
      ...(channel && conversation.threadId ? { threadId: conversation.threadId } : {}),
    };
  }

  async function update(posted: PostedMessage, activity: ConnectorActivity): Promise<void> {
    const ref = await referenceOf(posted.channelId);
    const channel = isChannelConversation(ref.conversationId, ref.conversationType);
    // A channel message lives in its thread: the thread it was posted in, or its own when it is a root.
    const target = postingConversationId(ref.conversationId, posted.threadId ?? posted.messageId, channel);
    await call(() => o.connector.updateActivity(ref.serviceUrl, target, posted.messageId, activity), {
      updating: true,
    });
  }

  async function postCard(conversation: Conversation, message: TeamsCardMessage): Promise<PostedMessage> {
    const posted = await post(conversation, cardActivity(message));
    // The answer to a click on this card's buttons (Action.Execute invoke) is the card as it is now.
    await saveCard(o.db, conversation.channelId, posted.messageId, message.card);
    return posted;
  }

  async function approvalMessage(card: ApprovalCard): Promise<TeamsCardMessage> {
    const ids = [card.requestedBy, ...(card.decidedBy ? [card.decidedBy] : [])];
    const users = await findTeamsUsers(o.db, ids);
    return renderApprovalCard(card, { nameOf: (id) => users.get(id)?.name });
  }

  return {
    platform: 'teams',
    postReport(conversation: Conversation, report: Report) {
      // A button carries only the stored offer's opaque id; an action without one renders as text.
      return postCard(conversation, renderReportCard(report, { actionId: (action) => action.offerId }));
    },
    postText(conversation: Conversation, text: string) {
      return post(conversation, renderTextMessage(text));
    },
    async postApprovalCard(conversation: Conversation, card: ApprovalCard) {
      return postCard(conversation, await approvalMessage(card));
    },
    async updateApprovalCard(message: PostedMessage, card: ApprovalCard) {
      const rendered = await approvalMessage(card);
      await update(message, cardActivity(rendered));
      await saveCard(o.db, message.channelId, message.messageId, rendered.card);
    },
    async userEmail(userId: string, conversation: Conversation) {
      // userId is the Entra object id (actorOf); Teams looks members up by it, in the team for a channel.
      if (!o.connector.getMember) return undefined;
      const ref = await referenceOf(conversation.channelId);
      const member = await call(() => o.connector.getMember!(ref.serviceUrl, ref.teamId ?? ref.conversationId, userId));
      // Map by email, fall back to the UPN (platforms-2.md §6.1); anonymous guests have neither.
      return member?.email || member?.userPrincipalName || undefined;
    },
    async postEphemeral(conversation: Conversation, userId: string, text: string) {
      const user = (await findTeamsUsers(o.db, [userId])).get(userId);
      const mention = user?.name ? { id: user.teamsUserId, name: user.name } : undefined;
      await post(conversation, renderTextMessage(text, mention));
    },
    postIncidentMessage(conversation: Conversation, message: IncidentMessage) {
      return post(conversation, cardActivity(renderIncidentCard(message)));
    },
    async updateIncidentMessage(posted: PostedMessage, message: IncidentMessage) {
      await update(posted, cardActivity(renderIncidentCard(message)));
    },
  };
}
