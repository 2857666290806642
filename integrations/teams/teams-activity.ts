/**
 * Inbound Bot Framework activities from Teams: the zod schema of the fields we rely on, and the pure translation
 * into our core types (a command, a button click, or a conversation to remember). No botbuilder types here.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ChatInteraction } from '../../src/core/interaction.js';
import type { Actor, Conversation } from '../../src/core/invocation.js';
import { conversationKeyOf, conversationOf, isChannelConversation, splitConversationId } from './teams-conversation.js';

const ChannelAccountSchema = z.looseObject({
  id: z.string().min(1).max(500),
  name: z.string().max(500).optional(),
  /** Entra (AAD) object id of a user: the stable id approvals use (`teams:<aadObjectId>`). */
  aadObjectId: z.string().max(100).optional(),
});

const EntitySchema = z.looseObject({
  type: z.string().max(100),
  text: z.string().max(1000).optional(),
  mentioned: z.looseObject({ id: z.string().max(500), name: z.string().max(500).optional() }).optional(),
});

/** The fields of an activity we rely on (Bot Framework Activity schema); everything else passes through unread. */
export const TeamsActivitySchema = z.looseObject({
  type: z.string().min(1).max(100),
  id: z.string().min(1).max(500).optional(),
  /** Where replies go. Checked against the token's `serviceurl` claim when JWTs are on. */
  serviceUrl: z
    .string()
    .max(500)
    .regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL'),
  channelId: z.string().min(1).max(100),
  from: ChannelAccountSchema,
  recipient: ChannelAccountSchema,
  conversation: z.looseObject({
    id: z.string().min(1).max(1000),
    conversationType: z.string().max(50).optional(),
    tenantId: z.string().max(100).optional(),
    isGroup: z.boolean().optional(),
  }),
  channelData: z
    .looseObject({
      tenant: z.looseObject({ id: z.string().max(100).optional() }).optional(),
      team: z.looseObject({ id: z.string().max(500).optional() }).optional(),
      channel: z.looseObject({ id: z.string().max(500).optional() }).optional(),
    })
    .optional(),
  text: z.string().max(40_000).optional(),
  entities: z.array(EntitySchema).max(200).optional(),
  name: z.string().max(200).optional(),
  value: z.unknown().optional(),
  // The worker's job schema takes at most 200: a longer id would be queued and then fail there, silently.
  replyToId: z.string().max(200).optional(),
  membersAdded: z.array(ChannelAccountSchema).max(1000).optional(),
});
export type TeamsActivity = z.infer<typeof TeamsActivitySchema>;

/** `adaptiveCard/action` invoke value (platforms.md §2.5). The data carries one opaque id, nothing else. */
const AdaptiveCardActionSchema = z.looseObject({
  action: z.looseObject({
    type: z.literal('Action.Execute'),
    verb: z.string().max(100),
    data: z.looseObject({
      id: z.string().regex(/^[A-Za-z0-9_-]{1,150}$/),
      /** The Add note input (render-incident-card.ts NOTE_INPUT_ID), when the button is Add note. */
      noteText: z.string().max(10_000).optional(),
    }),
  }),
});

/** Verbs of our `Action.Execute` buttons (render-report-card.ts, render-approval-card.ts). */
export const VERBS = {
  offer: 'runbook.offer',
  approve: 'approval.approve',
  deny: 'approval.deny',
} as const;

/** Verbs of the incident buttons (render-incident-card.ts) and the silence preview's Confirm. */
const INCIDENT_VERB =
  /^incident\.(acknowledge|resolve|escalate|reassign|note|silence-1h|silence-4h|silence-24h|unsilence|silence-confirm)$/;
/** An incident button's data id: the incident id, or `<incident id>--<silence record id>`. */
const INCIDENT_ID = /^(inc_[0-9a-f]{1,64})(?:--(sil_[0-9a-f]{1,64}))?$/;

/** What a Teams conversation needs for the worker to post into it later (stored in Postgres, not in job data). */
export interface TeamsConversationReference {
  /** `Conversation.channelId`: the conversation id, or its digest when longer than 200 characters. */
  readonly key: string;
  /** The conversation id without any `;messageid=` thread part. */
  readonly conversationId: string;
  readonly serviceUrl: string;
  readonly tenantId?: string;
  /** `personal`, `groupChat` or `channel`. */
  readonly conversationType?: string;
  /** The team's id (`channelData.team.id`) for channels. */
  readonly teamId?: string;
  /** The bot's own account in this conversation (`28:<app id>`). */
  readonly botId: string;
  readonly botName?: string;
}

/** A Teams user as last seen: for mentions in replies (refusals) and names on cards. */
export interface TeamsUser {
  readonly aadObjectId: string;
  /** The Teams user id (`29:…`). */
  readonly teamsUserId: string;
  readonly name?: string;
  readonly tenantId?: string;
}

/** What an inbound activity asks of the bot. */
export type TeamsInbound =
  | {
      readonly kind: 'command';
      readonly command: string;
      readonly text: string;
      readonly actor: Actor;
      readonly conversation: Conversation;
      readonly deliveryKey: string;
    }
  /** A bare mention, or `help`: the list of commands. */
  | { readonly kind: 'overview' }
  | { readonly kind: 'interaction'; readonly interaction: ChatInteraction }
  /** An invoke we answer without doing anything (unknown verb, no user identity): the message says why. */
  | { readonly kind: 'refused-invoke'; readonly status: number; readonly message: string }
  /** An invoke of another kind (not `adaptiveCard/action`). */
  | { readonly kind: 'unsupported-invoke' }
  | { readonly kind: 'ignored' };

/** The conversation reference to remember from any inbound activity. */
export function referenceOf(a: TeamsActivity): TeamsConversationReference {
  const { base } = splitConversationId(a.conversation.id);
  const tenantId = a.conversation.tenantId ?? a.channelData?.tenant?.id;
  const type =
    a.conversation.conversationType ??
    (isChannelConversation(base) ? 'channel' : a.conversation.isGroup ? 'groupChat' : undefined);
  return {
    key: conversationKeyOf(base),
    conversationId: base,
    serviceUrl: a.serviceUrl,
    ...(tenantId ? { tenantId } : {}),
    ...(type ? { conversationType: type } : {}),
    ...(a.channelData?.team?.id ? { teamId: a.channelData.team.id } : {}),
    botId: a.recipient.id,
    ...(a.recipient.name ? { botName: a.recipient.name } : {}),
  };
}

/** The user behind an activity, when Teams says who (`from.aadObjectId`). */
export function userOf(a: TeamsActivity): TeamsUser | undefined {
  if (!a.from.aadObjectId) return undefined;
  const tenantId = a.conversation.tenantId ?? a.channelData?.tenant?.id;
  return {
    aadObjectId: a.from.aadObjectId,
    teamsUserId: a.from.id,
    ...(a.from.name ? { name: a.from.name } : {}),
    ...(tenantId ? { tenantId } : {}),
  };
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&nbsp;': ' ',
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&apos;': "'",
};

/**
 * The command line of a message: the bot's own @mention removed (the mention entities whose `mentioned.id` is the
 * bot, platforms.md §2.6), Teams' HTML tags dropped, entities decoded, whitespace collapsed.
 */
export function commandLineOf(a: TeamsActivity): { text: string; mentioned: boolean } {
  let text = a.text ?? '';
  let mentioned = false;
  for (const e of a.entities ?? []) {
    if (e.type !== 'mention' || e.mentioned?.id !== a.recipient.id || !e.text) continue;
    if (text.includes(e.text)) mentioned = true;
    text = text.split(e.text).join(' ');
  }
  text = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(nbsp|amp|lt|gt|quot|#39|apos);/g, (m) => ENTITIES[m] ?? m)
    .replace(/[\s\u00a0\u200b]+/g, ' ')
    .trim();
  return { text, mentioned };
}

/** Same click, same key: a redelivered activity maps onto the job already queued. [A-Za-z0-9_-] only. */
export function deliveryKeyOf(a: TeamsActivity): string {
  return createHash('sha256')
    .update(`${a.conversation.id}\0${a.id ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}

function actorOf(a: TeamsActivity): Actor {
  // Approvals key on the Entra object id; a sender without one (a bot, an anonymous meeting guest) keeps its
  // Teams id, which no approver entry can name.
  return { platform: 'teams', userId: a.from.aadObjectId ?? a.from.id, ...(a.from.name ? { name: a.from.name } : {}) };
}

/**
 * What an (authenticated, shape-checked) activity asks for. Commands come by @mention in channels and group chats
 * and as plain text in a personal chat; `/corvo health` and `corvo health` both work.
 */
export function parseTeamsActivity(a: TeamsActivity): TeamsInbound {
  if (a.type === 'message') {
    if (a.from.id === a.recipient.id) return { kind: 'ignored' };
    // Activities of the 2017 schema carry no conversationType: a 1:1 chat is then the one neither a group nor a channel
    // (Microsoft's own 2017 personal-message sample, test/conformance).
    const personal =
      a.conversation.conversationType === 'personal' ||
      (a.conversation.conversationType === undefined &&
        a.conversation.isGroup !== true &&
        !isChannelConversation(splitConversationId(a.conversation.id).base));
    const { text, mentioned } = commandLineOf(a);
    // In channels only @mentions reach a bot (without RSC); with RSC, unaddressed chatter is not for us.
    if (!personal && !mentioned) return { kind: 'ignored' };
    if (!a.id) return { kind: 'ignored' };
    const [first = '', ...rest] = text.split(' ');
    const command = first.replace(/^\//, '').toLowerCase();
    if (command === '' || command === 'help') return { kind: 'overview' };
    return {
      kind: 'command',
      command,
      text: rest.join(' '),
      actor: actorOf(a),
      conversation: conversationOf(a),
      // The activity id, qualified by its conversation (message ids are only unique within one).
      deliveryKey: `${a.id}@${a.conversation.id}`,
    };
  }
  if (a.type === 'invoke') {
    if (a.name !== 'adaptiveCard/action') return { kind: 'unsupported-invoke' };
    const parsed = AdaptiveCardActionSchema.safeParse(a.value);
    if (!parsed.success) return { kind: 'refused-invoke', status: 400, message: 'That button is not one of ours.' };
    if (!a.from.aadObjectId) {
      return {
        kind: 'refused-invoke',
        status: 200,
        message: 'Teams did not say who you are (no Entra object id), so the bot cannot check who may do this.',
      };
    }
    const { verb, data } = parsed.data.action;
    const base = {
      actor: actorOf(a),
      conversation: conversationOf(a),
      deliveryKey: deliveryKeyOf(a),
    };
    if (verb === VERBS.offer) return { kind: 'interaction', interaction: { kind: 'offer', offerId: data.id, ...base } };
    if (verb === VERBS.approve || verb === VERBS.deny) {
      return {
        kind: 'interaction',
        interaction: {
          kind: 'decision',
          approvalId: data.id,
          decision: verb === VERBS.approve ? 'approve' : 'deny',
          // The card the button was on (the invoke's replyToId): a decision counts only on the request's own card.
          ...(a.replyToId ? { messageId: a.replyToId } : {}),
          ...base,
        },
      };
    }
    const incident = INCIDENT_VERB.exec(verb);
    const target = INCIDENT_ID.exec(data.id);
    if (incident && target) {
      const note = (data.noteText ?? '').trim();
      if (incident[1] === 'note' && (note === '' || note.length > 2000)) {
        return {
          kind: 'refused-invoke',
          status: 200,
          message: note === '' ? 'Write a note first; nothing was sent.' : 'A note has at most 2000 characters.',
        };
      }
      return {
        kind: 'interaction',
        interaction: {
          kind: 'incident-action',
          incidentId: target[1]!,
          action: incident[1] as Extract<ChatInteraction, { kind: 'incident-action' }>['action'],
          ...(target[2] ? { silenceRecordId: target[2] } : {}),
          ...(incident[1] === 'note' ? { noteText: note } : {}),
          ...(a.replyToId ? { messageId: a.replyToId } : {}),
          ...base,
        },
      };
    }
    return { kind: 'refused-invoke', status: 400, message: 'That button is not one of ours.' };
  }
  return { kind: 'ignored' };
}
