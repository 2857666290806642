import { redactSecrets } from '../core/redact.js';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { ChatTransport } from '../core/chat-transport.js';
import type { Clock } from '../core/clock.js';
import type { IncidentStatus } from '../core/alert.js';
import type { IncidentActionKind } from '../core/incident.js';
import type { Actor, Conversation, Platform } from '../core/invocation.js';
import type { Logger } from '../core/logger.js';
import type { IdentityMap, PagerDutyIdentity } from './identity-map.js';
import { loadIncident, loadThreads, type IncidentRecord } from './incident-store.js';

/** The PagerDuty REST calls the buttons make (integrations/pagerduty/rest-writer.ts). */
export interface PagerDutyIncidentWriter {
  getIncident(id: string): Promise<{
    status: IncidentStatus;
    escalation_level?: number;
    assignments?: { assignee: { id: string } }[];
    acknowledgements?: { acknowledger: { id?: unknown; summary?: string } }[];
  }>;
  updateIncident(
    id: string,
    fromEmail: string,
    update:
      | { status: 'acknowledged' | 'resolved' }
      | { escalation_level: number }
      | { assignments: { assignee: { id: string; type: 'user_reference' } }[] },
  ): Promise<unknown>;
  addNote(id: string, fromEmail: string, content: string): Promise<string>;
  /** The incident's notes: a retry after a crash looks for its note here before posting it again. */
  listNotes(id: string): Promise<{ content: string; userId?: string }[]>;
}

/** The shape of `PagerDutyApiError` (status, error code, detail, Retry-After), matched by name across modules. */
interface ApiErrorShape {
  readonly name: 'PagerDutyApiError';
  readonly status: number;
  readonly code?: number;
  readonly detail: string;
  readonly retryAfterS?: number;
}

function isApiError(err: unknown): err is ApiErrorShape {
  return err instanceof Error && err.name === 'PagerDutyApiError';
}

/** A click on a PagerDuty incident's root (job data of `incident-actions`, already validated). */
export interface IncidentActionRequest {
  readonly incidentId: string;
  readonly action: IncidentActionKind;
  readonly noteDraftId?: string;
  readonly actor: Actor;
  readonly conversation: Conversation;
  readonly deliveryKey: string;
  /**
   * When the click was queued (ms since the epoch; the job's timestamp). Escalate binds to what the card showed then:
   * an escalation recorded after it was not seen by the clicker, so the click does not escalate a second level.
   */
  readonly clickedAt?: number;
}

export interface IncidentActionDeps {
  readonly db: pg.Pool;
  /** Absent without `PAGERDUTY_API_TOKEN`. */
  readonly pagerduty?: PagerDutyIncidentWriter;
  /** Whether the key may write (probed once at start); the buttons are off otherwise. */
  readonly pagerdutyWritable: () => Promise<{ writable: boolean; reason: string }>;
  readonly identities?: IdentityMap;
  readonly transports: Readonly<Partial<Record<Platform, ChatTransport>>>;
  /** Queues the reconcile of the incident's threads (root update, thread line). */
  readonly refreshThreads: (incidentId: string) => Promise<void>;
  readonly clock: Clock;
  readonly logger: Logger;
}

export type IncidentActionOutcome = 'succeeded' | 'failed' | 'refused' | 'duplicate';

const PLATFORM_NAME: Record<string, string> = { slack: 'Slack', teams: 'Teams', terminal: 'the terminal' };

/** How long a webhook for the incident counts as the echo of our own write, ms (platforms-2.md §1.5). */
const ECHO_WINDOW_MS = 2 * 60_000;

/** A pending action older than this was abandoned by its worker, ms. */
const STALE_PENDING_MS = 2 * 60_000;

/**
 * How long after a write was sent its answer may still come (the REST writer's 8 s timeout, and a margin), ms: a
 * retry of a pending action re-checks PagerDuty only after this, so it never races the worker still waiting for it.
 */
const WRITE_SETTLE_MS = 10_000;

/** The record id of one click: the same click redelivered maps onto the same row. */
export function actionIdFor(deliveryKey: string): string {
  return `act_${createHash('sha256').update(deliveryKey).digest('hex').slice(0, 24)}`;
}

const DONE_VERB: Record<string, string> = {
  acknowledge: 'Acknowledged',
  resolve: 'Resolved',
  escalate: 'Escalated',
  reassign: 'Reassigned',
  note: 'Note added',
};

const DOING: Record<string, string> = {
  acknowledge: 'acknowledging',
  resolve: 'resolving',
  escalate: 'escalating',
  reassign: 'reassigning',
  note: 'adding a note to',
};

/** The status PagerDuty reaches after the action (the echo's event type), if the action changes it. */
function targetStatus(action: IncidentActionKind): IncidentStatus | undefined {
  return action === 'acknowledge' ? 'acknowledged' : action === 'resolve' ? 'resolved' : undefined;
}

/** Why an action cannot apply to an incident in `status` (PagerDuty's current word), or undefined when it can. */
function movedOn(action: IncidentActionKind, status: IncidentStatus): string | undefined {
  if (status === 'resolved') return 'it is already resolved';
  if (action === 'acknowledge' && status === 'acknowledged') return 'it is already acknowledged';
  return undefined;
}

/** The chat user's words for a PagerDuty refusal: the cause, never a stack or a token. */
export function describePagerDutyError(err: unknown): string {
  if (!isApiError(err)) return 'the bot could not reach PagerDuty';
  // PagerDuty's error text is joined from its `errors` list: secrets out first, then bounded (a cut through a secret
  // would leave a prefix the redaction no longer recognises).
  const detail = boundedText(redactSecrets(err.detail), 300);
  if (err.status === 0) return `PagerDuty could not be reached (${detail})`;
  if (err.status === 429) {
    return `PagerDuty is rate limiting the bot${err.retryAfterS !== undefined ? `; try again in ${err.retryAfterS} s` : '; try again in a minute'}`;
  }
  if (err.status === 401) return 'PagerDuty refused the bot’s API key (401)';
  if (err.status === 403) return 'the bot’s PagerDuty key has no write permission (403 Access Denied)';
  if (err.code === 1001) return 'PagerDuty says the incident is already resolved';
  if (err.code === 1002) return 'PagerDuty says the incident is already acknowledged';
  if (err.code === 1006) return 'PagerDuty cannot escalate it further (no next level in its escalation policy)';
  if (err.code === 1008 || err.code === 2013) return 'PagerDuty does not know your user';
  if (err.status === 404) return 'PagerDuty no longer knows this incident (404)';
  return `PagerDuty answered ${err.status}${err.code !== undefined ? ` (code ${err.code})` : ''}: ${detail}`;
}

function boundedText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Carries out one click on a PagerDuty incident's root as the clicking person: resolves who they are in PagerDuty
 * (refused privately, nothing sent, when nobody matches), takes the incident's one pending-action slot in Postgres
 * (so a double click, ten concurrent clicks or a Slack retry make one request, across every worker process), checks
 * PagerDuty's current state (an incident that moved on is refused with that state), sends the write with `From`,
 * then records the outcome, the new state ("acknowledged by <name> from Slack") and one thread line in one
 * transaction, and remembers it for the webhook echo. Errors are told privately with their cause.
 */
export async function runPagerDutyAction(
  req: IncidentActionRequest,
  deps: IncidentActionDeps,
): Promise<IncidentActionOutcome> {
  const id = actionIdFor(req.deliveryKey);
  const principal = `${req.actor.platform}:${req.actor.userId}`;
  const log = deps.logger.child({ incidentId: req.incidentId, action: req.action, actionId: id });
  const tell = (text: string) => tellPrivately(deps, req, text);

  const { rows: seen } = await deps.db.query(
    `select state, sent_at, sends, escalate_from, escalate_to from incident_actions where id = $1`,
    [id],
  );
  // A retry of this click (BullMQ re-runs a job whose worker stalled or threw): its row is still pending.
  const resumed = seen[0]?.state === 'pending' ? (seen[0] as PendingRow) : undefined;
  if (seen[0] && !resumed) return 'duplicate';
  const incident = await loadIncident(deps.db, req.incidentId);
  if (!incident || incident.source !== 'pagerduty') {
    await tell('This button belongs to an incident the bot does not know as a PagerDuty incident; nothing was sent.');
    return 'refused';
  }
  const refuse = async (why: string, pdUserId?: string) => {
    if (resumed) {
      await deps.db.query(
        `update incident_actions set state = 'refused', detail = $2, finished_at = now() where id = $1`,
        [id, why.slice(0, 1000)],
      );
    }
    await record(deps.db, { id, req, principal, state: 'refused', detail: why, pdUserId });
    await tell(why);
    log.info({ reason: why.slice(0, 200) }, 'incident action refused');
    return 'refused' as const;
  };

  const access = await deps.pagerdutyWritable();
  if (!deps.pagerduty || !deps.identities || !access.writable) {
    return refuse(`The incident buttons are off: ${access.reason}. Nothing was sent to PagerDuty.`);
  }
  const who = await deps.identities.resolve(req.actor, req.conversation);
  if (who.kind === 'unmatched') return refuse(who.reason);
  const user = who.user;

  let note: string | undefined;
  if (req.action === 'note') {
    const { rows } = await deps.db.query(`select text from incident_note_drafts where id = $1 and incident_id = $2`, [
      req.noteDraftId ?? '',
      req.incidentId,
    ]);
    note = rows[0]?.text;
    if (!note) return refuse('The note did not arrive (empty, or too old); nothing was sent to PagerDuty.', user.id);
  }

  if (resumed?.sent_at) return resume(deps, req, id, incident, user, note, resumed, log);

  // A slot left pending by a worker that stopped mid-action (crash, deploy) is released: its outcome is unknown.
  await deps.db.query(
    `update incident_actions set state = 'failed', finished_at = now(),
       detail = 'outcome unknown: the worker stopped while carrying it out'
     where incident_id = $1 and state = 'pending' and created_at < now() - make_interval(secs => $2) and id <> $3`,
    [req.incidentId, STALE_PENDING_MS / 1000, id],
  );
  // The one pending slot of this incident: concurrent clicks (any process) find it taken and send nothing.
  const taken = resumed
    ? { rowCount: 1 } // the retry of a click whose worker stopped before sending anything: its slot is still held
    : await deps.db.query(
        `insert into incident_actions (id, incident_id, action, actor, actor_name, platform, state, pagerduty_user_id)
     values ($1, $2, $3, $4, $5, $6, 'pending', $7)
     on conflict do nothing`,
        [id, req.incidentId, req.action, principal, user.name ?? req.actor.name ?? null, req.actor.platform, user.id],
      );
  if (taken.rowCount === 0) {
    const { rows } = await deps.db.query(
      `select id, action, actor, actor_name from incident_actions where incident_id = $1 and state = 'pending'`,
      [req.incidentId],
    );
    const other = rows[0];
    if (!other || other.id === id) return 'duplicate';
    // A double click by the same person on the same button: the first click is being carried out; say nothing.
    if (other.actor === principal && other.action === req.action) return 'duplicate';
    await tell(
      `${other.actor_name ?? 'Someone'} is ${DOING[other.action] ?? 'changing'} this incident right now; nothing was sent. Look at the thread in a moment.`,
    );
    return 'duplicate';
  }

  let sending = false;
  try {
    const local = movedOn(req.action, incident.status);
    if (local && req.action !== 'note') {
      return await finish(deps, id, 'refused', `Not sent: ${describeState(incident, local)}.`, req, log);
    }
    // PagerDuty's own state right now: the thread may be behind (a webhook still on its way).
    const current = await deps.pagerduty.getIncident(incident.externalId);
    const remote = movedOn(req.action, current.status);
    if (remote && req.action !== 'note') {
      return await finish(
        deps,
        id,
        'refused',
        `Not sent: PagerDuty says ${remote.replace(/^it is/, 'the incident is')} (status ${current.status}).`,
        req,
        log,
      );
    }
    let level: { from: number; to: number } | undefined;
    if (req.action === 'escalate') {
      const from = current.escalation_level ?? 1;
      const unseen = await escalatedSince(deps.db, incident, req.clickedAt);
      if (unseen) {
        return await finish(
          deps,
          id,
          'refused',
          `Not sent: the incident was already escalated to level ${from} by ${unseen} after you clicked; nothing was sent. Click Escalate again to go further.`,
          req,
          log,
        );
      }
      level = { from, to: from + 1 };
    }
    // Sent from here on: a retry after a crash re-checks PagerDuty instead of sending again.
    // Claimed only if nothing was sent yet: a retry racing the run it retries (a stalled job taken over while its
    // worker still runs) sends nothing a second time.
    const claimed = await deps.db.query(
      `update incident_actions set sent_at = now(), sends = sends + 1, escalate_from = $2, escalate_to = $3
       where id = $1 and state = 'pending' and sent_at is null`,
      [id, level?.from ?? null, level?.to ?? null],
    );
    if (claimed.rowCount === 0) return 'duplicate';
    sending = true;
    await send(deps.pagerduty, incident, req.action, user, level, note);
  } catch (err) {
    // The write went out and no answer came (timeout, connection cut): it may have landed. The job's retry
    // re-checks PagerDuty (the row stays pending with sent_at) instead of saying "nothing changed".
    if (sending && isApiError(err) && err.status === 0) throw err;
    const why = describePagerDutyError(err);
    log.warn(
      { err: { name: (err as Error).name, status: isApiError(err) ? err.status : undefined } },
      'incident action failed',
    );
    return finish(
      deps,
      id,
      'failed',
      `${DONE_VERB[req.action] ?? 'Action'} failed: ${why}. Nothing changed.`,
      req,
      log,
    );
  }

  const platformName = PLATFORM_NAME[req.actor.platform] ?? req.actor.platform;
  const name = user.name ?? req.actor.name ?? principal;
  const line = threadLine(req.action, name, platformName, note, levelOf(req.action, await levelsOf(deps.db, id)));
  await applySuccess(deps.db, id, incident, req.action, `${name} from ${platformName}`, line, deps.clock);
  await deps.refreshThreads(req.incidentId);
  log.info({ pagerdutyUser: user.id }, 'incident action sent to PagerDuty');
  return 'succeeded';
}

/** An action row left pending by an earlier run of the same click. */
interface PendingRow {
  sent_at: Date | null;
  sends: number;
  escalate_from: number | null;
  escalate_to: number | null;
}

async function levelsOf(db: pg.Pool, id: string): Promise<PendingRow | undefined> {
  const { rows } = await db.query(
    `select sent_at, sends, escalate_from, escalate_to from incident_actions where id = $1`,
    [id],
  );
  return rows[0] as PendingRow | undefined;
}

const levelOf = (action: IncidentActionKind, row: PendingRow | undefined) =>
  action === 'escalate' ? (row?.escalate_to ?? undefined) : undefined;

/**
 * Who escalated the incident after `clickedAt` (an escalate click through the bot, or PagerDuty's incident.escalated
 * webhook), or undefined: the clicker did not see that escalation, so their click must not add a second one.
 */
async function escalatedSince(
  db: pg.Pool,
  incident: IncidentRecord,
  clickedAt: number | undefined,
): Promise<string | undefined> {
  if (clickedAt === undefined) return undefined;
  const at = new Date(clickedAt);
  const { rows: ours } = await db.query(
    `select actor_name, actor from incident_actions where incident_id = $1 and action = 'escalate'
       and state = 'succeeded' and finished_at > $2 order by finished_at desc limit 1`,
    [incident.id, at],
  );
  if (ours[0]) return (ours[0].actor_name as string | null) ?? (ours[0].actor as string);
  const { rows: theirs } = await db.query(
    `select event->>'actor' as actor from alert_events where source = 'pagerduty' and external_id = $1
       and event_type = 'incident.escalated' and occurred_at > $2 order by occurred_at desc limit 1`,
    [incident.externalId, at],
  );
  if (theirs[0]) return (theirs[0].actor as string | null) ?? 'someone in PagerDuty';
  return undefined;
}

/** Whether the write of a pending action is visible in PagerDuty now, and what PagerDuty shows. */
async function landed(
  pd: PagerDutyIncidentWriter,
  incident: IncidentRecord,
  action: IncidentActionKind,
  user: PagerDutyIdentity,
  row: PendingRow,
  note: string | undefined,
): Promise<{ kind: 'done' | 'not-done' | 'unknown'; shows: string }> {
  if (action === 'note') {
    const notes = await pd.listNotes(incident.externalId);
    const found = notes.some((n) => n.content === note);
    return { kind: found ? 'done' : 'not-done', shows: found ? 'the note among its notes' : 'no such note' };
  }
  const now = await pd.getIncident(incident.externalId);
  const level = now.escalation_level;
  const shows = `status ${now.status}${level !== undefined ? `, escalation level ${level}` : ''}`;
  switch (action) {
    case 'acknowledge': {
      if (now.status === 'triggered') return { kind: 'not-done', shows };
      if (now.status === 'resolved') return { kind: 'unknown', shows };
      const by = now.acknowledgements?.map((a) => a.acknowledger) ?? [];
      const other = by.length > 0 && !by.some((a) => a.id === user.id);
      return other
        ? { kind: 'unknown', shows: `${shows} by ${by[0]?.summary ?? 'someone else'}` }
        : { kind: 'done', shows };
    }
    case 'resolve':
      return { kind: now.status === 'resolved' ? 'done' : 'not-done', shows };
    case 'escalate':
      if (level === row.escalate_to) return { kind: 'done', shows };
      if (level === row.escalate_from && now.status !== 'resolved') return { kind: 'not-done', shows };
      return { kind: 'unknown', shows };
    case 'reassign': {
      const mine = (now.assignments ?? []).some((a) => a.assignee.id === user.id);
      if (mine) return { kind: 'done', shows: `${shows}, assigned to you` };
      return { kind: now.status === 'resolved' ? 'unknown' : 'not-done', shows };
    }
    default:
      return { kind: 'unknown', shows };
  }
}

/**
 * The retry of a click whose write was sent by a worker that stopped before recording the answer: PagerDuty is asked
 * whether the write landed (status, escalation level, assignments, or the note among the incident's notes) instead of
 * sending it again. Landed: recorded as done. Not landed: sent once more (at most one resend per click). Anything
 * else: recorded as "outcome unknown" with what PagerDuty shows. The clicker is told which, privately.
 */
async function resume(
  deps: IncidentActionDeps,
  req: IncidentActionRequest,
  id: string,
  incident: IncidentRecord,
  user: PagerDutyIdentity,
  note: string | undefined,
  row: PendingRow,
  log: Logger,
): Promise<IncidentActionOutcome> {
  const pd = deps.pagerduty!;
  const verb = DONE_VERB[req.action] ?? 'Action';
  // The worker that sent it may still be waiting for its answer: let that answer come first.
  const wait = row.sent_at!.getTime() + WRITE_SETTLE_MS - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const after = await levelsOf(deps.db, id);
  const { rows: still } = await deps.db.query(`select state from incident_actions where id = $1`, [id]);
  if (still[0]?.state !== 'pending' || !after) return 'duplicate';
  let check: Awaited<ReturnType<typeof landed>>;
  try {
    check = await landed(pd, incident, req.action, user, after, note);
  } catch (err) {
    return finish(
      deps,
      id,
      'failed',
      `${verb}: outcome unknown: the bot sent it, its worker stopped before the answer, and PagerDuty could not be asked now (${describePagerDutyError(err)}). Nothing was sent again; look at the incident in PagerDuty before clicking again.`,
      req,
      log,
    );
  }
  const name = user.name ?? req.actor.name ?? `${req.actor.platform}:${req.actor.userId}`;
  const platformName = PLATFORM_NAME[req.actor.platform] ?? req.actor.platform;
  const succeed = async (told: string) => {
    const line = threadLine(req.action, name, platformName, note, levelOf(req.action, after));
    await applySuccess(deps.db, id, incident, req.action, `${name} from ${platformName}`, line, deps.clock);
    await deps.refreshThreads(req.incidentId);
    await tellPrivately(deps, req, told);
    log.info({ pagerdutyUser: user.id }, 'incident action recovered after a worker stopped');
    return 'succeeded' as const;
  };
  if (check.kind === 'done') {
    return succeed(`${verb}: done. The bot’s worker stopped after sending it; PagerDuty shows ${check.shows}.`);
  }
  if (check.kind === 'unknown' || after.sends >= 2) {
    return finish(
      deps,
      id,
      'failed',
      `${verb}: outcome unknown: PagerDuty shows ${check.shows}. The bot’s worker stopped while carrying it out, and it does not send it again; look at the incident in PagerDuty before clicking again.`,
      req,
      log,
    );
  }
  // Not landed: sent once more, as the same person and to the same level.
  // Claimed on the count read: of two retries of this click running at once, one sends and the other stops here.
  const claimed = await deps.db.query(
    `update incident_actions set sent_at = now(), sends = sends + 1 where id = $1 and state = 'pending' and sends = $2`,
    [id, after.sends],
  );
  if (claimed.rowCount === 0) return 'duplicate';
  try {
    await send(pd, incident, req.action, user, after.escalate_to ? { to: after.escalate_to } : undefined, note);
  } catch (err) {
    if (isApiError(err) && err.status === 0) throw err; // sent, no answer: the next retry re-checks again
    return finish(
      deps,
      id,
      'failed',
      `${verb} not done: the bot’s worker stopped before PagerDuty had it (PagerDuty showed ${check.shows}), and the one retry failed: ${describePagerDutyError(err)}.`,
      req,
      log,
    );
  }
  return succeed(
    `${verb}: not done at first (the bot’s worker stopped before PagerDuty had it; PagerDuty showed ${check.shows}), retried once: done now.`,
  );
}

function describeState(i: IncidentRecord, why: string): string {
  const by =
    i.status === 'acknowledged' && i.acknowledgedBy
      ? ` by ${i.acknowledgedBy}`
      : i.status === 'resolved' && i.resolvedBy
        ? ` by ${i.resolvedBy}`
        : '';
  return `${why.replace(/^it is/, 'the incident is')}${by}`;
}

async function send(
  pd: PagerDutyIncidentWriter,
  incident: IncidentRecord,
  action: IncidentActionKind,
  user: PagerDutyIdentity,
  level: { to: number } | undefined,
  note: string | undefined,
): Promise<void> {
  const id = incident.externalId;
  switch (action) {
    case 'acknowledge':
      await pd.updateIncident(id, user.email, { status: 'acknowledged' });
      return;
    case 'resolve':
      await pd.updateIncident(id, user.email, { status: 'resolved' });
      return;
    case 'escalate':
      // Escalate from the level seen to the next one: a level, not "one more", so sending it twice is one step.
      await pd.updateIncident(id, user.email, { escalation_level: level!.to });
      return;
    case 'reassign':
      await pd.updateIncident(id, user.email, { assignments: [{ assignee: { id: user.id, type: 'user_reference' } }] });
      return;
    case 'note':
      await pd.addNote(id, user.email, note!);
      return;
    default:
      throw new Error(`not a PagerDuty action: ${action}`);
  }
}

function threadLine(action: IncidentActionKind, name: string, platform: string, note?: string, level?: number): string {
  switch (action) {
    case 'acknowledge':
      return `Acknowledged by ${name} from ${platform}`;
    case 'resolve':
      return `Resolved by ${name} from ${platform}`;
    case 'escalate':
      return level !== undefined
        ? `Escalated to level ${level} by ${name} from ${platform}`
        : `Escalated to the next level by ${name} from ${platform}`;
    case 'reassign':
      return `Reassigned to ${name} from ${platform}`;
    case 'note':
      return `Note by ${name} from ${platform}: ${(note ?? '').replace(/\s+/g, ' ').slice(0, 500)}`;
    default:
      return `${action} by ${name} from ${platform}`;
  }
}

/** The write succeeded: the incident's new state, one thread line and the echo record, in one transaction. */
async function applySuccess(
  db: pg.Pool,
  actionId: string,
  incident: IncidentRecord,
  action: IncidentActionKind,
  by: string,
  line: string,
  clock: Clock,
): Promise<void> {
  const now = new Date(clock.now());
  const status = targetStatus(action);
  const client = await db.connect();
  try {
    await client.query('begin');
    await client.query(
      `update incident_actions set state = 'succeeded', finished_at = now(), detail = $2, expect_status = $3,
         echo_until = $4 where id = $1`,
      [actionId, line, status ?? (action === 'note' ? 'annotated' : action), new Date(now.getTime() + ECHO_WINDOW_MS)],
    );
    if (status === 'acknowledged') {
      await client.query(
        `update incidents set status = 'acknowledged', acknowledged_by = $2, version = version + 1, updated_at = now()
         where id = $1 and status = 'triggered'`,
        [incident.id, by],
      );
    } else if (status === 'resolved') {
      await client.query(
        `update incidents set status = 'resolved', resolved_by = $2, resolved_at = $3, version = version + 1,
           updated_at = now() where id = $1 and status <> 'resolved'`,
        [incident.id, by, now],
      );
    } else {
      await client.query(`update incidents set version = version + 1, updated_at = now() where id = $1`, [incident.id]);
    }
    const after = await client.query(`select status from incidents where id = $1`, [incident.id]);
    await client.query(
      `insert into incident_notes (incident_id, event_id, status, text, occurred_at) values ($1, $2, $3, $4, $5)
       on conflict (event_id) do nothing`,
      [incident.id, `act:${actionId}`, after.rows[0]?.status ?? incident.status, line, now],
    );
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw new Error(`while recording an incident action: ${(err as Error).message}`, { cause: err });
  } finally {
    client.release();
  }
}

async function finish(
  deps: IncidentActionDeps,
  id: string,
  state: 'refused' | 'failed',
  text: string,
  req: IncidentActionRequest,
  log: Logger,
): Promise<IncidentActionOutcome> {
  await deps.db.query(`update incident_actions set state = $2, detail = $3, finished_at = now() where id = $1`, [
    id,
    state,
    text,
  ]);
  await tellPrivately(deps, req, text);
  log.info({ state }, 'incident action not carried out');
  return state;
}

async function record(
  db: pg.Pool,
  r: {
    id: string;
    req: IncidentActionRequest;
    principal: string;
    state: 'refused';
    detail: string;
    pdUserId?: string;
  },
): Promise<void> {
  await db.query(
    `insert into incident_actions (id, incident_id, action, actor, actor_name, platform, state, detail,
       pagerduty_user_id, finished_at)
     select $1, $2, $3, $4, $5, $6, $7, $8, $9, now() where exists (select 1 from incidents where id = $2)
     on conflict (id) do nothing`,
    [
      r.id,
      r.req.incidentId,
      r.req.action,
      r.principal,
      r.req.actor.name ?? null,
      r.req.actor.platform,
      r.state,
      r.detail.slice(0, 1000),
      r.pdUserId ?? null,
    ],
  );
}

/** A private answer to the clicker, in the incident's thread (Slack ephemeral; Teams a reply that @mentions them). */
export async function tellPrivately(
  deps: Pick<IncidentActionDeps, 'transports' | 'logger'>,
  req: Pick<IncidentActionRequest, 'actor' | 'conversation'>,
  text: string,
): Promise<void> {
  const transport = deps.transports[req.conversation.platform];
  if (!transport) return;
  await transport.postEphemeral(req.conversation, req.actor.userId, text).catch((err: Error) => {
    deps.logger.warn({ err: { name: err.name, message: err.message } }, 'private answer to the clicker not delivered');
  });
}

/** Threads of an incident to bring up to date after an action (ids for the reconcile jobs). */
export async function threadsToRefresh(
  db: pg.Pool,
  incidentId: string,
): Promise<{ platform: Platform; version: number }[]> {
  const incident = await loadIncident(db, incidentId);
  if (!incident) return [];
  return (await loadThreads(db, incidentId))
    .filter((t) => !t.suppressed)
    .map((t) => ({ platform: t.platform as Platform, version: incident.version }));
}

/** One incident action as the audit trail and `/runbook incidents` show it. */
export interface IncidentActionEntry {
  readonly incidentId: string;
  readonly action: string;
  readonly actor: string;
  readonly actorName: string | null;
  readonly platform: string;
  readonly state: string;
  readonly detail: string | null;
  readonly at: Date;
}

function toEntry(r: Record<string, unknown>): IncidentActionEntry {
  return {
    incidentId: r.incident_id as string,
    action: r.action as string,
    actor: r.actor as string,
    actorName: (r.actor_name as string | null) ?? null,
    platform: r.platform as string,
    state: r.state as string,
    detail: (r.detail as string | null) ?? null,
    at: r.created_at as Date,
  };
}

/** The newest incident actions, newest first (`/runbook audit`). */
export async function listRecentIncidentActions(
  db: Pick<pg.Pool, 'query'>,
  limit: number,
): Promise<IncidentActionEntry[]> {
  const { rows } = await db.query(`select * from incident_actions order by created_at desc, id limit $1`, [limit]);
  return rows.map(toEntry);
}

/** The newest action of each of `incidentIds` (`/runbook incidents`). */
export async function latestIncidentActions(
  db: Pick<pg.Pool, 'query'>,
  incidentIds: readonly string[],
): Promise<Map<string, IncidentActionEntry>> {
  if (incidentIds.length === 0) return new Map();
  const { rows } = await db.query(
    `select distinct on (incident_id) * from incident_actions where incident_id = any($1::text[])
     order by incident_id, created_at desc, id`,
    [incidentIds],
  );
  return new Map(rows.map((r) => [r.incident_id as string, toEntry(r)]));
}

/** "2026-12-06T03:12:00.000Z acknowledge on inc_… by slack:U0ONCALL (Dana Oncall) from slack → succeeded: …". */
export function describeIncidentAction(e: IncidentActionEntry): string {
  const who = `${e.actor}${e.actorName ? ` (${e.actorName})` : ''}`;
  return `${e.at.toISOString()} ${e.action} on ${e.incidentId} by ${who} from ${e.platform} → ${e.state}${
    e.detail ? `: ${e.detail.replace(/\s+/g, ' ').slice(0, 300)}` : ''
  }`;
}
