import type pg from 'pg';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';

/** How long each kind of row is kept, ms (the parsed `retention:` block), and the batch size. */
export interface RetentionPolicy {
  readonly reports: number;
  readonly alertEvents: number;
  readonly audit: number;
  readonly chatPosts: number;
  readonly identities: number;
  readonly noteDrafts: number;
  /** Finding history (finding_runs, finding_history rows not seen since). */
  readonly findingHistory: number;
  readonly batchSize: number;
}

/** Rows deleted by one prune, per table (tables with nothing to delete are absent). */
export type PrunedCounts = Record<string, number>;

type Window = Exclude<keyof RetentionPolicy, 'batchSize'>;

/**
 * One pruning step: a single statement that deletes at most `$2` parent rows older than `$1` (and their children in
 * the same statement, so foreign keys hold) and returns one count column per table. Each statement is its own short
 * transaction; `skip locked` keeps it off rows another transaction is working on.
 */
interface PruneStep {
  readonly window: Window;
  /** The table whose row count decides whether another batch is needed. */
  readonly parent: string;
  readonly sql: string;
}

const FINAL_APPROVAL_STATES = `('denied','expired','succeeded','failed','outcome-unknown','skipped')`;

/**
 * In dependency order: children before the parents they reference (reports and offers before invocations,
 * approvals before offers, incident actions and silences before incidents).
 */
const STEPS: readonly PruneStep[] = [
  {
    window: 'reports',
    parent: 'reports',
    sql: `with doomed as (
            select invocation_id from reports where created_at < $1 limit $2 for update skip locked),
          gone as (delete from reports r using doomed d where r.invocation_id = d.invocation_id returning 1)
          select (select count(*) from gone)::int as reports`,
  },
  {
    // Approvals in a final state only: pending, approved and executing ones are still being decided or run.
    window: 'audit',
    parent: 'approvals',
    sql: `with doomed as (
            select id from approvals
            where state in ${FINAL_APPROVAL_STATES}
              and coalesce(finished_at, decided_at, expires_at, requested_at) < $1
            limit $2 for update skip locked),
          ev as (delete from approval_events e using doomed d where e.approval_id = d.id returning 1),
          vo as (delete from approval_votes v using doomed d where v.approval_id = d.id returning 1),
          gone as (delete from approvals a using doomed d where a.id = d.id returning 1)
          select (select count(*) from gone)::int as approvals, (select count(*) from ev)::int as approval_events,
                 (select count(*) from vo)::int as approval_votes`,
  },
  {
    // A fix offered on a report goes with the report; one an approval refers to stays as long as the approval.
    window: 'reports',
    parent: 'action_offers',
    sql: `with doomed as (
            select o.id from action_offers o
            where o.created_at < $1 and not exists (select 1 from approvals a where a.offer_id = o.id)
            limit $2 for update skip locked),
          gone as (delete from action_offers o using doomed d where o.id = d.id returning 1)
          select (select count(*) from gone)::int as action_offers`,
  },
  {
    window: 'audit',
    parent: 'invocations',
    sql: `with doomed as (
            select i.id from invocations i
            where i.requested_at < $1 and i.status not in ('queued','running')
              and not exists (select 1 from reports r where r.invocation_id = i.id)
              and not exists (select 1 from action_offers o where o.invocation_id = i.id)
            limit $2 for update skip locked),
          gone as (delete from invocations i using doomed d where i.id = d.id returning 1)
          select (select count(*) from gone)::int as invocations`,
  },
  {
    // Unprocessed events are still to be applied; processed ones are the dedupe record and the audit.
    window: 'alertEvents',
    parent: 'alert_events',
    sql: `with doomed as (
            select id from alert_events where received_at < $1 and processed_at is not null
            limit $2 for update skip locked),
          gone as (delete from alert_events e using doomed d where e.id = d.id returning 1)
          select (select count(*) from gone)::int as alert_events`,
  },
  {
    // A pending action is the "one request per click" record of something in flight.
    window: 'audit',
    parent: 'incident_actions',
    sql: `with doomed as (
            select id from incident_actions where created_at < $1 and state <> 'pending'
            limit $2 for update skip locked),
          gone as (delete from incident_actions a using doomed d where a.id = d.id returning 1)
          select (select count(*) from gone)::int as incident_actions`,
  },
  {
    // Active silences and those awaiting an approval are live; ended, failed and abandoned drafts are history.
    window: 'audit',
    parent: 'incident_silences',
    sql: `with doomed as (
            select id from incident_silences
            where coalesce(ends_at, created_at) < $1 and state in ('draft','expired','failed')
            limit $2 for update skip locked),
          gone as (delete from incident_silences s using doomed d where s.id = d.id returning 1)
          select (select count(*) from gone)::int as incident_silences`,
  },
  {
    window: 'noteDrafts',
    parent: 'incident_note_drafts',
    sql: `with doomed as (
            select id from incident_note_drafts where created_at < $1 limit $2 for update skip locked),
          gone as (delete from incident_note_drafts n using doomed d where n.id = d.id returning 1)
          select (select count(*) from gone)::int as incident_note_drafts`,
  },
  {
    // Resolved long ago, with nothing of it left that is still needed (a newer action or a live silence keeps it),
    // together with its threads and notes. A reopened incident is no longer resolved and is kept.
    window: 'audit',
    parent: 'incidents',
    sql: `with doomed as (
            select i.id from incidents i
            where i.status = 'resolved' and i.resolved_at < $1 and i.updated_at < $1
              and not exists (select 1 from incident_actions a where a.incident_id = i.id)
              and not exists (select 1 from incident_silences s where s.incident_id = i.id)
              and not exists (select 1 from incident_note_drafts n where n.incident_id = i.id)
            limit $2 for update skip locked),
          th as (delete from incident_threads t using doomed d where t.incident_id = d.id returning 1),
          nt as (delete from incident_notes n using doomed d where n.incident_id = d.id returning 1),
          gone as (delete from incidents i using doomed d where i.id = d.id returning 1)
          select (select count(*) from gone)::int as incidents, (select count(*) from th)::int as incident_threads,
                 (select count(*) from nt)::int as incident_notes`,
  },
  {
    // A post in the thread of a recorded incident, or of a note still recorded, stays: without it the note would be
    // posted again.
    window: 'chatPosts',
    parent: 'chat_posts',
    sql: `with doomed as (
            select p.post_id from chat_posts p
            where p.posted_at < $1
              and not exists (select 1 from incident_threads t where t.root_message_id = p.thread_id)
              and not exists (
                select 1 from incident_notes n
                where n.id = case when p.post_id ~ '^note:[0-9]{1,18}:' then split_part(p.post_id, ':', 2)::bigint end)
            limit $2 for update skip locked),
          gone as (delete from chat_posts p using doomed d where p.post_id = d.post_id returning 1)
          select (select count(*) from gone)::int as chat_posts`,
  },
  {
    // The card of a recorded incident's root answers clicks on it; other cards are old replies and approvals.
    window: 'chatPosts',
    parent: 'teams_cards',
    sql: `with doomed as (
            select c.conversation_key, c.activity_id from teams_cards c
            where c.updated_at < $1
              and not exists (select 1 from incident_threads t where t.root_message_id = c.activity_id)
            limit $2 for update skip locked),
          gone as (delete from teams_cards c using doomed d
                   where c.conversation_key = d.conversation_key and c.activity_id = d.activity_id returning 1)
          select (select count(*) from gone)::int as teams_cards`,
  },
  {
    window: 'chatPosts',
    parent: 'storm_windows',
    sql: `with doomed as (
            select platform, channel_id, window_start from storm_windows where window_start < $1
            limit $2 for update skip locked),
          gone as (delete from storm_windows w using doomed d
                   where w.platform = d.platform and w.channel_id = d.channel_id and w.window_start = d.window_start
                   returning 1)
          select (select count(*) from gone)::int as storm_windows`,
  },
  {
    // Each run's findings: what a schedule's digest compares with, and a weekly check's "same day last week".
    window: 'findingHistory',
    parent: 'finding_runs',
    sql: `with doomed as (
            select run_id from finding_runs where at < $1 limit $2 for update skip locked),
          gone as (delete from finding_runs r using doomed d where r.run_id = d.run_id returning 1)
          select (select count(*) from gone)::int as finding_runs`,
  },
  {
    // A finding no run has seen for the whole window (its target or check is gone); one still seen stays, however
    // old its "first seen" is.
    window: 'findingHistory',
    parent: 'finding_history',
    sql: `with doomed as (
            select system, target, code from finding_history where last_seen < $1 limit $2 for update skip locked),
          gone as (delete from finding_history h using doomed d
                   where h.system = d.system and h.target = d.target and h.code = d.code returning 1)
          select (select count(*) from gone)::int as finding_history`,
  },
  {
    // A cache: a principal pruned here is looked up again on its next action.
    window: 'identities',
    parent: 'identities',
    sql: `with doomed as (
            select principal from identities where resolved_at < $1 limit $2 for update skip locked),
          gone as (delete from identities i using doomed d where i.principal = d.principal returning 1)
          select (select count(*) from gone)::int as identities`,
  },
];

export interface PruneExpiredOptions {
  readonly db: pg.Pool;
  readonly policy: RetentionPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Checked between batches: a shutting-down worker stops after the current one. */
  readonly signal?: AbortSignal;
}

/**
 * Deletes what the retention policy no longer keeps, table by table, in batches of `policy.batchSize` parent rows
 * (one short statement each, so no lock is held for long), and adds the counts to `retention_pruned` after each
 * batch (the metric survives a crash mid-prune). Safe to run concurrently with itself.
 */
export async function pruneExpired(o: PruneExpiredOptions): Promise<PrunedCounts> {
  const total: PrunedCounts = {};
  const now = o.clock.now();
  for (const step of STEPS) {
    const cutoff = new Date(now - o.policy[step.window]);
    for (;;) {
      if (o.signal?.aborted) return total;
      const { rows } = await o.db.query<Record<string, number>>(step.sql, [cutoff, o.policy.batchSize]);
      const counts = Object.entries(rows[0] ?? {}).filter(([, n]) => n > 0);
      if (counts.length > 0) {
        await o.db.query(
          `insert into retention_pruned (table_name, rows, last_run_at)
           select t, n, now() from unnest($1::text[], $2::bigint[]) as u(t, n)
           on conflict (table_name) do update set rows = retention_pruned.rows + excluded.rows, last_run_at = now()`,
          [counts.map(([t]) => t), counts.map(([, n]) => n)],
        );
        for (const [table, n] of counts) total[table] = (total[table] ?? 0) + n;
      }
      if ((rows[0]?.[step.parent] ?? 0) < o.policy.batchSize) break;
    }
  }
  o.logger.info({ pruned: total }, 'retention prune done');
  return total;
}
