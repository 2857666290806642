/**
 * Postgres state of the Teams integration (tables of migration `004_teams`): conversation references, users as last
 * seen, and the card last posted as each bot message. Shared by every web and worker process; nothing in memory.
 */
import type pg from 'pg';
import type { TeamsConversationReference, TeamsUser } from './teams-activity.js';

/** How long a posted card is kept for answering clicks on it. */
const CARD_RETENTION_DAYS = 30;

/**
 * Remembers where a conversation lives. Writes only when something changed, so that every inbound activity can
 * call it without churning the table.
 */
export async function saveConversationReference(db: pg.Pool, r: TeamsConversationReference): Promise<void> {
  await db.query(
    `insert into teams_conversations
       (key, conversation_id, service_url, tenant_id, conversation_type, team_id, bot_id, bot_name)
     values ($1,$2,$3,$4,$5,$6,$7,$8)
     on conflict (key) do update set
       service_url = excluded.service_url,
       tenant_id = coalesce(excluded.tenant_id, teams_conversations.tenant_id),
       conversation_type = coalesce(excluded.conversation_type, teams_conversations.conversation_type),
       team_id = coalesce(excluded.team_id, teams_conversations.team_id),
       bot_id = excluded.bot_id,
       bot_name = coalesce(excluded.bot_name, teams_conversations.bot_name),
       updated_at = now()
     where (teams_conversations.service_url, teams_conversations.bot_id) is distinct from
           (excluded.service_url, excluded.bot_id)
        or (excluded.tenant_id is not null and teams_conversations.tenant_id is distinct from excluded.tenant_id)
        or (excluded.conversation_type is not null
            and teams_conversations.conversation_type is distinct from excluded.conversation_type)
        or (excluded.team_id is not null and teams_conversations.team_id is distinct from excluded.team_id)`,
    [
      r.key,
      r.conversationId,
      r.serviceUrl,
      r.tenantId ?? null,
      r.conversationType ?? null,
      r.teamId ?? null,
      r.botId,
      r.botName ?? null,
    ],
  );
}

/** The stored reference of a conversation, by its key (`Conversation.channelId`). */
export async function findConversationReference(
  db: pg.Pool,
  key: string,
): Promise<TeamsConversationReference | undefined> {
  const { rows } = await db.query(
    `select key, conversation_id, service_url, tenant_id, conversation_type, team_id, bot_id, bot_name
       from teams_conversations where key = $1`,
    [key],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    key: r.key,
    conversationId: r.conversation_id,
    serviceUrl: r.service_url,
    ...(r.tenant_id ? { tenantId: r.tenant_id } : {}),
    ...(r.conversation_type ? { conversationType: r.conversation_type } : {}),
    ...(r.team_id ? { teamId: r.team_id } : {}),
    botId: r.bot_id,
    ...(r.bot_name ? { botName: r.bot_name } : {}),
  };
}

/** Remembers a user's Teams id and display name (only when they changed). */
export async function saveTeamsUser(db: pg.Pool, u: TeamsUser): Promise<void> {
  await db.query(
    `insert into teams_users (aad_object_id, teams_user_id, name, tenant_id) values ($1,$2,$3,$4)
     on conflict (aad_object_id) do update set
       teams_user_id = excluded.teams_user_id,
       name = coalesce(excluded.name, teams_users.name),
       tenant_id = coalesce(excluded.tenant_id, teams_users.tenant_id),
       updated_at = now()
     where (teams_users.teams_user_id, teams_users.name) is distinct from
           (excluded.teams_user_id, coalesce(excluded.name, teams_users.name))`,
    [u.aadObjectId, u.teamsUserId, u.name ?? null, u.tenantId ?? null],
  );
}

/** Users by Entra object id (unknown ids are simply absent). */
export async function findTeamsUsers(db: pg.Pool, aadObjectIds: readonly string[]): Promise<Map<string, TeamsUser>> {
  const ids = [...new Set(aadObjectIds)].filter((id) => id !== '');
  const out = new Map<string, TeamsUser>();
  if (ids.length === 0) return out;
  const { rows } = await db.query(
    `select aad_object_id, teams_user_id, name, tenant_id from teams_users where aad_object_id = any($1::text[])`,
    [ids],
  );
  for (const r of rows) {
    out.set(r.aad_object_id, {
      aadObjectId: r.aad_object_id,
      teamsUserId: r.teams_user_id,
      ...(r.name ? { name: r.name } : {}),
      ...(r.tenant_id ? { tenantId: r.tenant_id } : {}),
    });
  }
  return out;
}

/** Remembers the card now shown as a bot message (after posting or updating it); drops cards past retention. */
export async function saveCard(db: pg.Pool, conversationKey: string, activityId: string, card: unknown): Promise<void> {
  await db.query(
    `insert into teams_cards (conversation_key, activity_id, card) values ($1,$2,$3)
     on conflict (conversation_key, activity_id) do update set card = excluded.card, updated_at = now()`,
    [conversationKey, activityId, JSON.stringify(card)],
  );
  await db.query(`delete from teams_cards where updated_at < now() - make_interval(days => $1::int)`, [
    CARD_RETENTION_DAYS,
  ]);
}

/** The card last posted as a bot message, if the bot knows it. */
export async function findCard(db: pg.Pool, conversationKey: string, activityId: string): Promise<unknown> {
  const { rows } = await db.query(`select card from teams_cards where conversation_key = $1 and activity_id = $2`, [
    conversationKey,
    activityId,
  ]);
  return rows[0]?.card;
}
