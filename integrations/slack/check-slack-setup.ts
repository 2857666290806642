/**
 * `npm run check`, Slack part: the bot token against `auth.test`, its scopes (the `x-oauth-scopes` header), the bot
 * in each configured channel, and in Socket Mode a real connection opened with the app token.
 */
import { SocketModeClient } from '@slack/socket-mode';
import { WebClient, type WebAPICallResult } from '@slack/web-api';
import type { Secret } from '../../src/core/secret.js';
import { describeError, displayUrl, fail, ok, warn, withDeadline, type CheckLine } from '../../src/core/setup-check.js';
import { createBoltLogger } from './bolt-logger.js';
import type { Logger } from '../../src/core/logger.js';

/** The bot scopes slack-app-manifest.yml asks for (its test keeps the two in step). */
export const REQUIRED_BOT_SCOPES = [
  'commands',
  'chat:write',
  'chat:write.public',
  'app_mentions:read',
  'usergroups:read',
  'users:read',
  'users:read.email',
] as const;

export interface SlackSetupOptions {
  readonly botToken?: Secret;
  readonly signingSecret?: Secret;
  readonly appToken?: Secret;
  readonly socketMode: boolean;
  /** `SLACK_API_URL`. */
  readonly apiUrl: string;
  /** Configured channels (`channels.<name>.slack`). */
  readonly channels: readonly { readonly name: string; readonly id: string }[];
  readonly logger: Logger;
  /** Per call, ms. Default 8000. */
  readonly timeoutMs?: number;
}

const TOKEN_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired']);

/** Slack's error code of a failed call (`invalid_auth`), or the error's first line. */
function slackError(err: unknown): string {
  const data = (err as { data?: { error?: unknown } }).data;
  return typeof data?.error === 'string' ? data.error : describeError(err);
}

export async function checkSlackSetup(o: SlackSetupOptions): Promise<CheckLine[]> {
  const ms = o.timeoutMs ?? 8000;
  if (!o.botToken) {
    return [ok('slack', 'Slack is off (SLACK_BOT_TOKEN not set); nothing to check')];
  }
  if (!o.signingSecret && !o.socketMode) {
    return [
      fail(
        'slack',
        'SLACK_BOT_TOKEN is set but Slack has no way in: no SLACK_SIGNING_SECRET and no Socket Mode',
        'set SLACK_SIGNING_SECRET (HTTP, /slack/events) or SLACK_APP_TOKEN and SLACK_SOCKET_MODE=true',
      ),
    ];
  }
  const lines: CheckLine[] = [];
  const client = new WebClient(o.botToken.reveal(), {
    slackApiUrl: o.apiUrl,
    retryConfig: { retries: 0 },
    timeout: ms,
    logger: createBoltLogger(o.logger),
  });
  let auth: WebAPICallResult & { team?: string; team_id?: string; user?: string };
  try {
    auth = await withDeadline(ms, 'auth.test', () => client.auth.test());
  } catch (err) {
    const code = slackError(err);
    lines.push(
      TOKEN_ERRORS.has(code)
        ? fail(
            'slack.auth',
            `auth.test refused the bot token: ${code}`,
            'SLACK_BOT_TOKEN: the Bot User OAuth Token (xoxb-…) of the installed app',
          )
        : fail(
            'slack.auth',
            `auth.test failed: ${code}`,
            `SLACK_API_URL (${displayUrl(o.apiUrl)}) must reach the Slack Web API`,
          ),
    );
    // The app token is a separate credential: still worth checking.
    if (o.socketMode) lines.push(await checkSocketMode(o, ms));
    return lines;
  }
  lines.push(ok('slack.auth', `auth.test: bot ${auth.user ?? '?'} in ${auth.team ?? '?'} (${auth.team_id ?? '?'})`));
  if (!o.botToken.reveal().startsWith('xoxb-')) {
    lines.push(warn('slack.token', 'SLACK_BOT_TOKEN is not a bot token (xoxb-…)', 'use the Bot User OAuth Token'));
  }

  const scopes = auth.response_metadata?.scopes;
  if (!scopes) {
    lines.push(
      warn(
        'slack.scopes',
        'Slack sent no x-oauth-scopes header, so the scopes cannot be checked',
        'compare the app\'s "OAuth & Permissions" with slack-app-manifest.yml',
      ),
    );
  } else {
    const missing = REQUIRED_BOT_SCOPES.filter((s) => !scopes.includes(s));
    lines.push(
      missing.length === 0
        ? ok('slack.scopes', `the token has every scope the bot needs (${REQUIRED_BOT_SCOPES.length})`)
        : fail(
            'slack.scopes',
            `the token lacks ${missing.join(', ')}`,
            'add them under "OAuth & Permissions" (as in slack-app-manifest.yml), reinstall the app, and set SLACK_BOT_TOKEN to the new token',
          ),
    );
  }

  for (const ch of o.channels) {
    lines.push(await checkChannel(client, ch, scopes, ms));
  }

  if (o.socketMode) lines.push(await checkSocketMode(o, ms));
  return lines;
}

async function checkChannel(
  client: WebClient,
  ch: { name: string; id: string },
  scopes: readonly string[] | undefined,
  ms: number,
): Promise<CheckLine> {
  const name = `slack.channel.${ch.name}`;
  let info: { channel?: { is_member?: boolean; is_private?: boolean; is_archived?: boolean; name?: string } };
  try {
    info = await withDeadline(ms, 'conversations.info', () => client.conversations.info({ channel: ch.id }));
  } catch (err) {
    const code = slackError(err);
    if (code === 'missing_scope') {
      return warn(
        name,
        `cannot tell whether the bot is in ${ch.id}: the token lacks channels:read/groups:read (conversations.info: missing_scope)`,
        `invite the bot (/invite @runbook-bot in the channel), or add channels:read to check it here`,
      );
    }
    if (code === 'channel_not_found') {
      return fail(
        name,
        `${ch.id} not found (or a private channel the bot is not in)`,
        `channels.${ch.name}.slack: the channel id (C…), and /invite @runbook-bot for a private channel`,
      );
    }
    return warn(name, `cannot tell whether the bot is in ${ch.id}: conversations.info failed (${code})`);
  }
  const c = info.channel ?? {};
  if (c.is_archived) {
    return fail(name, `${ch.id} is archived`, `channels.${ch.name}.slack: a channel that is in use`);
  }
  if (c.is_member) return ok(name, `the bot is in ${ch.id}${c.name ? ` (#${c.name})` : ''}`);
  if (!c.is_private && scopes?.includes('chat:write.public')) {
    return warn(
      name,
      `the bot is not in ${ch.id}; it can post there (chat:write.public) but sees no @-mentions`,
      `/invite @runbook-bot in the channel`,
    );
  }
  return fail(name, `the bot is not in ${ch.id}, so it cannot post there`, `/invite @runbook-bot in the channel`);
}

/** Opens a real Socket Mode connection with the app token, waits for `hello`, and closes it. */
async function checkSocketMode(o: SlackSetupOptions, ms: number): Promise<CheckLine> {
  if (!o.appToken) {
    return fail(
      'slack.socket-mode',
      'SLACK_SOCKET_MODE=true but SLACK_APP_TOKEN is not set',
      'SLACK_APP_TOKEN: an app-level token (xapp-…) with connections:write',
    );
  }
  const client = new SocketModeClient({
    appToken: o.appToken.reveal(),
    logger: createBoltLogger(o.logger),
    autoReconnectEnabled: false,
    clientOptions: { slackApiUrl: o.apiUrl, retryConfig: { retries: 0 }, timeout: ms },
  });
  try {
    await withDeadline(ms, 'Socket Mode hello', () => client.start());
    return ok('slack.socket-mode', 'the app token opened a Socket Mode connection (closed again)');
  } catch (err) {
    const code = slackError(err);
    return TOKEN_ERRORS.has(code)
      ? fail(
          'slack.socket-mode',
          `apps.connections.open refused the app token: ${code}`,
          'SLACK_APP_TOKEN: an app-level token (xapp-…) with connections:write',
        )
      : fail(
          'slack.socket-mode',
          `no Socket Mode connection: ${code}`,
          code === 'missing_scope'
            ? 'SLACK_APP_TOKEN needs the connections:write scope'
            : 'turn Socket Mode on in the app settings (or use slack-app-manifest.socket-mode.yml); SLACK_API_URL must reach Slack',
        );
  } finally {
    await client.disconnect().catch(() => {});
  }
}
