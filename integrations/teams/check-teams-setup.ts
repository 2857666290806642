/**
 * `npm run check`, Teams part: the app registration gets a Bot Framework token (from Microsoft's login endpoint,
 * which the bot cannot redirect; a failure names the settings), and each configured conversation is one the bot has
 * been added to (its reference is stored when the bot first hears from it).
 */
import type pg from 'pg';
import { describeError, fail, ok, warn, withDeadline, type CheckLine } from '../../src/core/setup-check.js';
import { createTeamsEdge } from './create-teams-edge.js';
import type { TeamsEnv } from './teams-settings.js';
import { conversationKeyOf, splitConversationId } from './teams-conversation.js';
import { findConversationReference } from './teams-store.js';

export interface TeamsSetupOptions {
  readonly env: TeamsEnv;
  /** Configured Teams channels (`channels.<name>.teams`). */
  readonly channels: readonly { readonly name: string; readonly conversationId: string; readonly serviceUrl: string }[];
  /** Postgres, for the stored conversation references; absent when Postgres itself failed its check. */
  readonly db?: pg.Pool;
  readonly timeoutMs?: number;
}

/** Where a token is asked for when no channel names a service URL (the public Teams one). */
const DEFAULT_SERVICE_URL = 'https://smba.trafficmanager.net/teams/';

export async function checkTeamsSetup(o: TeamsSetupOptions): Promise<CheckLine[]> {
  const ms = o.timeoutMs ?? 15_000;
  const edge = createTeamsEdge(o.env);
  const s = edge.settings;
  const lines: CheckLine[] = [];
  if (s.mode === 'off') {
    // Not configured at all is a choice; a half-configured app id is not.
    lines.push(
      o.env.MICROSOFT_APP_ID?.trim()
        ? fail('teams', s.reason, 'the MICROSOFT_APP_* settings named above')
        : ok('teams', 'Teams is off (MICROSOFT_APP_ID not set); nothing to check'),
    );
    if (o.channels.length > 0 && !o.env.MICROSOFT_APP_ID?.trim()) {
      lines.push(
        fail(
          'teams',
          `channels ${o.channels.map((c) => c.name).join(', ')} name a Teams conversation but Teams is off`,
          'set MICROSOFT_APP_ID and friends, or remove the teams: entries',
        ),
      );
    }
    return lines;
  }
  if (s.mode === 'unauthenticated') {
    lines.push(
      warn(
        'teams',
        'TEAMS_ALLOW_UNAUTHENTICATED=true: /api/messages accepts unsigned activities (local use only)',
        'unset TEAMS_ALLOW_UNAUTHENTICATED and set MICROSOFT_APP_ID, MICROSOFT_APP_TYPE, MICROSOFT_APP_TENANT_ID, MICROSOFT_APP_PASSWORD',
      ),
    );
  } else {
    const serviceUrl = o.channels[0]?.serviceUrl ?? DEFAULT_SERVICE_URL;
    try {
      await withDeadline(ms, 'Bot Framework token', async () => edge.botFramework!.authorizationFor(serviceUrl));
      lines.push(ok('teams.token', `the app registration ${s.appId} (${s.appType}) got a Bot Framework token`));
    } catch (err) {
      lines.push(
        fail(
          'teams.token',
          `no Bot Framework token: ${describeError(err)}`,
          'MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD (a current client secret), MICROSOFT_APP_TYPE and MICROSOFT_APP_TENANT_ID of the Azure Bot',
        ),
      );
    }
  }
  for (const ch of o.channels) {
    const name = `teams.channel.${ch.name}`;
    if (!o.db) {
      lines.push(warn(name, 'cannot tell whether the bot knows this conversation: Postgres is not reachable'));
      continue;
    }
    try {
      const key = conversationKeyOf(splitConversationId(ch.conversationId).base);
      const ref = await findConversationReference(o.db, key);
      lines.push(
        ref
          ? ok(name, 'the bot has been added to this conversation (reference stored)')
          : warn(
              name,
              'the bot has not heard from this conversation yet, so it may not be able to post there',
              `add the bot to the team/channel (or mention it once there); channels.${ch.name}.teams.conversationId must be that conversation's id`,
            ),
      );
    } catch (err) {
      lines.push(
        warn(name, `cannot read the stored conversation references: ${describeError(err)}`, 'run release (migrations)'),
      );
    }
  }
  return lines;
}
