import type pg from 'pg';
import type { AlertEvent } from '../core/alert.js';
import type { Clock } from '../core/clock.js';
import type { Platform } from '../core/invocation.js';
import type { Logger } from '../core/logger.js';
import { AlertEventSchema } from './alert-event-schema.js';
import { incidentIdFor, loadIncident, loadThreads, type IncidentRecord } from './incident-store.js';
import { routeAlert, type AlertRoute, type AlertRule } from './route-alert.js';

/** How long an event waits for an earlier event of the same incident to be applied first, ms. */
const IN_ORDER_WAIT_MS = 30_000;

/** A chat destination under `channels.<name>`. */
export interface ChannelDestinations {
  readonly slack?: string;
  readonly teams?: { readonly conversationId: string };
}

export interface ProcessAlertEventDeps {
  readonly db: pg.Pool;
  readonly rules: Readonly<Record<AlertEvent['source'], readonly AlertRule[]>>;
  readonly defaultChannel?: string;
  readonly channels: Readonly<Record<string, ChannelDestinations>>;
  readonly workflowsOf: (system: string) => readonly string[];
  readonly targetsOf: (system: string) => readonly string[];
  /** Platforms this worker can post to (a thread is opened on each that the channel names). */
  readonly platforms: readonly Platform[];
  /** Storm control: new threads per channel per window before the summary takes over. */
  readonly storm: { readonly threshold: number; readonly windowMs: number };
  /** Extra routing labels for a new incident (PagerDuty alert custom details); failures are the caller's to absorb. */
  readonly enrich?: (event: AlertEvent) => Promise<Record<string, string>>;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** What must be brought up to date in chat after an event was applied. */
export interface ProcessAlertEventResult {
  /** `deferred`: an event of the same incident received earlier is not processed yet; try again shortly. */
  readonly outcome: 'applied' | 'stale' | 'noted' | 'already-processed' | 'unknown-event' | 'deferred';
  readonly incidentId?: string;
  /** Threads to reconcile (jobs keyed by version: one per change, coalesced by the render guard). */
  readonly threads: readonly { readonly incidentId: string; readonly platform: Platform; readonly version: number }[];
  /** Storm windows whose summary changed. */
  readonly summaries: readonly {
    readonly platform: Platform;
    readonly channelId: string;
    readonly windowStart: Date;
    readonly suppressed: number;
  }[];
}

function destinationsOf(channel: ChannelDestinations | undefined, platforms: readonly Platform[]) {
  const out: { platform: Platform; channelId: string }[] = [];
  if (!channel) return out;
  if (channel.slack && platforms.includes('slack')) out.push({ platform: 'slack', channelId: channel.slack });
  if (channel.teams && platforms.includes('teams')) {
    out.push({ platform: 'teams', channelId: channel.teams.conversationId });
  }
  return out;
}

/** The channel name a route posts to, if any. */
function channelOf(route: AlertRoute): string | undefined {
  return route.kind === 'unrouted' ? undefined : route.channel;
}

/**
 * Applies one recorded alert event to its incident, in one Postgres transaction: creates the incident (routing it,
 * opening its threads, deciding storm suppression) or applies the event's snapshot unless an event that occurred
 * later was already applied (out-of-order delivery ends in the right state); adds the event's thread note; marks the
 * event processed. Idempotent: an event already processed changes nothing. Chat is brought up to date afterwards by
 * the jobs the result names.
 */
export async function processAlertEvent(
  eventId: string,
  deps: ProcessAlertEventDeps,
): Promise<ProcessAlertEventResult> {
  const { rows: found } = await deps.db.query(
    `select e.event, e.processed_at,
       exists (
         select 1 from alert_events x
         where x.source = e.source and x.external_id = e.external_id and x.processed_at is null
           and (x.received_at, x.id) < (e.received_at, e.id)
           and x.received_at > now() - make_interval(secs => $2)
       ) as earlier_pending
     from alert_events e where e.id = $1`,
    [eventId, IN_ORDER_WAIT_MS / 1000],
  );
  if (!found[0]) return { outcome: 'unknown-event', threads: [], summaries: [] };
  // Events of one incident are applied in the order they were received (PagerDuty delivers them in order, one at a
  // time), so thread notes appear in order and an incident is created by its opening event. An earlier event stuck
  // for longer than the wait is not waited for.
  if (!found[0].processed_at && found[0].earlier_pending) return { outcome: 'deferred', threads: [], summaries: [] };
  const event = AlertEventSchema.parse(found[0].event) as AlertEvent;
  const incidentId = incidentIdFor(event.source, event.externalId);
  const log = deps.logger.child({ eventId, incidentId, source: event.source });

  // Network look-ups happen before the transaction (never hold row locks across a remote call), and only for the
  // event that will create the incident.
  let extraLabels: Record<string, string> = {};
  if (!found[0].processed_at && deps.enrich && !(await loadIncident(deps.db, incidentId))) {
    extraLabels = await deps.enrich(event).catch((err: Error) => {
      log.warn({ err: { message: err.message } }, 'alert details look-up failed; routing without them');
      return {};
    });
  }

  const client = await deps.db.connect();
  let result: ProcessAlertEventResult;
  try {
    await client.query('begin');
    const { rows } = await client.query(`select processed_at from alert_events where id = $1 for update`, [eventId]);
    if (rows[0]?.processed_at) {
      await client.query('commit');
      // Processed before, but its follow-up jobs may not have been queued (a crash in between): name them again.
      const incident = await loadIncident(deps.db, incidentId);
      return incident ? followUps('already-processed', incident, await loadThreads(deps.db, incidentId)) : none();
    }
    result = await apply(client, event, incidentId, extraLabels, deps, log);
    await client.query(`update alert_events set processed_at = now(), incident_id = $2, outcome = $3 where id = $1`, [
      eventId,
      incidentId,
      result.outcome,
    ]);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw new Error(`while applying an alert event: ${(err as Error)?.message}`, { cause: err });
  } finally {
    client.release();
  }
  return result;
}

function none(): ProcessAlertEventResult {
  return { outcome: 'already-processed', threads: [], summaries: [] };
}

function followUps(
  outcome: ProcessAlertEventResult['outcome'],
  incident: IncidentRecord,
  threads: readonly { platform: string; suppressed: boolean; channelId: string; stormWindow: Date | null }[],
  suppressedCounts: ReadonlyMap<string, number> = new Map(),
): ProcessAlertEventResult {
  return {
    outcome,
    incidentId: incident.id,
    threads: threads
      .filter((t) => !t.suppressed)
      .map((t) => ({ incidentId: incident.id, platform: t.platform as Platform, version: incident.version })),
    summaries: threads
      .filter((t) => t.suppressed && t.stormWindow)
      .map((t) => ({
        platform: t.platform as Platform,
        channelId: t.channelId,
        windowStart: t.stormWindow!,
        suppressed: suppressedCounts.get(`${t.platform}:${t.channelId}`) ?? 0,
      })),
  };
}

async function insertNote(client: pg.PoolClient, incidentId: string, event: AlertEvent, status: string) {
  if (!event.note) return;
  await client.query(
    `insert into incident_notes (incident_id, event_id, status, text, occurred_at) values ($1, $2, $3, $4, $5)
     on conflict (event_id) do nothing`,
    [incidentId, event.eventId, status, event.note, event.occurredAt],
  );
}

/** What the bot's own action expects PagerDuty to report back, by webhook event type (incident_actions.expect_status). */
const ECHO_OF: Readonly<Record<string, string>> = {
  'incident.acknowledged': 'acknowledged',
  'incident.resolved': 'resolved',
  'incident.annotated': 'annotated',
  'incident.escalated': 'escalate',
  'incident.reassigned': 'reassign',
};

/**
 * Marks and returns the bot's own action this event echoes: same incident, the expected event type, the agent is the
 * PagerDuty user the action was sent as (`From`), inside the echo window (platforms-2.md §1.5). Each action is
 * echoed at most once.
 */
async function claimEcho(client: pg.PoolClient, incidentId: string, event: AlertEvent): Promise<string | undefined> {
  const expect = ECHO_OF[event.type];
  if (event.source !== 'pagerduty' || !event.actorId || !expect) return undefined;
  const { rows } = await client.query(
    `update incident_actions set echoed_at = now()
     where id = (
       select id from incident_actions
       where incident_id = $1 and state = 'succeeded' and echoed_at is null and expect_status = $2
         and pagerduty_user_id = $3 and echo_until > now()
       order by created_at limit 1 for update skip locked)
     returning id`,
    [incidentId, expect, event.actorId],
  );
  return rows[0]?.id;
}

async function apply(
  client: pg.PoolClient,
  event: AlertEvent,
  incidentId: string,
  extraLabels: Record<string, string>,
  deps: ProcessAlertEventDeps,
  log: Logger,
): Promise<ProcessAlertEventResult> {
  let existing = await loadIncident(client, incidentId, true);
  if (!existing) {
    const created = await create(client, event, incidentId, extraLabels, deps, log);
    if (created) return created;
    // A concurrent event created it first: apply ours to theirs.
    existing = await loadIncident(client, incidentId, true);
    if (!existing) throw new Error('incident vanished while being created');
  }
  const snap = event.snapshot;
  const occurred = new Date(event.occurredAt);
  // The webhook that follows the bot's own write (issue 12): its line is in the thread and its state on the root
  // already; the snapshot is still applied (other fields may have moved), the note is not repeated.
  const echo = await claimEcho(client, incidentId, event);
  if (echo) log.info({ type: event.type, actionId: echo }, 'webhook echo of our own action recognised');
  if (snap && existing.snapshotAt && occurred < existing.snapshotAt) {
    // Out of order: a later change was applied already. Recorded (alert_events), not shown.
    log.info({ type: event.type }, 'older alert event ignored (a later one was applied)');
    return { outcome: 'stale', incidentId, threads: [], summaries: [] };
  }
  if (snap) {
    const reopened = existing.status === 'resolved' && snap.status !== 'resolved';
    const canDiagnose = existing.system !== null && existing.target !== null && existing.workflows.length > 0;
    const acknowledgedBy =
      event.type === 'incident.acknowledged' && !(echo && existing.status === 'acknowledged')
        ? (event.actor ?? null)
        : snap.status === 'triggered'
          ? null
          : existing.acknowledgedBy;
    const resolvedBy =
      snap.status !== 'resolved' ? null : existing.status === 'resolved' ? existing.resolvedBy : (event.actor ?? null);
    const resolvedAt =
      snap.status !== 'resolved'
        ? null
        : existing.status === 'resolved' && existing.resolvedAt
          ? existing.resolvedAt
          : (snap.resolvedAt ?? event.occurredAt);
    await client.query(
      `update incidents set status = $2, title = $3, number = $4, priority = $5, urgency = $6, service = $7,
         assignees = $8, url = $9, acknowledged_by = $10, resolved_by = $11, started_at = $12, resolved_at = $13,
         snapshot_at = $14, diagnostics_generation = diagnostics_generation + $15, version = version + 1,
         updated_at = now()
       where id = $1`,
      [
        incidentId,
        snap.status,
        snap.title,
        snap.number ?? null,
        snap.priority ?? null,
        snap.urgency ?? null,
        snap.service ?? null,
        JSON.stringify(snap.assignees),
        snap.url ?? null,
        acknowledgedBy,
        resolvedBy,
        snap.startedAt,
        resolvedAt,
        event.occurredAt,
        reopened && canDiagnose ? 1 : 0,
      ],
    );
    if (!echo) await insertNote(client, incidentId, event, snap.status);
  } else {
    await client.query(`update incidents set version = version + 1, updated_at = now() where id = $1`, [incidentId]);
    if (!echo) await insertNote(client, incidentId, event, existing.status);
  }
  const incident = (await loadIncident(client, incidentId))!;
  return followUps(snap ? 'applied' : 'noted', incident, await loadThreads(client, incidentId));
}

async function create(
  client: pg.PoolClient,
  event: AlertEvent,
  incidentId: string,
  extraLabels: Record<string, string>,
  deps: ProcessAlertEventDeps,
  log: Logger,
): Promise<ProcessAlertEventResult | undefined> {
  // Extra labels (custom details) never override what the source itself said.
  const labels = { ...extraLabels, ...event.labels };
  const route = routeAlert(labels, {
    rules: deps.rules[event.source],
    defaultChannel: deps.defaultChannel,
    workflowsOf: deps.workflowsOf,
    targetsOf: deps.targetsOf,
  });
  const snap = event.snapshot;
  const status = snap?.status ?? 'triggered';
  const rule = route.kind === 'rule' ? route : undefined;
  const canDiagnose = !!rule?.target && rule.workflows.length > 0 && status !== 'resolved';
  const { rowCount } = await client.query(
    `insert into incidents (id, source, external_id, status, title, number, priority, urgency, service, assignees, url,
       acknowledged_by, resolved_by, started_at, resolved_at, snapshot_at, route, rule_index, system, target,
       workflows, channel, labels, diagnostics_generation)
     values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24)
     on conflict (id) do nothing`,
    [
      incidentId,
      event.source,
      event.externalId,
      status,
      snap?.title ?? event.reference?.title ?? event.externalId,
      snap?.number ?? null,
      snap?.priority ?? null,
      snap?.urgency ?? null,
      snap?.service ?? null,
      JSON.stringify(snap?.assignees ?? []),
      snap?.url ?? event.reference?.url ?? null,
      status === 'acknowledged' ? (event.actor ?? null) : null,
      status === 'resolved' ? (event.actor ?? null) : null,
      snap?.startedAt ?? event.occurredAt,
      status === 'resolved' ? (snap?.resolvedAt ?? event.occurredAt) : null,
      snap ? event.occurredAt : null,
      route.kind,
      route.kind === 'unrouted' ? (route.ruleIndex ?? null) : rule ? rule.ruleIndex : null,
      rule?.system ?? null,
      rule?.target ?? null,
      JSON.stringify(rule?.workflows ?? []),
      channelOf(route) ?? null,
      JSON.stringify(labels),
      canDiagnose ? 1 : 0,
    ],
  );
  if (rowCount === 0) return undefined;
  if (!event.opens) await insertNote(client, incidentId, event, status);

  const destinations = destinationsOf(channelOf(route) ? deps.channels[channelOf(route)!] : undefined, deps.platforms);
  if (destinations.length === 0) {
    // Never silently dropped: the incident is recorded, counted on /metrics and listed by /runbook incidents.
    log.warn(
      { route: route.kind, channel: channelOf(route) },
      route.kind === 'unrouted'
        ? 'alert matched no rule and no alerts.defaultChannel is set: recorded without a thread'
        : 'alert routed to a channel with no destination on a configured chat platform: recorded without a thread',
    );
  }
  const windowMs = deps.storm.windowMs;
  const now = new Date(deps.clock.now());
  const suppressedCounts = new Map<string, number>();
  const threads: { platform: string; channelId: string; suppressed: boolean; stormWindow: Date | null }[] = [];
  for (const d of destinations) {
    // Storm windows are per channel and start with the first new thread after a quiet spell ("in the last minute"
    // counts from the start of the burst). The advisory lock serializes new threads of one channel across every
    // worker process, so the count is exact; it is released at commit.
    await client.query(`select pg_advisory_xact_lock(hashtext($1))`, [`storm:${d.platform}:${d.channelId}`]);
    const open = await client.query(
      `select window_start from storm_windows
       where platform = $1 and channel_id = $2 and window_start > $3::timestamptz - make_interval(secs => $4)
       order by window_start desc limit 1`,
      [d.platform, d.channelId, now, windowMs / 1000],
    );
    const windowStart: Date = open.rows[0]?.window_start ?? now;
    const { rows } = await client.query(
      `insert into storm_windows (platform, channel_id, window_start, window_ms, threads) values ($1, $2, $3, $4, 1)
       on conflict (platform, channel_id, window_start) do update
         set threads = storm_windows.threads + 1,
             suppressed = storm_windows.suppressed + case when storm_windows.threads + 1 > $5 then 1 else 0 end
       returning threads, suppressed`,
      [d.platform, d.channelId, windowStart, windowMs, deps.storm.threshold],
    );
    const suppressed = (rows[0].threads as number) > deps.storm.threshold;
    if (suppressed) suppressedCounts.set(`${d.platform}:${d.channelId}`, rows[0].suppressed as number);
    await client.query(
      `insert into incident_threads (incident_id, platform, channel_id, suppressed, storm_window)
       values ($1, $2, $3, $4, $5)`,
      [incidentId, d.platform, d.channelId, suppressed, suppressed ? windowStart : null],
    );
    threads.push({ ...d, suppressed, stormWindow: suppressed ? windowStart : null });
  }
  log.info(
    {
      route: route.kind,
      system: rule?.system,
      workflows: rule?.workflows,
      suppressed: threads.some((t) => t.suppressed),
    },
    'incident opened',
  );
  const incident = (await loadIncident(client, incidentId))!;
  return followUps('applied', incident, threads, suppressedCounts);
}
