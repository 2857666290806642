import type pg from 'pg';
import type { Invocation } from '../core/invocation.js';
import type { Severity } from '../core/report.js';

export type InvocationStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'rejected';

/** An audit row: who ran what, where, when, against which target, and the outcome. */
export interface InvocationRecord {
  readonly id: string;
  readonly platform: string;
  readonly channelId: string;
  readonly userId: string;
  readonly system: string;
  readonly workflow: string;
  readonly target: string | null;
  readonly args: Record<string, string>;
  readonly status: InvocationStatus;
  readonly verdict: Severity | null;
  readonly summary: string | null;
  readonly errorCode: string | null;
  readonly requestedAt: Date;
  readonly finishedAt: Date | null;
}

/** Records an invocation; a second call with the same id (a redelivered job) changes nothing. */
export async function recordInvocation(db: pg.Pool, inv: Invocation, status: InvocationStatus): Promise<void> {
  await db.query(
    `insert into invocations (id, platform, team_id, channel_id, user_id, system, workflow, target, args, status, requested_at)
     values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
     on conflict (id) do nothing`,
    [
      inv.invocationId,
      inv.actor.platform,
      inv.conversation.teamId ?? null,
      inv.conversation.channelId,
      inv.actor.userId,
      inv.system,
      inv.workflow,
      inv.target || null,
      JSON.stringify(inv.args),
      status,
      inv.requestedAt,
    ],
  );
}

/** Marks an invocation as started. */
export async function markInvocationRunning(db: pg.Pool, id: string): Promise<void> {
  await db.query(
    `update invocations set status = 'running', started_at = coalesce(started_at, now()) where id = $1 and status in ('queued','running')`,
    [id],
  );
}

/** Records the outcome. */
export async function finishInvocation(
  db: pg.Pool,
  id: string,
  outcome: { status: 'succeeded' | 'failed' | 'rejected'; verdict?: Severity; summary?: string; errorCode?: string },
): Promise<void> {
  await db.query(
    `update invocations set status = $2, verdict = $3, summary = $4, error_code = $5, finished_at = now() where id = $1`,
    [id, outcome.status, outcome.verdict ?? null, outcome.summary ?? null, outcome.errorCode ?? null],
  );
}

const SELECT_COLUMNS = `id, platform, channel_id, user_id, system, workflow, target, args, status, verdict, summary,
  error_code, requested_at, finished_at`;

function toRecord(r: Record<string, unknown>): InvocationRecord {
  return {
    id: r.id as string,
    platform: r.platform as string,
    channelId: r.channel_id as string,
    userId: r.user_id as string,
    system: r.system as string,
    workflow: r.workflow as string,
    target: r.target as string | null,
    args: r.args as Record<string, string>,
    status: r.status as InvocationStatus,
    verdict: r.verdict as Severity | null,
    summary: r.summary as string | null,
    errorCode: r.error_code as string | null,
    requestedAt: r.requested_at as Date,
    finishedAt: r.finished_at as Date | null,
  };
}

/** Most recent invocations first. */
export async function listInvocations(db: pg.Pool, limit: number): Promise<InvocationRecord[]> {
  const { rows } = await db.query(`select ${SELECT_COLUMNS} from invocations order by requested_at desc, id limit $1`, [
    limit,
  ]);
  return rows.map(toRecord);
}
