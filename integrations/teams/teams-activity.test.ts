import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.js';
import { parseTeamsActivity, referenceOf, TeamsActivitySchema, userOf, type TeamsActivity } from './teams-activity.js';
import { conversationKeyOf, postingConversationId, splitConversationId } from './teams-conversation.js';
import { parseTeamsSettings } from './teams-settings.js';

const BOT = { id: '28:00000000-0000-0000-0000-00000000b07', name: 'runbook-bot' };
const ALICE = { id: '29:1alice', name: 'Alice Example', aadObjectId: '00000000-0000-0000-0000-0000000a11ce' };
const CHANNEL = '19:ops0123@thread.tacv2';
const TENANT = '11111111-2222-3333-4444-555555555555';

function activity(fields: Record<string, unknown>): TeamsActivity {
  return TeamsActivitySchema.parse({
    type: 'message',
    id: '1700000000001',
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    channelId: 'msteams',
    from: ALICE,
    recipient: BOT,
    conversation: { id: `${CHANNEL};messageid=1700000000001`, conversationType: 'channel', tenantId: TENANT },
    channelData: { tenant: { id: TENANT }, team: { id: '19:team@thread.tacv2' }, channel: { id: CHANNEL } },
    ...fields,
  });
}

const mention = { type: 'mention', text: '<at>runbook-bot</at>', mentioned: { id: BOT.id, name: BOT.name } };

describe('parseTeamsActivity: commands', () => {
  it('takes the words after the bot’s @mention in a channel, in the thread the message started', () => {
    const a = activity({ text: '<at>runbook-bot</at> corvo health --target prod', entities: [mention] });
    expect(parseTeamsActivity(a)).toEqual({
      kind: 'command',
      command: 'corvo',
      text: 'health --target prod',
      actor: { platform: 'teams', userId: ALICE.aadObjectId, name: 'Alice Example' },
      conversation: { platform: 'teams', channelId: CHANNEL, threadId: '1700000000001', teamId: TENANT },
      deliveryKey: `1700000000001@${CHANNEL};messageid=1700000000001`,
    });
  });

  it('accepts a leading slash, HTML from the compose box and entities, and ignores other mentions’ names', () => {
    const a = activity({
      text: '<p><at>runbook-bot</at>&nbsp;/Corvo&nbsp;clear &quot;emails&quot;</p>',
      entities: [mention, { type: 'clientInfo', locale: 'en-US' }],
    });
    expect(parseTeamsActivity(a)).toMatchObject({ kind: 'command', command: 'corvo', text: 'clear "emails"' });
  });

  it('takes plain text in a personal chat, with no thread', () => {
    const a = activity({
      text: 'runbook audit 5',
      conversation: { id: 'a:1personalchat', conversationType: 'personal', tenantId: TENANT },
    });
    expect(parseTeamsActivity(a)).toMatchObject({
      kind: 'command',
      command: 'runbook',
      text: 'audit 5',
      conversation: { platform: 'teams', channelId: 'a:1personalchat', teamId: TENANT },
    });
    expect((parseTeamsActivity(a) as { conversation: { threadId?: string } }).conversation.threadId).toBeUndefined();
  });

  it('answers a bare mention or "help" with the overview, and ignores channel chatter without a mention', () => {
    expect(parseTeamsActivity(activity({ text: '<at>runbook-bot</at>', entities: [mention] }))).toEqual({
      kind: 'overview',
    });
    expect(parseTeamsActivity(activity({ text: '<at>runbook-bot</at> help', entities: [mention] }))).toEqual({
      kind: 'overview',
    });
    expect(parseTeamsActivity(activity({ text: 'corvo health' }))).toEqual({ kind: 'ignored' });
    // A mention of someone else is not a mention of the bot.
    const other = { type: 'mention', text: '<at>Bob</at>', mentioned: { id: '29:1bob', name: 'Bob' } };
    expect(parseTeamsActivity(activity({ text: '<at>Bob</at> corvo health', entities: [other] }))).toEqual({
      kind: 'ignored',
    });
  });
});

describe('parseTeamsActivity: Action.Execute', () => {
  const invoke = (verb: string, data: unknown, from: Record<string, unknown> = ALICE) =>
    activity({
      type: 'invoke',
      id: 'f:invoke-1',
      name: 'adaptiveCard/action',
      from,
      replyToId: '1700000000009',
      value: { action: { type: 'Action.Execute', verb, data } },
    });

  it('turns approve/deny/offer into our interactions, keyed by the Entra object id', () => {
    const approve = parseTeamsActivity(invoke('approval.approve', { id: 'apr_1' }));
    expect(approve).toMatchObject({
      kind: 'interaction',
      interaction: {
        kind: 'decision',
        approvalId: 'apr_1',
        decision: 'approve',
        actor: { platform: 'teams', userId: ALICE.aadObjectId },
        conversation: { channelId: CHANNEL, threadId: '1700000000001' },
        // The card the button was on: the engine binds the decision to it.
        messageId: '1700000000009',
      },
    });
    const key = (approve as { interaction: { deliveryKey: string } }).interaction.deliveryKey;
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    // Same invoke redelivered: same key.
    expect(parseTeamsActivity(invoke('approval.approve', { id: 'apr_1' }))).toEqual(approve);
    expect(parseTeamsActivity(invoke('approval.deny', { id: 'apr_1' }))).toMatchObject({
      interaction: { kind: 'decision', decision: 'deny' },
    });
    expect(parseTeamsActivity(invoke('runbook.offer', { id: 'ofr_1' }))).toMatchObject({
      interaction: { kind: 'offer', offerId: 'ofr_1' },
    });
  });

  it('refuses unknown verbs, ids that are not plain ids, other invokes, and a sender without an Entra id', () => {
    expect(parseTeamsActivity(invoke('approval.force', { id: 'apr_1' }))).toMatchObject({
      kind: 'refused-invoke',
      status: 400,
    });
    expect(parseTeamsActivity(invoke('approval.approve', { id: "apr_1'; drop" }))).toMatchObject({
      kind: 'refused-invoke',
      status: 400,
    });
    expect(parseTeamsActivity(invoke('approval.approve', { id: 'apr_1' }, { id: '29:1guest' }))).toMatchObject({
      kind: 'refused-invoke',
      status: 200,
    });
    expect(parseTeamsActivity(activity({ type: 'invoke', name: 'task/fetch', value: {} }))).toEqual({
      kind: 'unsupported-invoke',
    });
  });
});

describe('conversation references and ids', () => {
  it('remembers the conversation without its thread part, with service URL, tenant, team and bot', () => {
    const a = activity({ type: 'conversationUpdate', membersAdded: [BOT] });
    expect(referenceOf(a)).toEqual({
      key: CHANNEL,
      conversationId: CHANNEL,
      serviceUrl: 'https://smba.trafficmanager.net/emea/',
      tenantId: TENANT,
      conversationType: 'channel',
      teamId: '19:team@thread.tacv2',
      botId: BOT.id,
      botName: 'runbook-bot',
    });
    expect(userOf(a)).toEqual({
      aadObjectId: ALICE.aadObjectId,
      teamsUserId: ALICE.id,
      name: 'Alice Example',
      tenantId: TENANT,
    });
  });

  it('keys very long conversation ids by a digest, and addresses channel threads with ;messageid=', () => {
    const long = `a:${'x'.repeat(300)}`;
    expect(conversationKeyOf(long)).toMatch(/^tc_[0-9a-f]{40}$/);
    expect(conversationKeyOf(CHANNEL)).toBe(CHANNEL);
    expect(splitConversationId(`${CHANNEL};messageid=42`)).toEqual({ base: CHANNEL, messageId: '42' });
    expect(postingConversationId(CHANNEL, '42', true)).toBe(`${CHANNEL};messageid=42`);
    expect(postingConversationId('19:chat@thread.v2', '42', false)).toBe('19:chat@thread.v2');
  });

  it('rejects activities without the fields we rely on', () => {
    expect(TeamsActivitySchema.safeParse({ type: 'message' }).success).toBe(false);
    expect(
      TeamsActivitySchema.safeParse({
        type: 'message',
        serviceUrl: 'file:///etc/passwd',
        channelId: 'msteams',
        from: ALICE,
        recipient: BOT,
        conversation: { id: CHANNEL },
      }).success,
    ).toBe(false);
  });
});

describe('parseTeamsSettings', () => {
  const password = new Secret('s3cret-password');
  it('turns JWT validation on whenever MICROSOFT_APP_ID is set', () => {
    expect(
      parseTeamsSettings({
        MICROSOFT_APP_ID: 'app-id',
        MICROSOFT_APP_TYPE: 'SingleTenant',
        MICROSOFT_APP_TENANT_ID: TENANT,
        MICROSOFT_APP_PASSWORD: password,
        TEAMS_ALLOW_UNAUTHENTICATED: true,
      }),
    ).toEqual({ mode: 'jwt', appId: 'app-id', appType: 'SingleTenant', appPassword: password, tenantId: TENANT });
    expect(
      parseTeamsSettings({
        MICROSOFT_APP_ID: 'msi-client-id',
        MICROSOFT_APP_TYPE: 'userassignedmsi',
        MICROSOFT_APP_TENANT_ID: TENANT,
        TEAMS_ALLOW_UNAUTHENTICATED: false,
      }),
    ).toEqual({ mode: 'jwt', appId: 'msi-client-id', appType: 'UserAssignedMsi', tenantId: TENANT });
  });

  it('without an app id: unauthenticated only when allowed, else off', () => {
    expect(parseTeamsSettings({ TEAMS_ALLOW_UNAUTHENTICATED: true })).toEqual({ mode: 'unauthenticated' });
    expect(parseTeamsSettings({ MICROSOFT_APP_ID: ' ', TEAMS_ALLOW_UNAUTHENTICATED: false })).toMatchObject({
      mode: 'off',
      reason: expect.stringContaining('MICROSOFT_APP_ID'),
    });
  });

  it('a half-configured app is off (never unauthenticated), naming every setting to fix but no secret', () => {
    const s = parseTeamsSettings({
      MICROSOFT_APP_ID: 'app-id',
      MICROSOFT_APP_TYPE: 'SingleTenant',
      TEAMS_ALLOW_UNAUTHENTICATED: true,
    });
    expect(s.mode).toBe('off');
    const reason = (s as { reason: string }).reason;
    expect(reason).toContain('MICROSOFT_APP_TENANT_ID is required');
    expect(reason).toContain('MICROSOFT_APP_PASSWORD is required');
    const msi = parseTeamsSettings({
      MICROSOFT_APP_ID: 'id',
      MICROSOFT_APP_TYPE: 'UserAssignedMsi',
      MICROSOFT_APP_TENANT_ID: TENANT,
      MICROSOFT_APP_PASSWORD: password,
      TEAMS_ALLOW_UNAUTHENTICATED: false,
    });
    expect((msi as { reason: string }).reason).toContain('must be empty');
    expect(JSON.stringify(msi)).not.toContain('s3cret');
    expect(
      parseTeamsSettings({ MICROSOFT_APP_ID: 'id', MICROSOFT_APP_TYPE: 'Weird', TEAMS_ALLOW_UNAUTHENTICATED: false }),
    ).toMatchObject({
      mode: 'off',
    });
  });
});
