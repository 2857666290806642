/**
 * What the Teams end-to-end suites send and read: the people, Bot Framework activities as Teams delivers them to
 * `/api/messages` (a channel post that @mentions the bot, an `Action.Execute` click) and the buttons of a card.
 */
import { randomUUID } from 'node:crypto';
import type { FakeBotConnector, FakeTeamsMessage } from '../support/fake-bot-connector.js';

export const TENANT = '72f988bf-0000-4000-8000-00000000c0de';
export const BOT = { id: '28:runbook-bot', name: 'runbook-bot' };
export const ALICE = { id: '29:1alice', name: 'Alice Requester', aadObjectId: 'a11ce000-0000-4000-8000-000000000001' };
export const BOB = { id: '29:1bob', name: 'Bob Approver', aadObjectId: 'b0b00000-0000-4000-8000-000000000002' };
export const CAROL = {
  id: '29:1carol',
  name: 'Carol Bystander',
  aadObjectId: 'ca201000-0000-4000-8000-000000000003',
};
export type TeamsUser = typeof ALICE;

/**
 * Activities in one channel of one team. `teams` is read when an activity is made (the connector starts in
 * `beforeAll`); message ids count up from `firstMessageId`.
 */
export function teamsChannel(o: {
  teams: () => FakeBotConnector;
  channel: string;
  team: string;
  firstMessageId: number;
}) {
  let nextMessageId = o.firstMessageId;
  const base = (from: TeamsUser, conversationId: string) => ({
    serviceUrl: o.teams().serviceUrl,
    channelId: 'msteams',
    from,
    recipient: BOT,
    conversation: { id: conversationId, conversationType: 'channel', tenantId: TENANT, isGroup: true },
    channelData: { tenant: { id: TENANT }, team: { id: o.team }, channel: { id: o.channel } },
  });
  return {
    base,
    /** A new channel post that @mentions the bot: Teams puts it in its own thread. */
    mentionPost(from: TeamsUser, text: string, id = String(nextMessageId++)) {
      return {
        ...base(from, `${o.channel};messageid=${id}`),
        type: 'message',
        id,
        text: `<at>runbook-bot</at> ${text}`,
        textFormat: 'plain',
        entities: [{ type: 'mention', text: '<at>runbook-bot</at>', mentioned: BOT }],
      };
    },
    /** A click on an `Action.Execute` button of the card `cardId` in thread `threadId`. */
    invoke(from: TeamsUser, threadId: string, cardId: string, verb: string, id: string) {
      return {
        ...base(from, `${o.channel};messageid=${threadId}`),
        type: 'invoke',
        name: 'adaptiveCard/action',
        id: `f:${randomUUID()}`,
        replyToId: cardId,
        value: { action: { type: 'Action.Execute', id: 'btn', verb, data: { id } }, trigger: 'manual' },
      };
    },
  };
}

export const cardText = (card: unknown): string => JSON.stringify(card);
export const textOf = (m: FakeTeamsMessage) => String(m.activity.text ?? '');

/** Every `Action.Execute` button of a card, wherever it sits. */
export function executeActions(card: unknown): { title: string; verb: string; data: { id: string } }[] {
  const out: { title: string; verb: string; data: { id: string } }[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (n === null || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (o.type === 'Action.Execute') out.push(o as never);
    Object.values(o).forEach(walk);
  };
  walk(card);
  return out;
}
