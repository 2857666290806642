import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { ChatTransport } from '../core/chat-transport.js';
import type { Clock } from '../core/clock.js';
import { formatClock, formatDuration } from '../core/incident.js';
import type { Actor, Conversation, Platform } from '../core/invocation.js';
import type { Logger } from '../core/logger.js';
import { tellPrivately } from './incident-actions.js';
import { loadIncident, loadThread, type IncidentRecord } from './incident-store.js';

/** An equality matcher on one of the group's labels. */
export interface SilenceMatcher {
  readonly name: string;
  readonly value: string;
}

/** Alertmanager's v2 silences API as the bot uses it (integrations/alertmanager/silences-client.ts). */
export interface SilencesApi {
  matchingAlerts(
    matchers: readonly SilenceMatcher[],
  ): Promise<{ fingerprint: string; labels: Record<string, string>; status: { state: string } }[]>;
  groups(): Promise<{ labels: Record<string, string>; alerts: { fingerprint: string }[] }[]>;
  createSilence(s: {
    matchers: readonly SilenceMatcher[];
    startsAt: Date;
    endsAt: Date;
    createdBy: string;
    comment: string;
  }): Promise<string>;
  /** Every silence, with its comment: the marker of a silence a stopped worker may have created. */
  listSilences(): Promise<{ id: string; endsAt: string; comment?: string; status: { state: string } }[]>;
  expireSilence(id: string): Promise<void>;
}

export interface SilenceDeps {
  readonly db: pg.Pool;
  /** Absent without `ALERTMANAGER_URL`: no silence buttons. */
  readonly alertmanager?: SilencesApi;
  /** `alerts.silences.maxDuration`, ms: longer silences need an approval. */
  readonly maxDurationMs: number;
  readonly transports: Readonly<Partial<Record<Platform, ChatTransport>>>;
  readonly refreshThreads: (incidentId: string) => Promise<void>;
  /**
   * Opens an approval request for creating the silence `recordId` (the existing approval flow: a second person
   * approves on the card); resolves once it is queued.
   */
  readonly requestApproval: (r: {
    recordId: string;
    matchers: string;
    duration: string;
    why: string;
    actor: Actor;
    conversation: Conversation;
    deliveryKey: string;
  }) => Promise<void>;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface SilenceClick {
  readonly incidentId: string;
  readonly action: 'silence-1h' | 'silence-4h' | 'silence-24h' | 'silence-confirm' | 'unsilence';
  readonly silenceRecordId?: string;
  readonly actor: Actor;
  readonly conversation: Conversation;
  readonly deliveryKey: string;
}

const HOUR = 3600_000;
const DURATION: Record<string, number> = { 'silence-1h': HOUR, 'silence-4h': 4 * HOUR, 'silence-24h': 24 * HOUR };
/** A preview not confirmed within this is stale, ms. */
const PREVIEW_TTL_MS = 10 * 60_000;
/**
 * How long a silence stays `creating` before a retry may look for it (the client's 5 s timeout, and a margin): a
 * retry never races the worker still waiting for Alertmanager's answer, ms.
 */
const CREATE_SETTLE_MS = 10_000;
/** A silence left `creating` this long (its worker stopped, no retry came) is settled by the sweep, ms. */
const CREATING_ABANDONED_MS = 2 * 60_000;

/** The bot's record id in a silence's comment: how a retry finds the silence a stopped worker created. */
export const silenceMarker = (recordId: string) => `bot record ${recordId}`;

/** The reminder comes this long before a silence ends, ms. */
export const REMINDER_BEFORE_MS = 10 * 60_000;

const PLATFORM_NAME: Record<string, string> = { slack: 'Slack', teams: 'Teams', terminal: 'the terminal' };

/**
 * The group labels of an Alertmanager group: the names from the last `{…}` of its `groupKey` (`{}/{…}:{alertname="X",
 * service="y"}`), each with the value the incident recorded for it. Undefined when the key cannot be read or names a
 * label the incident does not carry: then the bot cannot say what the silence would cover, and offers none.
 */
export function groupMatchersOf(i: Pick<IncidentRecord, 'externalId'>, labels: Record<string, string>) {
  const last = /\{([^{}]*)\}$/.exec(i.externalId);
  if (!last) return undefined;
  const pairs = [...last[1]!.matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)];
  if (pairs.length === 0) return undefined;
  const matchers: SilenceMatcher[] = [];
  for (const [, name, raw] of pairs) {
    const value = raw!.replace(/\\(.)/g, '$1');
    if (labels[name!] !== value) return undefined;
    matchers.push({ name: name!, value });
  }
  return matchers;
}

async function labelsOf(db: pg.Pool, incidentId: string): Promise<Record<string, string>> {
  const { rows } = await db.query(`select labels from incidents where id = $1`, [incidentId]);
  return (rows[0]?.labels as Record<string, string> | undefined) ?? {};
}

export function silenceRecordIdFor(deliveryKey: string): string {
  return `sil_${createHash('sha256').update(deliveryKey).digest('hex').slice(0, 24)}`;
}

const describeMatchers = (m: readonly SilenceMatcher[]) => m.map((x) => `${x.name}="${x.value}"`).join(', ');

/**
 * Silence 1h/4h/24h → a preview in the thread (the matchers = the group's labels, how many alerts match now, whether
 * any alert outside this group would be silenced too) with a Confirm button for the person who asked; Confirm →
 * the silence on Alertmanager (`createdBy` the clicker, `comment` the thread), or an approval request when it reaches
 * beyond the group or is longer than `alerts.silences.maxDuration`; Unsilence → expired. Every step is recorded.
 */
export async function runSilenceAction(clicked: SilenceClick, deps: SilenceDeps): Promise<void> {
  // Answers, previews and approval cards go into the incident's thread, wherever in it the button was.
  const thread = await loadThread(deps.db, clicked.incidentId, clicked.conversation.platform);
  const click: SilenceClick =
    thread?.rootMessageId && thread.channelId === clicked.conversation.channelId
      ? { ...clicked, conversation: { ...clicked.conversation, threadId: thread.rootMessageId } }
      : clicked;
  const tell = (text: string) => tellPrivately(deps, click, text);
  const principal = `${click.actor.platform}:${click.actor.userId}`;
  const log = deps.logger.child({ incidentId: click.incidentId, action: click.action });
  const incident = await loadIncident(deps.db, click.incidentId);
  if (!incident || incident.source !== 'alertmanager') {
    await tell('This button belongs to an incident the bot does not know as an Alertmanager group; nothing was done.');
    return;
  }
  const am = deps.alertmanager;
  if (!am) {
    await tell('Silences are off: ALERTMANAGER_URL is not set. Nothing was done.');
    return;
  }
  const audit = (action: string, state: string, detail: string) => auditSilence(deps.db, click, action, state, detail);

  if (click.action === 'unsilence') {
    const { rows: live } = await deps.db.query(
      `select silence_id from incident_silences where id = $1 and incident_id = $2 and state = 'active'`,
      [click.silenceRecordId ?? '', click.incidentId],
    );
    if (!live[0]?.silence_id) {
      await tell('That silence is not active any more; nothing was done.');
      return;
    }
    // Expire on Alertmanager first (idempotent for an expired silence), then record it: a worker that dies between
    // the two leaves the record active, and the retry expires it again and records it. Recording first would
    // leave a live silence the bot believes expired.
    try {
      await am.expireSilence(live[0].silence_id);
    } catch (err) {
      const why = (err as Error).message;
      await audit('unsilence', 'failed', why);
      await tell(`Unsilence failed: ${why}. The silence is still active.`);
      return;
    }
    const { rows } = await deps.db.query(
      `update incident_silences set state = 'expired' where id = $1 and state = 'active' returning id`,
      [click.silenceRecordId],
    );
    if (!rows[0]) return; // a second click expired and recorded it at the same time: its line is enough
    const line = `Unsilenced by ${click.actor.name ?? principal} from ${PLATFORM_NAME[click.actor.platform]}`;
    await addLine(deps, incident, line);
    await audit('unsilence', 'succeeded', line);
    log.info({}, 'silence expired');
    return;
  }

  if (click.action !== 'silence-confirm') {
    if (incident.status === 'resolved') {
      await tell('This alert group is resolved; nothing to silence.');
      return;
    }
    const matchers = groupMatchersOf(incident, await labelsOf(deps.db, incident.id));
    if (!matchers) {
      await tell(
        'The bot cannot tell this group’s labels (its group key names none, or labels it did not record), so it offers no silence: a silence without them would cover other alerts. Nothing was done.',
      );
      return;
    }
    const durationMs = DURATION[click.action]!;
    let matching: Awaited<ReturnType<SilencesApi['matchingAlerts']>>;
    let outside: string[];
    try {
      matching = await am.matchingAlerts(matchers);
      const ours = new Set(
        (await am.groups())
          .filter((g) => sameLabels(g.labels, matchers))
          .flatMap((g) => g.alerts.map((a) => a.fingerprint)),
      );
      outside = matching.filter((a) => !ours.has(a.fingerprint)).map((a) => a.labels.alertname ?? a.fingerprint);
    } catch (err) {
      await tell(`The silence preview failed: ${(err as Error).message}. Nothing was done.`);
      return;
    }
    const id = silenceRecordIdFor(click.deliveryKey);
    const needsApproval = outside.length > 0 || durationMs > deps.maxDurationMs;
    const inserted = await deps.db.query(
      `insert into incident_silences (id, incident_id, state, matchers, duration_ms, created_by, created_by_name,
         platform) values ($1, $2, 'draft', $3, $4, $5, $6, $7) on conflict (id) do nothing`,
      [
        id,
        incident.id,
        JSON.stringify(matchers),
        durationMs,
        principal,
        click.actor.name ?? null,
        click.actor.platform,
      ],
    );
    if (inserted.rowCount === 0) return;
    const until = new Date(deps.clock.now() + durationMs).toISOString();
    const reasons = [
      ...(outside.length > 0
        ? [`it would also silence ${outside.length} alert(s) outside this group (${outside.slice(0, 3).join(', ')})`]
        : []),
      ...(durationMs > deps.maxDurationMs
        ? [`it is longer than alerts.silences.maxDuration (${formatDuration(deps.maxDurationMs)})`]
        : []),
    ];
    const text =
      `Silence preview for ${formatDuration(durationMs)} (until ${formatClock(until)}), asked by ` +
      `${click.actor.name ?? principal}: matchers ${describeMatchers(matchers)}; ${matching.length} alert(s) match now; ` +
      `${outside.length === 0 ? 'no alert outside this group would be silenced' : `${outside.length} alert(s) outside this group would be silenced too`}.` +
      (needsApproval ? ` Needs a second person's approval: ${reasons.join('; ')}.` : '');
    await postPreview(deps, incident, click, text, `${incident.id}--${id}`, needsApproval);
    await audit(click.action, 'previewed', text);
    return;
  }

  // Confirm: only the person who asked, only a fresh draft.
  const { rows } = await deps.db.query(`select * from incident_silences where id = $1 and incident_id = $2`, [
    click.silenceRecordId ?? '',
    click.incidentId,
  ]);
  const draft = rows[0];
  if (draft?.state === 'creating' && draft.created_by === principal) {
    // The retry of this Confirm (its worker stopped while creating the silence): find it, or create it once.
    await createSilence(deps, draft.id, false);
    return;
  }
  if (!draft || draft.state !== 'draft') {
    await tell('That silence was already confirmed or is no longer open; nothing was done.');
    return;
  }
  if (draft.created_by !== principal) {
    await tell('Only the person who asked for this silence can confirm it; nothing was done.');
    return;
  }
  if (deps.clock.now() - (draft.created_at as Date).getTime() > PREVIEW_TTL_MS) {
    await tell('This preview is older than 10 minutes; click Silence again for a fresh one. Nothing was done.');
    return;
  }
  const matchers = draft.matchers as SilenceMatcher[];
  const durationMs = Number(draft.duration_ms);
  let outsideNow = 0;
  try {
    const matching = await am.matchingAlerts(matchers);
    const ours = new Set(
      (await am.groups())
        .filter((g) => sameLabels(g.labels, matchers))
        .flatMap((g) => g.alerts.map((a) => a.fingerprint)),
    );
    outsideNow = matching.filter((a) => !ours.has(a.fingerprint)).length;
  } catch (err) {
    await tell(`The silence check failed: ${(err as Error).message}. Nothing was done.`);
    return;
  }
  if (outsideNow > 0 || durationMs > deps.maxDurationMs) {
    const moved = await deps.db.query(
      `update incident_silences set state = 'awaiting-approval' where id = $1 and state = 'draft'`,
      [draft.id],
    );
    if (moved.rowCount === 0) return;
    await deps.requestApproval({
      recordId: draft.id,
      matchers: describeMatchers(matchers).slice(0, 290),
      duration: formatDuration(durationMs),
      why: [
        ...(outsideNow > 0 ? [`it would also silence ${outsideNow} alert(s) outside this group`] : []),
        ...(durationMs > deps.maxDurationMs
          ? [`it is longer than alerts.silences.maxDuration (${formatDuration(deps.maxDurationMs)})`]
          : []),
      ]
        .join('; ')
        .slice(0, 290),
      actor: click.actor,
      conversation: click.conversation,
      deliveryKey: click.deliveryKey,
    });
    await audit('silence-confirm', 'awaiting-approval', `silence ${draft.id} needs an approval`);
    return;
  }
  await createSilence(deps, draft.id, false);
}

function sameLabels(labels: Record<string, string>, matchers: readonly SilenceMatcher[]): boolean {
  const keys = Object.keys(labels);
  return keys.length === matchers.length && matchers.every((m) => labels[m.name] === m.value);
}

/**
 * Creates the silence of a confirmed (or approved) record on Alertmanager, once: the record moves from draft or
 * awaiting-approval to `creating` in one conditional UPDATE before anything is sent, with the record id in the
 * silence's comment. A record found `creating` (its worker stopped between the POST and recording the silence's id,
 * or before the POST) is settled by looking the silence up by that marker: recorded if Alertmanager has it, created
 * once if not. Returns a one-line result.
 */
export async function createSilence(
  deps: Pick<SilenceDeps, 'db' | 'alertmanager' | 'transports' | 'refreshThreads' | 'clock' | 'logger'>,
  recordId: string,
  approved: boolean,
): Promise<string> {
  const am = deps.alertmanager;
  if (!am) throw new Error('ALERTMANAGER_URL is not set');
  const { rows: before } = await deps.db.query(`select state, creating_at from incident_silences where id = $1`, [
    recordId,
  ]);
  const recovering = before[0]?.state === 'creating';
  if (recovering) {
    // The worker that sent the POST may still be waiting for its answer: let that answer come first.
    const wait = (before[0].creating_at as Date).getTime() + CREATE_SETTLE_MS - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const { rows } = await deps.db.query(
    recovering
      ? `update incident_silences set creating_at = now() where id = $1 and state = 'creating'
           and creating_at <= now() - make_interval(secs => $2) returning *`
      : `update incident_silences set state = 'creating', creating_at = now()
         where id = $1 and state in ('draft', 'awaiting-approval') returning *`,
    // Recovering: one retry claims it (a second one finds creating_at fresh and stops).
    recovering ? [recordId, CREATE_SETTLE_MS / 1000 - 0.5] : [recordId],
  );
  const r = rows[0];
  if (!r) return 'already created';
  const incident = (await loadIncident(deps.db, r.incident_id))!;
  const thread = await loadThread(deps.db, incident.id, r.platform);
  const startsAt = new Date(deps.clock.now());
  const endsAt = new Date(startsAt.getTime() + Number(r.duration_ms));
  const who = r.created_by_name ? `${r.created_by_name} (${r.created_by})` : r.created_by;
  const creator: Actor = {
    platform: r.platform,
    userId: (r.created_by as string).split(':').slice(1).join(':'),
    ...(r.created_by_name ? { name: r.created_by_name } : {}),
  };
  const conversation: Conversation = {
    platform: r.platform,
    channelId: thread?.channelId ?? '',
    ...(thread?.rootMessageId ? { threadId: thread.rootMessageId } : {}),
  };
  // The thread's link when the platform gives one (Slack chat.getPermalink), else where it is.
  const transport = deps.transports[r.platform as Platform];
  const link =
    thread?.rootMessageId && transport?.permalink
      ? await transport
          .permalink({ channelId: thread.channelId, messageId: thread.rootMessageId })
          .catch(() => undefined)
      : undefined;
  let silenceId: string | undefined;
  let recovered = false;
  if (recovering) {
    const found = (await am.listSilences()).find((s) => s.comment?.includes(silenceMarker(recordId)));
    if (found) {
      silenceId = found.id;
      endsAt.setTime(new Date(found.endsAt).getTime());
      recovered = true;
    }
  }
  try {
    silenceId ??= await am.createSilence({
      matchers: r.matchers,
      startsAt,
      endsAt,
      createdBy: who,
      comment:
        `runbook-bot incident ${incident.id}, thread ${link ?? `${r.platform} ${thread?.channelId ?? '?'}/${thread?.rootMessageId ?? '?'}`}` +
        (approved ? '; approved in the thread (second person)' : '') +
        `; ${silenceMarker(recordId)}`,
    });
  } catch (err) {
    // Sent and no answer (timeout, connection cut): it may exist. Left creating: the retry (or the sweep) looks it up.
    if ((err as { status?: unknown }).status === 0) {
      throw new Error(`while creating the silence: ${(err as Error).message}`, { cause: err });
    }
    await deps.db.query(`update incident_silences set state = 'failed' where id = $1 and state = 'creating'`, [
      recordId,
    ]);
    const why = (err as Error).message;
    await tellPrivately(deps, { actor: creator, conversation }, `The silence was not created: ${why}.`);
    throw new Error(`while creating the silence: ${why}`, { cause: err });
  }
  try {
    const done = await deps.db.query(
      `update incident_silences set state = 'active', silence_id = $2, ends_at = $3 where id = $1 and state = 'creating'`,
      [recordId, silenceId, endsAt],
    );
    if (done.rowCount === 0) return 'already created';
  } catch (err) {
    // The silence exists on Alertmanager: say so (never "not created", never the database's own text).
    deps.logger.error(
      { recordId, silenceId, err: { name: (err as Error).name, message: (err as Error).message } },
      'silence created but not recorded',
    );
    await tellPrivately(
      deps,
      { actor: creator, conversation },
      `The silence was created on Alertmanager (id ${silenceId}) but the bot could not record it, so it offers no ` +
        'Unsilence for it: expire it in Alertmanager when it is no longer needed.',
    ).catch(() => {});
    throw new Error('while recording the created silence', { cause: err });
  }
  const line = `Silenced for ${formatDuration(Number(r.duration_ms))} by ${r.created_by_name ?? r.created_by} until ${formatClock(endsAt.toISOString())}${approved ? ' (approved)' : ''}`;
  if (recovering) {
    await tellPrivately(
      deps,
      { actor: creator, conversation },
      recovered
        ? `The silence was created (id ${silenceId}); the bot stopped before recording it and found it on Alertmanager by its record id, so it did not create a second one.`
        : 'The bot stopped while creating the silence; Alertmanager had none with its record id, so it created it now (once).',
    );
  }
  await addLine(deps, incident, line);
  await auditSilence(deps.db, { incidentId: incident.id, actor: creator }, 'silence', 'succeeded', line);
  deps.logger.info({ incidentId: incident.id, recordId }, 'silence created');
  return line;
}

/** A thread line for a silence change, and the root brought up to date (silenced until … / Unsilence). */
async function addLine(
  deps: Pick<SilenceDeps, 'db' | 'refreshThreads'>,
  incident: IncidentRecord,
  line: string,
): Promise<void> {
  await deps.db.query(`update incidents set version = version + 1, updated_at = now() where id = $1`, [incident.id]);
  await deps.db.query(
    `insert into incident_notes (incident_id, event_id, status, text, occurred_at) values ($1, $2, $3, $4, now())
     on conflict (event_id) do nothing`,
    [
      incident.id,
      `sil:${createHash('sha256').update(`${incident.id}:${line}:${Date.now()}`).digest('hex').slice(0, 24)}`,
      incident.status,
      line,
    ],
  );
  await deps.refreshThreads(incident.id);
}

async function postPreview(
  deps: SilenceDeps,
  incident: IncidentRecord,
  click: SilenceClick,
  text: string,
  value: string,
  needsApproval: boolean,
): Promise<void> {
  const transport = deps.transports[click.conversation.platform];
  if (!transport) return;
  const message = {
    kind: 'note' as const,
    note: {
      status: incident.status,
      text,
      button: {
        action: 'silence-confirm' as const,
        label: needsApproval ? 'Request approval' : 'Confirm silence',
        value,
      },
    },
  };
  if (transport.postIncidentMessage) await transport.postIncidentMessage(click.conversation, message);
  else await transport.postText(click.conversation, text);
}

async function auditSilence(
  db: pg.Pool,
  click: { incidentId: string; actor: Actor },
  action: string,
  state: string,
  detail: string,
): Promise<void> {
  const id = `act_${createHash('sha256').update(`${click.incidentId}:${action}:${state}:${Date.now()}:${Math.random()}`).digest('hex').slice(0, 24)}`;
  await db.query(
    `insert into incident_actions (id, incident_id, action, actor, actor_name, platform, state, detail, finished_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, now())`,
    [
      id,
      click.incidentId,
      action,
      `${click.actor.platform}:${click.actor.userId}`,
      click.actor.name ?? null,
      click.actor.platform,
      state === 'succeeded' ? 'succeeded' : state === 'failed' ? 'failed' : 'refused',
      state === 'previewed' || state === 'awaiting-approval'
        ? `${state}: ${detail}`.slice(0, 1000)
        : detail.slice(0, 1000),
    ],
  );
}

/** The active silence of an incident, for its root (silenced by … until …, Unsilence). */
export async function activeSilenceOf(
  db: Pick<pg.Pool, 'query'>,
  incidentId: string,
): Promise<{ by: string; until: string; recordId: string } | undefined> {
  const { rows } = await db.query(
    `select id, created_by, created_by_name, ends_at from incident_silences
     where incident_id = $1 and state = 'active' and ends_at > now() order by ends_at desc limit 1`,
    [incidentId],
  );
  const r = rows[0];
  return r
    ? { by: r.created_by_name ?? r.created_by, until: (r.ends_at as Date).toISOString(), recordId: r.id }
    : undefined;
}

/**
 * The periodic sweep: silences past their end are marked expired (the root drops its line); a silence ending within
 * ten minutes while its alerts still fire gets one reminder in the thread.
 */
export async function sweepSilences(deps: Pick<SilenceDeps, 'db' | 'alertmanager' | 'refreshThreads' | 'logger'>) {
  await settleAbandonedSilences(deps);
  const { rows: ended } = await deps.db.query(
    `update incident_silences set state = 'expired' where state = 'active' and ends_at <= now() returning incident_id`,
  );
  for (const r of ended) await deps.refreshThreads(r.incident_id);
  const { rows: soon } = await deps.db.query(
    `select s.*, i.status from incident_silences s join incidents i on i.id = s.incident_id
     where s.state = 'active' and s.reminded_at is null
       and s.ends_at <= now() + make_interval(secs => $1) and s.ends_at > now()`,
    [REMINDER_BEFORE_MS / 1000],
  );
  for (const s of soon) {
    let firing = 0;
    try {
      firing = deps.alertmanager
        ? // Alertmanager returns only alerts it holds (resolved ones drop out), silenced or not: all still fire.
          (await deps.alertmanager.matchingAlerts(s.matchers)).length
        : 0;
    } catch (err) {
      deps.logger.warn({ err: { message: (err as Error).message } }, 'silence reminder: alerts not readable');
      continue;
    }
    const claimed = await deps.db.query(
      `update incident_silences set reminded_at = now() where id = $1 and reminded_at is null`,
      [s.id],
    );
    if (claimed.rowCount === 0 || firing === 0) continue;
    await deps.db.query(
      `insert into incident_notes (incident_id, event_id, status, text, occurred_at) values ($1, $2, $3, $4, now())
       on conflict (event_id) do nothing`,
      [
        s.incident_id,
        `silrem:${s.id}`,
        s.status,
        `The silence by ${s.created_by_name ?? s.created_by} ends at ${formatClock((s.ends_at as Date).toISOString())} and ${firing} alert(s) still fire`,
      ],
    );
    await deps.db.query(`update incidents set version = version + 1 where id = $1`, [s.incident_id]);
    await deps.refreshThreads(s.incident_id);
  }
}

/**
 * Silences left `creating` by a worker that stopped and that no retry settled (an approved step is not re-run): the
 * silence is looked up by its record id; found, it is recorded active; not found, the record fails and the thread says
 * so. The sweep never creates one: the person who asked is not there to see it.
 */
async function settleAbandonedSilences(deps: Pick<SilenceDeps, 'db' | 'alertmanager' | 'refreshThreads' | 'logger'>) {
  if (!deps.alertmanager) return;
  const { rows } = await deps.db.query(
    `select s.*, i.status from incident_silences s join incidents i on i.id = s.incident_id
     where s.state = 'creating' and s.creating_at < now() - make_interval(secs => $1)`,
    [CREATING_ABANDONED_MS / 1000],
  );
  if (rows.length === 0) return;
  let silences: Awaited<ReturnType<SilencesApi['listSilences']>>;
  try {
    silences = await deps.alertmanager.listSilences();
  } catch (err) {
    deps.logger.warn({ err: { message: (err as Error).message } }, 'abandoned silences: Alertmanager not readable');
    return;
  }
  for (const r of rows) {
    const found = silences.find((x) => x.comment?.includes(silenceMarker(r.id)));
    const by = r.created_by_name ?? r.created_by;
    const settled = await deps.db.query(
      found
        ? `update incident_silences set state = 'active', silence_id = $2, ends_at = $3 where id = $1 and state = 'creating'`
        : `update incident_silences set state = 'failed' where id = $1 and state = 'creating'`,
      found ? [r.id, found.id, new Date(found.endsAt)] : [r.id],
    );
    if (settled.rowCount === 0) continue;
    const text = found
      ? `Silenced by ${by} until ${formatClock(found.endsAt)} (the bot stopped while recording it and found it on Alertmanager)`
      : `The silence asked by ${by} was not created: the bot stopped while creating it and Alertmanager has none with its record id. Click Silence again if it is still needed`;
    await deps.db.query(
      `insert into incident_notes (incident_id, event_id, status, text, occurred_at) values ($1, $2, $3, $4, now())
       on conflict (event_id) do nothing`,
      [r.incident_id, `silset:${r.id}`, r.status, text],
    );
    await deps.db.query(`update incidents set version = version + 1 where id = $1`, [r.incident_id]);
    await deps.refreshThreads(r.incident_id);
  }
}

/** Active silences the bot created, newest end last (`/runbook silences`). */
export async function listActiveSilences(db: Pick<pg.Pool, 'query'>) {
  const { rows } = await db.query(
    `select s.id, s.incident_id, s.matchers, s.ends_at, s.created_by, s.created_by_name, s.silence_id, i.title
     from incident_silences s join incidents i on i.id = s.incident_id
     where s.state = 'active' and s.ends_at > now() order by s.ends_at`,
  );
  return rows.map((r) => ({
    recordId: r.id as string,
    incidentId: r.incident_id as string,
    title: r.title as string,
    matchers: r.matchers as SilenceMatcher[],
    endsAt: r.ends_at as Date,
    by: (r.created_by_name as string | null) ?? (r.created_by as string),
    silenceId: r.silence_id as string | null,
  }));
}
