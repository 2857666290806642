import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Conversation, Platform } from '../core/invocation.js';

/**
 * `pending → approved | denied | expired`, `approved → executing | skipped`,
 * `executing → succeeded | failed | outcome-unknown | skipped` (skipped: the fix's own check refused before its write). Every transition is one conditional UPDATE guarded by the
 * expected state, so two approvers, a double click or two workers can never both win.
 */
export type ApprovalState =
  'pending' | 'approved' | 'denied' | 'expired' | 'executing' | 'succeeded' | 'failed' | 'outcome-unknown' | 'skipped';

export interface ApprovalRecord {
  readonly id: string;
  readonly offerId: string | null;
  readonly invocationId: string | null;
  readonly system: string;
  readonly target: string;
  readonly remediation: string;
  readonly params: Readonly<Record<string, string>>;
  readonly paramsHash: string;
  readonly level: 'approval' | 'confirm';
  readonly state: ApprovalState;
  /** Principal, `slack:U…`. */
  readonly requester: string;
  readonly conversation: Conversation;
  readonly findingCode: string | null;
  /** Why: the finding and its evidence. */
  readonly reason: string | null;
  readonly requestedAt: Date;
  readonly expiresAt: Date;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly result: string | null;
  readonly cardMessageId: string | null;
  /**
   * Where the card lives, recorded when it is posted: the only place a decision counts. For rows from before
   * migration 005 (and until the card is posted) the conversation's platform and channel.
   */
  readonly card: { readonly platform: Platform; readonly channelId: string; readonly messageId: string | null };
}

export interface ApprovalEvent {
  readonly approvalId: string;
  readonly fromState: ApprovalState | null;
  readonly toState: ApprovalState;
  readonly actor: string | null;
  readonly detail: string | null;
  readonly at: Date;
}

function toRecord(r: Record<string, unknown>): ApprovalRecord {
  return {
    id: r.id as string,
    offerId: r.offer_id as string | null,
    invocationId: r.invocation_id as string | null,
    system: r.system as string,
    target: r.target as string,
    remediation: r.remediation as string,
    params: r.params as Record<string, string>,
    paramsHash: r.params_hash as string,
    level: r.level as 'approval' | 'confirm',
    state: r.state as ApprovalState,
    requester: r.requester as string,
    conversation: r.conversation as Conversation,
    findingCode: r.finding_code as string | null,
    reason: r.reason as string | null,
    requestedAt: r.requested_at as Date,
    expiresAt: r.expires_at as Date,
    decidedBy: r.decided_by as string | null,
    decidedAt: r.decided_at as Date | null,
    startedAt: r.started_at as Date | null,
    finishedAt: r.finished_at as Date | null,
    result: r.result as string | null,
    cardMessageId: r.card_message_id as string | null,
    card: {
      platform: ((r.card_platform as string | null) ?? (r.conversation as Conversation).platform) as Platform,
      channelId: (r.card_channel_id as string | null) ?? (r.conversation as Conversation).channelId,
      messageId: r.card_message_id as string | null,
    },
  };
}

/** A stable hash of the exact step: system, target, remediation and its parameters (sorted). */
export function hashStep(system: string, target: string, remediation: string, params: Record<string, string>): string {
  const canonical = JSON.stringify([
    system,
    target,
    remediation,
    Object.entries(params).sort(([a], [b]) => a.localeCompare(b)),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** An opaque, unguessable id (`apr_…`, `ofr_…`): buttons carry nothing else. */
export function newOpaqueId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

export interface NewApproval {
  readonly id: string;
  readonly offerId?: string;
  readonly invocationId?: string;
  readonly system: string;
  readonly target: string;
  readonly remediation: string;
  readonly params: Record<string, string>;
  readonly level: 'approval' | 'confirm';
  readonly requester: string;
  readonly conversation: Conversation;
  readonly findingCode?: string;
  readonly reason?: string;
  readonly nowMs: number;
  readonly ttlMs: number;
}

/**
 * Creates a pending request. Idempotent on `id` (a retried job returns the existing row). When the same offer
 * already has an open request, returns that one with `created: false`.
 */
export async function createApproval(
  db: pg.Pool,
  a: NewApproval,
): Promise<{ record: ApprovalRecord; created: boolean }> {
  const client = await db.connect();
  try {
    await client.query('begin');
    const existing = await client.query(`select * from approvals where id = $1`, [a.id]);
    if (existing.rows[0]) {
      await client.query('commit');
      return { record: toRecord(existing.rows[0]), created: false };
    }
    if (a.offerId) {
      const open = await client.query(
        `select * from approvals where offer_id = $1 and state in ('pending','approved','executing') for update`,
        [a.offerId],
      );
      if (open.rows[0]) {
        await client.query('commit');
        return { record: toRecord(open.rows[0]), created: false };
      }
    }
    const now = new Date(a.nowMs);
    const { rows } = await client.query(
      `insert into approvals (id, offer_id, invocation_id, system, target, remediation, params, params_hash, level, state,
                              requester, conversation, finding_code, reason, requested_at, expires_at)
       values ($1,$2,$3,$4,$5,$6,$7,$8,$9,'pending',$10,$11,$12,$13,$14,$15)
       returning *`,
      [
        a.id,
        a.offerId ?? null,
        a.invocationId ?? null,
        a.system,
        a.target,
        a.remediation,
        JSON.stringify(a.params),
        hashStep(a.system, a.target, a.remediation, a.params),
        a.level,
        a.requester,
        JSON.stringify(a.conversation),
        a.findingCode ?? null,
        a.reason ?? null,
        now,
        new Date(a.nowMs + a.ttlMs),
      ],
    );
    await client.query(
      `insert into approval_events (approval_id, from_state, to_state, actor, detail, at) values ($1, null, 'pending', $2, $3, $4)`,
      [a.id, a.requester, 'requested', now],
    );
    await client.query('commit');
    return { record: toRecord(rows[0]), created: true };
  } catch (err) {
    await client.query('rollback').catch(() => {});
    // Two concurrent clicks on one offer: the unique index lets one insert win; return the winner.
    if ((err as { code?: string }).code === '23505' && a.offerId) {
      const { rows } = await db.query(
        `select * from approvals where offer_id = $1 and state in ('pending','approved','executing')`,
        [a.offerId],
      );
      if (rows[0]) return { record: toRecord(rows[0]), created: false };
    }
    throw err;
  } finally {
    client.release();
  }
}

export interface TransitionOptions {
  readonly actor?: string;
  readonly detail?: string;
  readonly nowMs: number;
  /** Only while `expires_at` is in the future (approve, confirm). */
  readonly requireUnexpired?: boolean;
  /** Sets `decided_by`/`decided_at`. */
  readonly decision?: boolean;
  /** Sets `started_at`. */
  readonly start?: boolean;
  /** Sets `finished_at` and `result`. */
  readonly result?: string;
}

/**
 * Moves an approval from one of `from` to `to` in one conditional UPDATE, and records the audit event in the same
 * statement. Returns the updated row, or undefined when the row was not in an expected state (someone else won).
 */
export async function transition(
  db: pg.Pool,
  id: string,
  from: readonly ApprovalState[],
  to: ApprovalState,
  o: TransitionOptions,
): Promise<ApprovalRecord | undefined> {
  const now = new Date(o.nowMs);
  const { rows } = await db.query(
    `with prev as (
       select state from approvals where id = $1
     ), upd as (
       update approvals set
         state = $3,
         decided_by  = case when $5::boolean then $4 else decided_by end,
         decided_at  = case when $5::boolean then $6 else decided_at end,
         started_at  = case when $7::boolean then $6 else started_at end,
         finished_at = case when $8::text is not null then $6 else finished_at end,
         result      = coalesce($8::text, result)
       where id = $1 and state = any($2::text[]) and (not $9::boolean or expires_at > $6)
       returning *
     ), ev as (
       insert into approval_events (approval_id, from_state, to_state, actor, detail, at)
       select upd.id, (select state from prev), $3, $4, $10, $6 from upd
     )
     select * from upd`,
    [
      id,
      from,
      to,
      o.actor ?? null,
      o.decision ?? false,
      now,
      o.start ?? false,
      o.result ?? null,
      o.requireUnexpired ?? false,
      o.detail ?? null,
    ],
  );
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export async function getApproval(db: pg.Pool, id: string): Promise<ApprovalRecord | undefined> {
  const { rows } = await db.query(`select * from approvals where id = $1`, [id]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** Records where the card was posted, once (a retried job keeps the first card). */
export async function setCardMessage(
  db: pg.Pool,
  id: string,
  card: { readonly platform: Platform; readonly channelId: string; readonly messageId: string },
): Promise<void> {
  await db.query(
    `update approvals set card_message_id = $2, card_platform = $3, card_channel_id = $4
      where id = $1 and card_message_id is null`,
    [id, card.messageId, card.platform, card.channelId],
  );
}

/**
 * Records a refused decision in the audit trail (no state change: from and to are the current state) — e.g. a click
 * that did not come from the request's card.
 */
export async function recordRefusal(
  db: pg.Pool,
  id: string,
  state: ApprovalState,
  actor: string,
  detail: string,
  nowMs: number,
): Promise<void> {
  await db.query(
    `insert into approval_events (approval_id, from_state, to_state, actor, detail, at) values ($1, $2, $2, $3, $4, $5)`,
    [id, state, actor, detail, new Date(nowMs)],
  );
}

/** Pending requests, oldest first. */
export async function listPending(db: pg.Pool): Promise<ApprovalRecord[]> {
  const { rows } = await db.query(`select * from approvals where state = 'pending' order by requested_at`);
  return rows.map(toRecord);
}

/** Pending requests whose expiry has passed. */
export async function listExpiredPending(db: pg.Pool, nowMs: number): Promise<ApprovalRecord[]> {
  const { rows } = await db.query(`select * from approvals where state = 'pending' and expires_at <= $1`, [
    new Date(nowMs),
  ]);
  return rows.map(toRecord);
}

/** Approved but not started for a while (its job may have been lost with Redis): to re-enqueue. */
export async function listStaleApproved(db: pg.Pool, olderThanMs: number, nowMs: number): Promise<ApprovalRecord[]> {
  const { rows } = await db.query(`select * from approvals where state = 'approved' and decided_at <= $1`, [
    new Date(nowMs - olderThanMs),
  ]);
  return rows.map(toRecord);
}

/** Steps `executing` since at least `olderThanMs`: their worker died and their job was lost or failed for good. */
export async function listStaleExecuting(db: pg.Pool, olderThanMs: number, nowMs: number): Promise<ApprovalRecord[]> {
  const { rows } = await db.query(`select * from approvals where state = 'executing' and started_at <= $1`, [
    new Date(nowMs - olderThanMs),
  ]);
  return rows.map(toRecord);
}

export async function listEvents(db: pg.Pool, approvalId: string): Promise<ApprovalEvent[]> {
  const { rows } = await db.query(
    `select approval_id, from_state, to_state, actor, detail, at from approval_events where approval_id = $1 order by id`,
    [approvalId],
  );
  return rows.map((r) => ({
    approvalId: r.approval_id,
    fromState: r.from_state,
    toState: r.to_state,
    actor: r.actor,
    detail: r.detail,
    at: r.at,
  }));
}

/** Recent approval events, newest first (for `/runbook audit`). */
export async function listRecentEvents(
  db: pg.Pool,
  limit: number,
): Promise<(ApprovalEvent & { remediation: string; target: string; system: string })[]> {
  const { rows } = await db.query(
    `select e.approval_id, e.from_state, e.to_state, e.actor, e.detail, e.at, a.remediation, a.target, a.system
       from approval_events e join approvals a on a.id = e.approval_id
      order by e.id desc limit $1`,
    [limit],
  );
  return rows.map((r) => ({
    approvalId: r.approval_id,
    fromState: r.from_state,
    toState: r.to_state,
    actor: r.actor,
    detail: r.detail,
    at: r.at,
    remediation: r.remediation,
    target: r.target,
    system: r.system,
  }));
}

/** Offers: a fix shown as a button on a posted report. */
export interface ActionOffer {
  readonly id: string;
  readonly invocationId: string;
  readonly system: string;
  readonly target: string;
  readonly remediation: string;
  readonly params: Record<string, string>;
  readonly findingCode: string | null;
  readonly findingTitle: string | null;
  readonly findingEvidence: string | null;
}

export async function saveOffer(db: pg.Pool, o: ActionOffer): Promise<void> {
  await db.query(
    `insert into action_offers (id, invocation_id, system, target, remediation, params, finding_code, finding_title, finding_evidence)
     values ($1,$2,$3,$4,$5,$6,$7,$8,$9) on conflict (id) do nothing`,
    [
      o.id,
      o.invocationId,
      o.system,
      o.target,
      o.remediation,
      JSON.stringify(o.params),
      o.findingCode,
      o.findingTitle,
      o.findingEvidence,
    ],
  );
}

export async function getOffer(db: pg.Pool, id: string): Promise<ActionOffer | undefined> {
  const { rows } = await db.query(`select * from action_offers where id = $1`, [id]);
  const r = rows[0];
  return r
    ? {
        id: r.id,
        invocationId: r.invocation_id,
        system: r.system,
        target: r.target,
        remediation: r.remediation,
        params: r.params,
        findingCode: r.finding_code,
        findingTitle: r.finding_title,
        findingEvidence: r.finding_evidence,
      }
    : undefined;
}

/** The newest offer (the demo's `click latest`). */
export async function latestOfferId(db: pg.Pool): Promise<string | undefined> {
  const { rows } = await db.query(`select id from action_offers order by created_at desc, id limit 1`);
  return rows[0]?.id;
}

/** The newest request in any state (the demo's `approve latest`). */
export async function latestApprovalId(db: pg.Pool): Promise<string | undefined> {
  const { rows } = await db.query(`select id from approvals order by requested_at desc, id limit 1`);
  return rows[0]?.id;
}
