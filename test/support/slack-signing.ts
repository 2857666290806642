/**
 * Inbound Slack requests for tests, signed with the real v0 algorithm so signature verification runs in every test.
 * Send them with `content-type: application/x-www-form-urlencoded` exactly (Bolt parses forms only then).
 */
import { createHmac, randomBytes } from 'node:crypto';

export const SLACK_FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** `v0=` + hex HMAC-SHA256(secret, `v0:<timestamp>:<raw body>`). */
export function signSlackRequest(
  secret: string,
  body: string,
  timestampSec: number,
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  const timestamp = String(Math.floor(timestampSec));
  const digest = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`, 'utf8').digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': timestamp };
}

let triggerCounter = 0;

function uniqueTriggerId(): string {
  triggerCounter += 1;
  return `${Date.now()}${triggerCounter}.47445629121.${randomBytes(16).toString('hex')}`;
}

/**
 * A slash-command form body with realistic defaults (channel C0OPS, user U0ALICE, command /corvo, empty text, a
 * fresh trigger_id); `fields` override or add fields, `undefined` values drop a field.
 */
export function slashCommandBody(fields: Partial<Record<string, string>> = {}): string {
  const defaults: Record<string, string> = {
    token: 'xyzz0WbapA4vBCDEFasx0q6G',
    team_id: 'T0FAKE',
    team_domain: 'fake-workspace',
    channel_id: 'C0OPS',
    channel_name: 'ops',
    user_id: 'U0ALICE',
    user_name: 'alice',
    command: '/corvo',
    text: '',
    api_app_id: 'A0RUNBOOKBOT',
    is_enterprise_install: 'false',
    response_url: `https://hooks.slack.com/commands/T0FAKE/${Date.now()}/${randomBytes(12).toString('hex')}`,
    trigger_id: uniqueTriggerId(),
  };
  const merged: Record<string, string | undefined> = { ...defaults, ...fields };
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(merged)) {
    if (value !== undefined) form.append(key, value);
  }
  return form.toString();
}

/** The interactivity form body: a single `payload` field holding the JSON payload. */
export function blockActionsBody(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
