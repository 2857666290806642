/**
 * The `escalations` table (migration 010): one row per (system, target, finding code) and the conditional updates
 * that make a page happen once. Every event is sent only after its claim was won here; a claim records who holds it
 * and since when, so a worker that stopped mid-send leaves a claim that goes stale and is re-checked by a later run.
 */
import type pg from 'pg';
import type { EscalationLevel } from '../core/report.js';

export type EscalationState = 'triggering' | 'open' | 'resolving' | 'resolved' | 'rejected';

/** Which page a row is about. */
export interface EscalationKey {
  readonly system: string;
  readonly target: string;
  readonly code: string;
}

export interface EscalationRow extends EscalationKey {
  readonly state: EscalationState;
  readonly dedupKey: string;
  readonly streakSince: Date;
  readonly level: EscalationLevel;
  readonly summary: string;
  readonly workflow: string;
  readonly requestedBy: string;
  /** Set off by a probe that got no answer: cleared when a run whose probes all answered no longer reports it. */
  readonly fromProbe: boolean;
  readonly openedAt: Date | null;
  readonly resolvedAt: Date | null;
  readonly claimedAt: Date | null;
  readonly claimedBy: string | null;
  readonly lastError: string | null;
}

/** What a trigger claim records. */
export interface TriggerClaim extends EscalationKey {
  readonly dedupKey: string;
  /** First seen of the finding's current streak: a later streak may page again, this one only once. */
  readonly streakSince: Date;
  readonly level: EscalationLevel;
  readonly summary: string;
  readonly workflow: string;
  /** `auto` for a run; the principal who pressed Page on-call. */
  readonly requestedBy: string;
  /** The claim holder (an invocation or approval id). */
  readonly claimedBy: string;
  readonly now: Date;
  /** A claim older than this is a sender that stopped: re-claimable. */
  readonly staleMs: number;
  /** A person asked (Page on-call): claimable after a resolve of the same streak too. */
  readonly force?: boolean;
  /** The finding is a probe that got no answer (see {@link EscalationRow.fromProbe}). */
  readonly fromProbe?: boolean;
}

function toRow(r: Record<string, unknown>): EscalationRow {
  return {
    system: r.system as string,
    target: r.target as string,
    code: r.code as string,
    state: r.state as EscalationState,
    dedupKey: r.dedup_key as string,
    streakSince: r.streak_since as Date,
    level: r.level as EscalationLevel,
    summary: r.summary as string,
    workflow: r.workflow as string,
    requestedBy: r.requested_by as string,
    fromProbe: r.from_probe === true,
    openedAt: (r.opened_at as Date | null) ?? null,
    resolvedAt: (r.resolved_at as Date | null) ?? null,
    claimedAt: (r.claimed_at as Date | null) ?? null,
    claimedBy: (r.claimed_by as string | null) ?? null,
    lastError: (r.last_error as string | null) ?? null,
  };
}

/**
 * Claims the right to send a trigger. Won when no row exists; when the last page was resolved (or rejected) and this
 * is a later streak (or a person asked); or when an earlier claim went stale (its sender stopped before recording
 * the outcome: the condition still holds, so the same trigger is sent again — harmless, PagerDuty applies a trigger
 * with the same dedup_key to the open alert). Never won while a page is open or being sent: one trigger per streak.
 */
export async function claimTrigger(
  db: pg.Pool,
  c: TriggerClaim,
): Promise<{ won: true; retry: boolean } | { won: false; current: EscalationRow | undefined }> {
  const { rows } = await db.query(
    `insert into escalations as e
       (system, target, code, state, dedup_key, streak_since, level, summary, workflow, requested_by,
        claimed_at, claimed_by, updated_at, from_probe)
     values ($1,$2,$3,'triggering',$4,$5,$6,$7,$8,$9,$10,$11,$10,$14)
     on conflict (system, target, code) do update set
       state = 'triggering', dedup_key = excluded.dedup_key,
       streak_since = case when e.state = 'triggering' then e.streak_since else excluded.streak_since end,
       level = excluded.level, summary = excluded.summary, workflow = excluded.workflow,
       requested_by = case when e.state = 'triggering' then e.requested_by else excluded.requested_by end,
       from_probe = excluded.from_probe,
       opened_at = null, resolved_at = null,
       claimed_at = excluded.claimed_at, claimed_by = excluded.claimed_by, last_error = null,
       updated_at = excluded.updated_at
     where (e.state in ('resolved', 'rejected') and (e.streak_since < excluded.streak_since or $12::boolean))
        or (e.state = 'triggering' and e.claimed_at < $10::timestamptz - make_interval(secs => $13))
     returning (xmax = 0) as inserted, e.last_error`,
    [
      c.system,
      c.target,
      c.code,
      c.dedupKey,
      c.streakSince,
      c.level,
      c.summary,
      c.workflow,
      c.requestedBy,
      c.now,
      c.claimedBy,
      c.force === true,
      c.staleMs / 1000,
      c.fromProbe === true,
    ],
  );
  if (rows.length === 1) return { won: true, retry: rows[0].inserted === false };
  return { won: false, current: await getEscalation(db, c) };
}

/** Records PagerDuty's 202 for our claim: the page is open. */
export async function markOpen(db: pg.Pool, k: EscalationKey, claimedBy: string, dedupKey: string, now: Date) {
  const { rowCount } = await db.query(
    `update escalations set state = 'open', dedup_key = $5, opened_at = $6, claimed_at = null, claimed_by = null,
       last_error = null, updated_at = $6
     where system = $1 and target = $2 and code = $3 and state = 'triggering' and claimed_by = $4`,
    [k.system, k.target, k.code, claimedBy, dedupKey, now],
  );
  return rowCount === 1;
}

/**
 * Records a failed send of our claim. `retryable` (429, 5xx, network: maybe not ingested, maybe ingested): the claim
 * is made stale at once, so the next run re-checks the condition and sends again or resolves. Otherwise (400: the
 * event is invalid) the streak is `rejected` and never retried.
 */
export async function markSendFailed(
  db: pg.Pool,
  k: EscalationKey,
  claimedBy: string,
  o: { retryable: boolean; error: string; now: Date },
) {
  await db.query(
    `update escalations set
       state = case when $5 then state else 'rejected' end,
       claimed_at = case when $5 then 'epoch'::timestamptz else null end,
       last_error = $6, updated_at = $7
     where system = $1 and target = $2 and code = $3 and state in ('triggering', 'resolving') and claimed_by = $4`,
    [k.system, k.target, k.code, claimedBy, o.retryable, o.error.slice(0, 500), o.now],
  );
}

/**
 * Claims the right to send the resolve of an open page; also of a claim that went stale (its trigger's outcome is
 * unknown: a resolve is harmless either way, PagerDuty drops it when nothing is open).
 */
export async function claimResolve(
  db: pg.Pool,
  k: EscalationKey,
  o: { claimedBy: string; now: Date; staleMs: number },
): Promise<EscalationRow | undefined> {
  const { rows } = await db.query(
    `update escalations set state = 'resolving', claimed_at = $4, claimed_by = $5, updated_at = $4
     where system = $1 and target = $2 and code = $3
       and (state = 'open'
         or (state in ('triggering', 'resolving') and claimed_at < $4::timestamptz - make_interval(secs => $6)))
     returning *`,
    [k.system, k.target, k.code, o.now, o.claimedBy, o.staleMs / 1000],
  );
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** Records PagerDuty's 202 to our resolve. */
export async function markResolved(db: pg.Pool, k: EscalationKey, claimedBy: string, now: Date) {
  const { rowCount } = await db.query(
    `update escalations set state = 'resolved', resolved_at = $5, claimed_at = null, claimed_by = null,
       last_error = null, updated_at = $5
     where system = $1 and target = $2 and code = $3 and state = 'resolving' and claimed_by = $4`,
    [k.system, k.target, k.code, claimedBy, now],
  );
  return rowCount === 1;
}

export async function getEscalation(db: pg.Pool, k: EscalationKey): Promise<EscalationRow | undefined> {
  const { rows } = await db.query(`select * from escalations where system = $1 and target = $2 and code = $3`, [
    k.system,
    k.target,
    k.code,
  ]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** Pages not resolved (open, or being sent), of one target or of all, oldest first. */
export async function listUnresolved(
  db: pg.Pool,
  where: { system: string; target: string } | undefined = undefined,
): Promise<EscalationRow[]> {
  const { rows } = where
    ? await db.query(
        `select * from escalations where state in ('triggering', 'open', 'resolving') and system = $1 and target = $2
         order by coalesce(opened_at, updated_at)`,
        [where.system, where.target],
      )
    : await db.query(
        `select * from escalations where state in ('triggering', 'open', 'resolving')
         order by coalesce(opened_at, updated_at)`,
      );
  return rows.map(toRow);
}

/**
 * Pages PagerDuty refused (400, never retried for their streak) whose finding is still open in the finding history:
 * conditions the runbook pages for that nobody was paged about.
 */
export async function listRefusedOpen(db: pg.Pool): Promise<EscalationRow[]> {
  const { rows } = await db.query(
    `select e.* from escalations e
     join finding_history h on h.system = e.system and h.target = e.target and h.code = e.code
     where e.state = 'rejected' and h.cleared_at is null and h.severity <> 'ok'
     order by e.updated_at`,
  );
  return rows.map(toRow);
}
