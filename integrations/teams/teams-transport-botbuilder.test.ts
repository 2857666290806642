// Inbound JWT validation through botbuilder, against a loopback OpenID metadata document and signing key (the fake
// Bot Connector plays the Bot Framework channel). Real tokens, real signature checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.js';
import { startFakeBotConnector, type FakeBotConnector } from '../../test/support/fake-bot-connector.js';
import { createBotFramework, TeamsAuthError, TeamsAuthUnavailableError } from './teams-transport-botbuilder.js';

const APP_ID = '6a1f3c2e-0000-4000-8000-00000000a991';
const TENANT = '11111111-2222-3333-4444-555555555555';
let fake: FakeBotConnector;

beforeAll(async () => {
  fake = await startFakeBotConnector();
});
afterAll(async () => {
  await fake?.close();
});

const jwtSettings = {
  mode: 'jwt' as const,
  appId: APP_ID,
  appType: 'SingleTenant' as const,
  appPassword: new Secret('not-used-inbound'),
  tenantId: TENANT,
};

function activity(serviceUrl = 'https://smba.trafficmanager.net/emea/') {
  return {
    type: 'message',
    id: '1',
    serviceUrl,
    channelId: 'msteams',
    from: { id: '29:1alice', aadObjectId: 'a11ce' },
    recipient: { id: `28:${APP_ID}` },
    conversation: { id: '19:ops@thread.tacv2', tenantId: TENANT },
    text: 'hi',
  };
}

function claims(over: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'https://api.botframework.com',
    aud: APP_ID,
    serviceurl: 'https://smba.trafficmanager.net/emea/',
    nbf: now - 10,
    exp: now + 3600,
    ...over,
  };
}

describe('Bot Framework JWT validation (MICROSOFT_APP_ID set)', () => {
  const bf = () => createBotFramework({ settings: jwtSettings, openIdMetadataUrl: fake.openIdMetadataUrl });

  it('accepts a token signed by the channel key for our app id and this serviceUrl, and runs the logic', async () => {
    const token = fake.signChannelToken(claims());
    const response = await bf().process(`Bearer ${token}`, activity(), async () => ({ status: 200, body: { ok: 1 } }));
    // Not an invoke: botbuilder returns no body for a message (we answer 200).
    expect(response).toBeUndefined();
    const invoke = { ...activity(), type: 'invoke', name: 'adaptiveCard/action' };
    expect(await bf().process(`Bearer ${token}`, invoke, async () => ({ status: 200, body: { ok: 1 } }))).toEqual({
      status: 200,
      body: { ok: 1 },
    });
  });

  it.each([
    ['no Authorization header', () => ''],
    ['not a Bearer token', () => 'Basic dXNlcjpwYXNz'],
    ['garbage', () => 'Bearer not-a-jwt'],
    ['another app’s audience', () => `Bearer ${fake.signChannelToken(claims({ aud: 'someone-else' }))}`],
    [
      'a token minted for another serviceUrl',
      () => `Bearer ${fake.signChannelToken(claims({ serviceurl: 'https://evil.example/' }))}`,
    ],
    ['a forged signature', () => `Bearer ${fake.signChannelToken(claims(), { key: 'untrusted' })}`],
    ['an unknown issuer', () => `Bearer ${fake.signChannelToken(claims({ iss: 'https://evil.example' }))}`],
    [
      'an expired token',
      () => `Bearer ${fake.signChannelToken(claims({ exp: Math.floor(Date.now() / 1000) - 3600 }))}`,
    ],
  ])('refuses %s before any logic runs', async (_name, header) => {
    let ran = false;
    const err = await bf()
      .process(header(), activity(), async () => {
        ran = true;
        return undefined;
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TeamsAuthError);
    expect(ran).toBe(false);
  });

  it('says "unavailable" (retry later) when the signing keys cannot be fetched', async () => {
    const down = createBotFramework({
      settings: jwtSettings,
      openIdMetadataUrl: 'http://127.0.0.1:9/.well-known/openidconfiguration',
    });
    const err = await down
      .process(`Bearer ${fake.signChannelToken(claims())}`, activity(), async () => undefined)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TeamsAuthUnavailableError);
  });
});

describe('without an app id (TEAMS_ALLOW_UNAUTHENTICATED=true)', () => {
  it('runs activities without a token, signs nothing outbound, and rethrows what the logic throws', async () => {
    const bf = createBotFramework({ settings: { mode: 'unauthenticated' } });
    expect(bf.authEnabled).toBe(false);
    expect(await bf.authorizationFor(fake.serviceUrl)).toBeUndefined();
    let ran = false;
    await bf.process('', activity(), async () => {
      ran = true;
      return undefined;
    });
    expect(ran).toBe(true);
    const boom = new Error('redis down');
    await expect(bf.process('', activity(), () => Promise.reject(boom))).rejects.toBe(boom);
  });
});
