import { ErrorCode, WebClient, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from './fake-slack.js';

const TOKEN = 'xoxb-test-token';

describe('fake Slack Web API', () => {
  let fake: FakeSlack;
  let client: WebClient;

  beforeEach(async () => {
    fake = await startFakeSlack({ token: TOKEN });
    client = new WebClient(TOKEN, { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('serves on loopback under /api/', () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
  });

  it('records chat.postMessage with parsed blocks and the bearer token, and answers channel + increasing ts', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Corvo* healthy' } }];
    const first = await client.chat.postMessage({ channel: 'C0OPS', text: 'Corvo healthy', blocks });
    const second = await client.chat.postMessage({ channel: 'C0OPS', text: 'again' });

    expect(first.ok).toBe(true);
    expect(first.channel).toBe('C0OPS');
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));

    const [call] = fake.callsTo('chat.postMessage');
    expect(call?.token).toBe(TOKEN);
    expect(call?.args).toMatchObject({ channel: 'C0OPS', text: 'Corvo healthy', blocks });
    expect(typeof call?.at).toBe('number');
  });

  it('keeps the current state of messages through replies, updates and deletes', async () => {
    const root = await client.chat.postMessage({ channel: 'C0INCIDENTS', text: 'incident opened' });
    const reply = await client.chat.postMessage({ channel: 'C0INCIDENTS', text: 'finding 1', thread_ts: root.ts! });
    const doomed = await client.chat.postMessage({ channel: 'C0INCIDENTS', text: 'to delete', thread_ts: root.ts! });
    await client.chat.postMessage({ channel: 'C0OTHER', text: 'elsewhere' });

    const updated = await client.chat.update({
      channel: 'C0INCIDENTS',
      ts: root.ts!,
      text: 'incident resolved',
      blocks: [{ type: 'section', text: { type: 'plain_text', text: 'resolved' } }],
    });
    expect(updated.ok).toBe(true);
    await client.chat.delete({ channel: 'C0INCIDENTS', ts: doomed.ts! });

    expect(fake.messages('C0INCIDENTS')).toEqual([
      expect.objectContaining({
        ts: root.ts,
        text: 'incident resolved',
        blocks: [{ type: 'section', text: { type: 'plain_text', text: 'resolved' } }],
        edits: 1,
      }),
      expect.objectContaining({ ts: reply.ts, thread_ts: root.ts, text: 'finding 1' }),
    ]);
    expect(fake.messages('C0INCIDENTS')[0]).not.toHaveProperty('thread_ts');
    expect(fake.messages('C0OTHER')).toHaveLength(1);
  });

  it('answers message_not_found for updates and deletes of unknown messages', async () => {
    const update = client.chat.update({ channel: 'C0OPS', ts: '1.000100', text: 'x' });
    await expect(update).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'message_not_found' } });
    await expect(client.chat.delete({ channel: 'C0OPS', ts: '1.000100' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
  });

  it('records ephemeral messages separately from the channel history', async () => {
    const res = await client.chat.postEphemeral({ channel: 'C0OPS', user: 'U0ALICE', text: 'only you' });
    expect(res.ok).toBe(true);
    expect(res.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(fake.messages('C0OPS')).toEqual([]);
    expect(fake.ephemerals('C0OPS')).toEqual([expect.objectContaining({ user: 'U0ALICE', text: 'only you' })]);
  });

  it('answers auth.test, users.info and conversations.info', async () => {
    const auth = await client.auth.test();
    expect(auth).toMatchObject({ ok: true, user_id: expect.stringMatching(/^U/), bot_id: expect.stringMatching(/^B/) });

    const user = await client.users.info({ user: 'U0ALICE' });
    expect(user.user).toMatchObject({ id: 'U0ALICE', name: 'alice' });

    const channel = await client.conversations.info({ channel: 'C0OPS' });
    expect(channel.channel).toMatchObject({ id: 'C0OPS', is_channel: true });
  });

  it('answers usergroups.users.list from setUsergroup', async () => {
    fake.setUsergroup('S0ONCALL', ['U0ALICE', 'U0BOB']);
    const res = await client.usergroups.users.list({ usergroup: 'S0ONCALL' });
    expect(res.users).toEqual(['U0ALICE', 'U0BOB']);
    await expect(client.usergroups.users.list({ usergroup: 'S0NOPE' })).rejects.toMatchObject({
      data: { error: 'no_such_subteam' },
    });
  });

  it('answers unknown_method for methods it does not implement', async () => {
    const err = (await client.apiCall('emoji.list').catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(err.code).toBe(ErrorCode.PlatformError);
    expect(err.data.error).toBe('unknown_method');
  });

  it('answers invalid_auth to a wrong token', async () => {
    const stranger = new WebClient('xoxb-wrong', { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
    await expect(stranger.chat.postMessage({ channel: 'C0OPS', text: 'hi' })).rejects.toMatchObject({
      data: { error: 'invalid_auth' },
    });
    expect(fake.messages('C0OPS')).toEqual([]);
  });

  it('failNext fails exactly the next call to that method', async () => {
    fake.failNext('chat.postMessage', 'channel_not_found');
    await expect(client.chat.postMessage({ channel: 'C0GONE', text: 'x' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
    await expect(client.chat.postMessage({ channel: 'C0OPS', text: 'y' })).resolves.toMatchObject({ ok: true });
    expect(fake.messages('C0GONE')).toEqual([]);
  });

  it('rateLimitNext answers 429 with Retry-After for the next n calls', async () => {
    const strict = new WebClient(TOKEN, {
      slackApiUrl: fake.url,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    fake.rateLimitNext('chat.postMessage', 2, 7);
    for (let i = 0; i < 2; i++) {
      const err = (await strict.chat.postMessage({ channel: 'C0OPS', text: 'x' }).catch((e: unknown) => e)) as
        WebAPIRateLimitedError | undefined;
      expect(err?.code).toBe(ErrorCode.RateLimitedError);
      expect(err?.retryAfter).toBe(7);
    }
    await expect(strict.chat.postMessage({ channel: 'C0OPS', text: 'z' })).resolves.toMatchObject({ ok: true });
    expect(fake.callsTo('chat.postMessage')).toHaveLength(3);
    expect(fake.messages('C0OPS').map((m) => m.text)).toEqual(['z']);
  });

  it('waitFor resolves once the predicate holds and rejects listing the calls seen', async () => {
    setTimeout(() => void client.chat.postMessage({ channel: 'C0OPS', text: 'later' }), 50);
    await fake.waitFor((calls) => calls.some((c) => c.method === 'chat.postMessage'), 2000);

    await client.auth.test();
    await expect(fake.waitFor((calls) => calls.length > 10, 100)).rejects.toThrow(
      /within 100 ms[\s\S]*chat\.postMessage[\s\S]*auth\.test/,
    );
  });
});
