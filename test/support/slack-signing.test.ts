import { describe, expect, it } from 'vitest';
import { blockActionsBody, signSlackRequest, slashCommandBody } from './slack-signing.js';

// Official example from https://api.slack.com/docs/verifying-requests-from-slack (platforms.md §1.1).
const VECTOR = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: 1531420618,
  body:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
    '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
    '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};

describe('signSlackRequest', () => {
  it('matches the official Slack test vector', () => {
    expect(signSlackRequest(VECTOR.secret, VECTOR.body, VECTOR.timestamp)).toEqual({
      'x-slack-signature': VECTOR.signature,
      'x-slack-request-timestamp': '1531420618',
    });
  });

  it('changes when the body, the timestamp or the secret changes', () => {
    const base = signSlackRequest(VECTOR.secret, VECTOR.body, VECTOR.timestamp)['x-slack-signature'];
    expect(signSlackRequest(VECTOR.secret, `${VECTOR.body} `, VECTOR.timestamp)['x-slack-signature']).not.toBe(base);
    expect(signSlackRequest(VECTOR.secret, VECTOR.body, VECTOR.timestamp + 1)['x-slack-signature']).not.toBe(base);
    expect(signSlackRequest(`${VECTOR.secret}x`, VECTOR.body, VECTOR.timestamp)['x-slack-signature']).not.toBe(base);
  });
});

describe('slashCommandBody', () => {
  it('has realistic defaults and a fresh trigger_id every call', () => {
    const first = new URLSearchParams(slashCommandBody({ text: 'health --target prod' }));
    const second = new URLSearchParams(slashCommandBody());
    expect(first.get('command')).toBe('/corvo');
    expect(first.get('channel_id')).toBe('C0OPS');
    expect(first.get('user_id')).toBe('U0ALICE');
    expect(first.get('text')).toBe('health --target prod');
    expect(first.get('team_id')).toMatch(/^T/);
    expect(first.get('response_url')).toMatch(/^https:\/\/hooks\.slack\.com\/commands\//);
    expect(first.get('trigger_id')).not.toBe(second.get('trigger_id'));
    expect(second.get('text')).toBe('');
  });

  it('is form-encoded like Slack sends it, and fields override the defaults', () => {
    const body = slashCommandBody({ command: '/runbook', text: 'audit', user_id: 'U0BOB' });
    expect(body).toContain('command=%2Frunbook');
    expect(body).toContain('user_id=U0BOB');
    expect(body).not.toContain('U0ALICE');
  });
});

describe('blockActionsBody', () => {
  it('puts the JSON payload in a single form field', () => {
    const payload = { type: 'block_actions', actions: [{ action_id: 'approve', value: 'apr_1 & co' }] };
    const body = blockActionsBody(payload);
    expect(body.startsWith('payload=')).toBe(true);
    const form = new URLSearchParams(body);
    expect([...form.keys()]).toEqual(['payload']);
    expect(JSON.parse(form.get('payload') ?? '')).toEqual(payload);
  });
});
