import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { AlertSource, IncidentStatus } from '../core/alert.js';

/** The bot's id of an incident: stable per (source, source id), so every process derives the same one. */
export function incidentIdFor(source: AlertSource, externalId: string): string {
  return `inc_${createHash('sha256').update(`${source}\0${externalId}`).digest('hex').slice(0, 24)}`;
}

/** An incident row (migration 003). */
export interface IncidentRecord {
  readonly id: string;
  readonly source: AlertSource;
  readonly externalId: string;
  readonly status: IncidentStatus;
  readonly title: string;
  readonly number: number | null;
  readonly priority: string | null;
  readonly urgency: string | null;
  readonly service: string | null;
  readonly assignees: readonly string[];
  readonly url: string | null;
  readonly acknowledgedBy: string | null;
  readonly resolvedBy: string | null;
  readonly startedAt: Date;
  readonly resolvedAt: Date | null;
  readonly snapshotAt: Date | null;
  readonly route: 'rule' | 'default' | 'unrouted';
  readonly ruleIndex: number | null;
  readonly system: string | null;
  readonly target: string | null;
  readonly workflows: readonly string[];
  readonly channel: string | null;
  readonly diagnosticsGeneration: number;
  readonly version: number;
  readonly firstSeenAt: Date;
}

/** Where an incident lives on one chat platform. */
export interface IncidentThreadRecord {
  readonly incidentId: string;
  readonly platform: string;
  readonly channelId: string;
  readonly rootMessageId: string | null;
  readonly replacedRootIds: readonly string[];
  readonly renderedHash: string | null;
  readonly diagnosticsGeneration: number;
  readonly suppressed: boolean;
  readonly stormWindow: Date | null;
}

export interface IncidentNoteRecord {
  readonly id: string;
  readonly incidentId: string;
  readonly status: IncidentStatus;
  readonly text: string;
  readonly occurredAt: Date;
}

export interface StormWindowRecord {
  readonly platform: string;
  readonly channelId: string;
  readonly windowStart: Date;
  readonly windowMs: number;
  readonly threads: number;
  readonly suppressed: number;
  readonly messageId: string | null;
  readonly renderedHash: string | null;
}

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

export function toIncident(r: Record<string, unknown>): IncidentRecord {
  return {
    id: r.id as string,
    source: r.source as AlertSource,
    externalId: r.external_id as string,
    status: r.status as IncidentStatus,
    title: r.title as string,
    number: (r.number as number | null) ?? null,
    priority: (r.priority as string | null) ?? null,
    urgency: (r.urgency as string | null) ?? null,
    service: (r.service as string | null) ?? null,
    assignees: (r.assignees as string[] | null) ?? [],
    url: (r.url as string | null) ?? null,
    acknowledgedBy: (r.acknowledged_by as string | null) ?? null,
    resolvedBy: (r.resolved_by as string | null) ?? null,
    startedAt: r.started_at as Date,
    resolvedAt: (r.resolved_at as Date | null) ?? null,
    snapshotAt: (r.snapshot_at as Date | null) ?? null,
    route: r.route as IncidentRecord['route'],
    ruleIndex: (r.rule_index as number | null) ?? null,
    system: (r.system as string | null) ?? null,
    target: (r.target as string | null) ?? null,
    workflows: (r.workflows as string[] | null) ?? [],
    channel: (r.channel as string | null) ?? null,
    diagnosticsGeneration: r.diagnostics_generation as number,
    version: r.version as number,
    firstSeenAt: r.first_seen_at as Date,
  };
}

function toThread(r: Record<string, unknown>): IncidentThreadRecord {
  return {
    incidentId: r.incident_id as string,
    platform: r.platform as string,
    channelId: r.channel_id as string,
    rootMessageId: (r.root_message_id as string | null) ?? null,
    replacedRootIds: (r.replaced_root_ids as string[] | null) ?? [],
    renderedHash: (r.rendered_hash as string | null) ?? null,
    diagnosticsGeneration: r.diagnostics_generation as number,
    suppressed: r.suppressed as boolean,
    stormWindow: (r.storm_window as Date | null) ?? null,
  };
}

export async function loadIncident(db: Queryable, id: string, forUpdate = false): Promise<IncidentRecord | undefined> {
  const { rows } = await db.query(`select * from incidents where id = $1${forUpdate ? ' for update' : ''}`, [id]);
  return rows[0] ? toIncident(rows[0]) : undefined;
}

export async function loadThreads(db: Queryable, incidentId: string): Promise<IncidentThreadRecord[]> {
  const { rows } = await db.query(`select * from incident_threads where incident_id = $1 order by platform`, [
    incidentId,
  ]);
  return rows.map(toThread);
}

export async function loadThread(
  db: Queryable,
  incidentId: string,
  platform: string,
): Promise<IncidentThreadRecord | undefined> {
  const { rows } = await db.query(`select * from incident_threads where incident_id = $1 and platform = $2`, [
    incidentId,
    platform,
  ]);
  return rows[0] ? toThread(rows[0]) : undefined;
}

/** Remembers a posted root. Only fills an empty slot: a root is never silently replaced. */
export async function saveRoot(
  db: Queryable,
  incidentId: string,
  platform: string,
  messageId: string,
  renderedHash: string,
): Promise<void> {
  await db.query(
    `update incident_threads set root_message_id = $3, rendered_hash = $4
     where incident_id = $1 and platform = $2 and root_message_id is null`,
    [incidentId, platform, messageId, renderedHash],
  );
}

/** The root was deleted in the channel: forget it (kept in `replaced_root_ids`) so a new one is posted. */
export async function forgetDeletedRoot(
  db: Queryable,
  incidentId: string,
  platform: string,
  messageId: string,
): Promise<void> {
  await db.query(
    `update incident_threads
       set root_message_id = null, rendered_hash = null, replaced_root_ids = replaced_root_ids || to_jsonb($3::text)
     where incident_id = $1 and platform = $2 and root_message_id = $3`,
    [incidentId, platform, messageId],
  );
}

export async function setRenderedHash(db: Queryable, incidentId: string, platform: string, hash: string) {
  await db.query(`update incident_threads set rendered_hash = $3 where incident_id = $1 and platform = $2`, [
    incidentId,
    platform,
    hash,
  ]);
}

export async function markDiagnosticsStarted(db: Queryable, incidentId: string, platform: string, generation: number) {
  await db.query(
    `update incident_threads set diagnostics_generation = greatest(diagnostics_generation, $3)
     where incident_id = $1 and platform = $2`,
    [incidentId, platform, generation],
  );
}

/** The post id under which a note's message in one platform's thread is remembered (`chat_posts`). */
export function notePostId(noteId: string, platform: string): string {
  return `note:${noteId}:${platform}`;
}

/** Notes of an incident not yet posted in its thread on `platform`, oldest change first. */
export async function listUnpostedNotes(
  db: Queryable,
  incidentId: string,
  platform: string,
  limit = 10,
): Promise<IncidentNoteRecord[]> {
  const { rows } = await db.query(
    `select n.id::text as id, n.incident_id, n.status, n.text, n.occurred_at from incident_notes n
     where n.incident_id = $1
       and not exists (select 1 from chat_posts p where p.post_id = 'note:' || n.id || ':' || $2)
     order by n.occurred_at, n.id limit $3`,
    [incidentId, platform, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    incidentId: r.incident_id,
    status: r.status,
    text: r.text,
    occurredAt: r.occurred_at,
  }));
}

export async function loadStormWindow(
  db: Queryable,
  platform: string,
  channelId: string,
  windowStart: Date,
): Promise<StormWindowRecord | undefined> {
  const { rows } = await db.query(
    `select * from storm_windows where platform = $1 and channel_id = $2 and window_start = $3`,
    [platform, channelId, windowStart],
  );
  const r = rows[0];
  return r
    ? {
        platform: r.platform,
        channelId: r.channel_id,
        windowStart: r.window_start,
        windowMs: r.window_ms,
        threads: r.threads,
        suppressed: r.suppressed,
        messageId: r.message_id,
        renderedHash: r.rendered_hash,
      }
    : undefined;
}

/** Suppressed incidents of a storm window by service, largest first. */
export async function stormServices(
  db: Queryable,
  platform: string,
  channelId: string,
  windowStart: Date,
): Promise<{ service: string; count: number }[]> {
  const { rows } = await db.query(
    `select coalesce(i.service, 'unknown service') as service, count(*)::int as count
     from incident_threads t join incidents i on i.id = t.incident_id
     where t.platform = $1 and t.channel_id = $2 and t.storm_window = $3 and t.suppressed
     group by 1 order by 2 desc, 1`,
    [platform, channelId, windowStart],
  );
  return rows.map((r) => ({ service: r.service, count: r.count }));
}

export async function saveStormMessage(
  db: Queryable,
  w: Pick<StormWindowRecord, 'platform' | 'channelId' | 'windowStart'>,
  messageId: string | null,
  renderedHash: string | null,
): Promise<void> {
  await db.query(
    `update storm_windows set message_id = $4, rendered_hash = $5
     where platform = $1 and channel_id = $2 and window_start = $3`,
    [w.platform, w.channelId, w.windowStart, messageId, renderedHash],
  );
}

/** What `/runbook incidents` lists: the newest incidents with where they live. */
export interface IncidentListEntry {
  readonly incident: IncidentRecord;
  readonly threads: readonly IncidentThreadRecord[];
}

export async function listRecentIncidents(db: Queryable, limit: number): Promise<IncidentListEntry[]> {
  const { rows } = await db.query(`select * from incidents order by first_seen_at desc, id limit $1`, [limit]);
  const incidents = rows.map(toIncident);
  if (incidents.length === 0) return [];
  const threads = await db.query(`select * from incident_threads where incident_id = any($1::text[])`, [
    incidents.map((i) => i.id),
  ]);
  const byIncident = new Map<string, IncidentThreadRecord[]>();
  for (const t of threads.rows.map(toThread)) {
    byIncident.set(t.incidentId, [...(byIncident.get(t.incidentId) ?? []), t]);
  }
  return incidents.map((incident) => ({ incident, threads: byIncident.get(incident.id) ?? [] }));
}

/** Counts for /metrics: incidents recorded without any destination, and incidents folded into a storm summary. */
export async function countAlertOutcomes(db: Queryable): Promise<{ unrouted: number; suppressed: number }> {
  const { rows } = await db.query(
    `select (select count(*)::int from incidents where route = 'unrouted') as unrouted,
            (select count(*)::int from incident_threads where suppressed) as suppressed`,
  );
  return { unrouted: rows[0]?.unrouted ?? 0, suppressed: rows[0]?.suppressed ?? 0 };
}
