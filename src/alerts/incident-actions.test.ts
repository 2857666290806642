/**
 * PagerDuty actions from an incident thread, on a real Postgres, against the loopback fake PagerDuty REST API and the
 * fake Slack Web API (network edges only): the clicker's `From`, one request for many clicks, refusals that send
 * nothing, errors with their cause, and the webhook echo that changes nothing more.
 */
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakePagerDutyApi, type FakePagerDutyApi } from '../../test/support/fake-pagerduty.js';
import { normalizePagerDutyEvent } from '../../integrations/pagerduty/normalize-pagerduty-event.js';
import { createPagerDutyWriter, PagerDutyApiError } from '../../integrations/pagerduty/rest-writer.js';
import { PagerDutyWebhookSchema } from '../../integrations/pagerduty/schemas.js';
import { createSlackTransport } from '../../integrations/slack/slack-transport.js';
import { startFakeSlack, type FakeSlack } from '../../test/support/fake-slack.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import type { AlertEvent } from '../core/alert.js';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { Secret } from '../core/secret.js';
import { migrate } from '../store/migrate.js';
import { createAuditWorkflow } from '../runner/audit-workflow.js';
import { createIncidentsWorkflow } from '../runner/incidents-workflow.js';
import { createIdentityMap } from './identity-map.js';
import { runPagerDutyAction, type IncidentActionDeps, type IncidentActionRequest } from './incident-actions.js';
import { incidentIdFor, loadIncident } from './incident-store.js';
import { processAlertEvent, type ProcessAlertEventDeps } from './process-alert-event.js';

const TOKEN = 'pd-unit-rw-token';
const READ_ONLY = 'pd-unit-ro-token';
const CHANNEL = 'C0INC';

let db: pg.Pool;
let pd: FakePagerDutyApi;
let slack: FakeSlack;
let deps: IncidentActionDeps;
let processDeps: ProcessAlertEventDeps;
const refreshed: string[] = [];

beforeAll(async () => {
  db = new pg.Pool({ connectionString: await createTestDatabase(), max: 20 });
  await migrate(db, silentLogger);
  pd = await startFakePagerDutyApi({ token: TOKEN, readOnlyToken: READ_ONLY });
  slack = await startFakeSlack({ token: 'xoxb-unit' });
  pd.addUser({ id: 'PONCALL', name: 'Dana Oncall', email: 'oncall@example.com' });
  pd.addUser({ id: 'PSECOND', name: 'Sam Second', email: 'second@example.com' });
  const writer = createPagerDutyWriter({ token: new Secret(TOKEN), apiUrl: pd.url });
  const transports = { slack: createSlackTransport({ botToken: new Secret('xoxb-unit'), apiUrl: slack.url }) };
  deps = {
    db,
    pagerduty: writer,
    pagerdutyWritable: async () => ({ writable: true, reason: 'test' }),
    identities: createIdentityMap({ db, pagerduty: writer, transports, pins: {}, refreshMs: 3600_000 }),
    transports,
    refreshThreads: async (id) => {
      refreshed.push(id);
    },
    clock: systemClock,
    logger: silentLogger,
  };
  processDeps = {
    db,
    rules: { pagerduty: [{ match: {}, system: 'corvo', channel: 'incidents' }], alertmanager: [] },
    channels: { incidents: { slack: CHANNEL } },
    workflowsOf: () => [],
    targetsOf: () => [],
    platforms: ['slack'],
    storm: { threshold: 100, windowMs: 60_000 },
    clock: systemClock,
    logger: silentLogger,
  };
});
afterAll(async () => {
  await db?.end();
  await pd?.close();
  await slack?.close();
});
beforeEach(() => {
  refreshed.length = 0;
});

let seq = 0;
/** A PagerDuty incident known to the fake and opened in the bot by its triggered webhook. */
async function openIncident(): Promise<{ pdId: string; incidentId: string }> {
  seq += 1;
  const pdId = `QUNIT${seq}${Date.now().toString(36).toUpperCase()}`;
  pd.addIncident({ id: pdId, title: `Unit incident ${seq}` });
  const event: AlertEvent = {
    source: 'pagerduty',
    eventId: `pd:open-${pdId}`,
    externalId: pdId,
    type: 'incident.triggered',
    occurredAt: new Date(Date.now() - 60_000).toISOString(),
    snapshot: {
      status: 'triggered',
      title: `Unit incident ${seq}`,
      assignees: [],
      startedAt: new Date().toISOString(),
    },
    opens: true,
    labels: {},
  };
  await db.query(
    `insert into alert_events (id, source, external_id, event_type, occurred_at, event) values ($1,$2,$3,$4,$5,$6)`,
    [event.eventId, 'pagerduty', pdId, event.type, event.occurredAt, JSON.stringify(event)],
  );
  await processAlertEvent(event.eventId, processDeps);
  return { pdId, incidentId: incidentIdFor('pagerduty', pdId) };
}

let clicks = 0;
function click(incidentId: string, action: IncidentActionRequest['action'], user = 'U0ONCALL'): IncidentActionRequest {
  clicks += 1;
  return {
    incidentId,
    action,
    actor: { platform: 'slack', userId: user, name: user.toLowerCase() },
    conversation: { platform: 'slack', channelId: CHANNEL, threadId: '1700000000.000100' },
    deliveryKey: `click${clicks}_${Date.now()}`,
  };
}

const writesTo = (pdId: string) => pd.writes().filter((c) => c.path.startsWith(`/incidents/${pdId}`));
const ephemeralsFor = (user: string) => slack.ephemerals(CHANNEL).filter((e) => e.user === user);

/** Feeds the webhook PagerDuty sent after a write (captured from the fake) through the real normalizer and processor. */
async function deliverEcho(pdId: string, eventType: string, agentId: string): Promise<void> {
  const body = {
    event: {
      id: `01ECHO${pdId}${eventType}`,
      event_type: eventType,
      resource_type: 'incident',
      occurred_at: new Date().toISOString(),
      agent: { id: agentId, type: 'user_reference', summary: 'Dana Oncall' },
      client: { name: 'PagerDuty' },
      data: {
        id: pdId,
        type: 'incident',
        number: 1,
        status: pd.incident(pdId)!.status,
        title: pd.incident(pdId)!.title,
        created_at: new Date().toISOString(),
        assignees: [],
        service: { id: 'PSVC123', type: 'service_reference', summary: 'Corvo Production' },
      },
    },
  };
  const n = normalizePagerDutyEvent(PagerDutyWebhookSchema.parse(body));
  if (n.kind !== 'alert') throw new Error(`echo not normalized: ${n.kind}`);
  await db.query(
    `insert into alert_events (id, source, external_id, event_type, occurred_at, event) values ($1,$2,$3,$4,$5,$6)`,
    [n.event.eventId, 'pagerduty', pdId, n.event.type, n.event.occurredAt, JSON.stringify(n.event)],
  );
  await processAlertEvent(n.event.eventId, processDeps);
}

const notesOf = async (incidentId: string) =>
  (await db.query(`select text from incident_notes where incident_id = $1 order by id`, [incidentId])).rows.map(
    (r) => r.text as string,
  );

describe('PagerDuty actions from the thread', () => {
  it('acknowledges as the clicker (From = their PagerDuty email), once; the webhook echo adds nothing', async () => {
    const { pdId, incidentId } = await openIncident();
    expect(await runPagerDutyAction(click(incidentId, 'acknowledge'), deps)).toBe('succeeded');
    const writes = writesTo(pdId);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({
      method: 'PUT',
      from: 'oncall@example.com',
      body: { incident: { type: 'incident_reference', status: 'acknowledged' } },
      status: 200,
    });
    const incident = await loadIncident(db, incidentId);
    expect(incident?.status).toBe('acknowledged');
    expect(incident?.acknowledgedBy).toBe('Dana Oncall from Slack');
    expect(await notesOf(incidentId)).toEqual(['Acknowledged by Dana Oncall from Slack']);
    expect(refreshed).toEqual([incidentId]);

    await deliverEcho(pdId, 'incident.acknowledged', 'PONCALL');
    expect(await notesOf(incidentId)).toEqual(['Acknowledged by Dana Oncall from Slack']);
    expect((await loadIncident(db, incidentId))?.acknowledgedBy).toBe('Dana Oncall from Slack');
    const { rows } = await db.query(`select echoed_at from incident_actions where incident_id = $1`, [incidentId]);
    expect(rows[0].echoed_at).not.toBeNull();
  });

  it('a webhook from someone else is not taken for the echo', async () => {
    const { pdId, incidentId } = await openIncident();
    await runPagerDutyAction(click(incidentId, 'acknowledge'), deps);
    await deliverEcho(pdId, 'incident.acknowledged', 'PSOMEONEELSE');
    expect(await notesOf(incidentId)).toHaveLength(2);
  });

  it('ten concurrent clicks (different people, different deliveries) make one request', async () => {
    const { pdId, incidentId } = await openIncident();
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        runPagerDutyAction(click(incidentId, 'acknowledge', i % 2 ? 'U0ONCALL' : 'U0SECOND'), deps),
      ),
    );
    expect(writesTo(pdId).filter((w) => w.method === 'PUT')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(1);
    expect(await notesOf(incidentId)).toHaveLength(1);
  });

  it('the same click delivered twice is one request', async () => {
    const { pdId, incidentId } = await openIncident();
    const c = click(incidentId, 'resolve');
    await runPagerDutyAction(c, deps);
    expect(await runPagerDutyAction(c, deps)).toBe('duplicate');
    expect(writesTo(pdId)).toHaveLength(1);
  });

  it('someone without a PagerDuty user is told privately how to link, and nothing is sent', async () => {
    const { pdId, incidentId } = await openIncident();
    expect(await runPagerDutyAction(click(incidentId, 'acknowledge', 'U0NOBODY'), deps)).toBe('refused');
    expect(writesTo(pdId)).toHaveLength(0);
    const told = ephemeralsFor('U0NOBODY').at(-1)?.text ?? '';
    expect(told).toContain('no PagerDuty user has your profile’s email');
    expect(told).not.toContain('nobody@example.com'); // the answer is public on Teams, and audited
    expect(told).toContain('identities');
    expect(told).toContain('slack:U0NOBODY');
    const { rows } = await db.query(`select state from incident_actions where incident_id = $1`, [incidentId]);
    expect(rows.map((r) => r.state)).toEqual(['refused']);
  });

  it('resolve after PagerDuty already resolved it: told the current state, nothing sent', async () => {
    const { pdId, incidentId } = await openIncident();
    pd.incident(pdId)!.status = 'resolved';
    expect(await runPagerDutyAction(click(incidentId, 'resolve'), deps)).toBe('refused');
    expect(writesTo(pdId)).toHaveLength(0);
    expect(ephemeralsFor('U0ONCALL').at(-1)?.text).toMatch(/already resolved/);
    expect((await loadIncident(db, incidentId))?.status).toBe('triggered');
  });

  it('a 429 is told with its Retry-After, and the next click may try again', async () => {
    const { pdId, incidentId } = await openIncident();
    pd.rateLimitNext(1, { retryAfterS: 17 });
    expect(await runPagerDutyAction(click(incidentId, 'escalate'), deps)).toBe('failed');
    expect(ephemeralsFor('U0ONCALL').at(-1)?.text).toMatch(/rate limiting.*17 s/);
    expect(await runPagerDutyAction(click(incidentId, 'escalate'), deps)).toBe('succeeded');
    expect(writesTo(pdId).at(-1)).toMatchObject({ body: { incident: { escalation_level: 2 } }, status: 200 });
  });

  it('reassigns to the clicker and adds a note as them', async () => {
    const { pdId, incidentId } = await openIncident();
    expect(await runPagerDutyAction(click(incidentId, 'reassign', 'U0SECOND'), deps)).toBe('succeeded');
    expect(pd.incident(pdId)!.assignees).toEqual(['PSECOND']);
    await db.query(`insert into incident_note_drafts (id, incident_id, text) values ($1, $2, $3)`, [
      `nd_${pdId}`,
      incidentId,
      'restarted the mirror',
    ]);
    const note = { ...click(incidentId, 'note'), noteDraftId: `nd_${pdId}` };
    expect(await runPagerDutyAction(note, deps)).toBe('succeeded');
    expect(await runPagerDutyAction(note, deps)).toBe('duplicate');
    expect(writesTo(pdId).filter((w) => w.method === 'POST')).toHaveLength(1);
    expect(pd.incident(pdId)!.notes).toEqual([
      { id: expect.any(String), content: 'restarted the mirror', userId: 'PONCALL' },
    ]);
    expect((await notesOf(incidentId)).at(-1)).toBe('Note by Dana Oncall from Slack: restarted the mirror');
  });

  it('with a read-only key the probe says so and the buttons refuse', async () => {
    const ro = createPagerDutyWriter({ token: new Secret(READ_ONLY), apiUrl: pd.url });
    expect((await ro.probeWriteAccess()).access).toBe('read-only');
    const rw = createPagerDutyWriter({ token: new Secret(TOKEN), apiUrl: pd.url });
    expect((await rw.probeWriteAccess()).access).toBe('read-write');
    const { pdId, incidentId } = await openIncident();
    const off = { ...deps, pagerdutyWritable: async () => ({ writable: false, reason: 'the key is read-only' }) };
    expect(await runPagerDutyAction(click(incidentId, 'acknowledge'), off)).toBe('refused');
    expect(writesTo(pdId)).toHaveLength(0);
    expect(ephemeralsFor('U0ONCALL').at(-1)?.text).toMatch(/read-only/);
  });

  it('identity: a pin wins; the email match is cached; never a display name', async () => {
    const writer = createPagerDutyWriter({ token: new Secret(TOKEN), apiUrl: pd.url });
    const map = createIdentityMap({
      db,
      pagerduty: writer,
      transports: deps.transports,
      pins: { 'slack:U0PINNED': { pagerduty: 'PSECOND' } },
      refreshMs: 3600_000,
    });
    const conversation = { platform: 'slack' as const, channelId: CHANNEL };
    const pinned = await map.resolve({ platform: 'slack', userId: 'U0PINNED', name: 'Dana Oncall' }, conversation);
    expect(pinned).toMatchObject({ kind: 'matched', via: 'pin', user: { id: 'PSECOND', email: 'second@example.com' } });
    const first = await map.resolve({ platform: 'slack', userId: 'U0ONCALL' }, conversation);
    const lookups = pd.calls.filter((c) => c.path === '/users').length;
    const again = await map.resolve({ platform: 'slack', userId: 'U0ONCALL' }, conversation);
    expect(first.kind).toBe('matched');
    expect(again).toMatchObject({ kind: 'matched', via: 'cache', user: { id: 'PONCALL' } });
    expect(pd.calls.filter((c) => c.path === '/users').length).toBe(lookups);
    // A display name equal to a PagerDuty user's name matches nothing: only the profile email counts.
    const byName = await map.resolve({ platform: 'slack', userId: 'U0DANA', name: 'Dana Oncall' }, conversation);
    expect(byName.kind).toBe('unmatched');
  });

  it('every action is in /runbook audit (who, what, which incident, platform, outcome) and /runbook incidents', async () => {
    const { incidentId } = await openIncident();
    await runPagerDutyAction(click(incidentId, 'acknowledge'), deps);
    await runPagerDutyAction(click(incidentId, 'resolve', 'U0NOBODY'), deps);
    const invocation = {
      invocationId: `inv_audit_${Date.now()}`,
      system: 'runbook',
      workflow: 'audit',
      target: '',
      args: { n: '100' },
      actor: { platform: 'slack' as const, userId: 'U0ONCALL' },
      conversation: { platform: 'slack' as const, channelId: CHANNEL },
      requestedAt: new Date().toISOString(),
    };
    const audit = await createAuditWorkflow(db).run(invocation, new AbortController().signal);
    const lines = audit.notes ?? [];
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`acknowledge on ${incidentId} by slack:U0ONCALL \\(Dana Oncall\\) from slack → succeeded`),
        ),
        expect.stringMatching(new RegExp(`resolve on ${incidentId} by slack:U0NOBODY .*→ refused: You are not linked`)),
      ]),
    );
    const incidents = await createIncidentsWorkflow(db).run(
      { ...invocation, workflow: 'incidents' },
      new AbortController().signal,
    );
    expect(
      (incidents.notes ?? []).find((l) => l.includes('Unit incident') && l.includes('last action: resolve')),
    ).toMatch(/last action: resolve by u0nobody from slack \(refused\)/);
  });
});

describe('a worker that stops mid-action (BullMQ re-runs the job)', () => {
  /** The deps of a worker that dies right after the write: recording the outcome (one transaction) throws. */
  const dying = (): IncidentActionDeps => ({
    ...deps,
    db: new Proxy(db, {
      get(target, key) {
        if (key === 'connect') return () => Promise.reject(new Error('worker killed'));
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }),
  });
  /** The stalled job is re-run after BullMQ's lock expired: long after the write was sent. */
  const stall = (incidentId: string) =>
    db.query(`update incident_actions set sent_at = now() - interval '1 minute' where incident_id = $1`, [incidentId]);
  const stateOf = async (incidentId: string) =>
    (await db.query(`select state, detail from incident_actions where incident_id = $1`, [incidentId])).rows[0];

  it('after the PUT landed: the retry re-checks PagerDuty, sends nothing again, records it done and says so', async () => {
    const { pdId, incidentId } = await openIncident();
    const c = click(incidentId, 'acknowledge');
    await expect(runPagerDutyAction(c, dying())).rejects.toThrow(/worker killed/);
    expect(pd.incident(pdId)!.status).toBe('acknowledged');
    expect((await stateOf(incidentId)).state).toBe('pending');
    await stall(incidentId);
    expect(await runPagerDutyAction(c, deps)).toBe('succeeded');
    expect(writesTo(pdId)).toHaveLength(1);
    expect((await stateOf(incidentId)).state).toBe('succeeded');
    expect((await loadIncident(db, incidentId))?.status).toBe('acknowledged');
    expect(await notesOf(incidentId)).toEqual(['Acknowledged by Dana Oncall from Slack']);
    expect(ephemeralsFor('U0ONCALL').at(-1)?.text).toMatch(
      /Acknowledged: done\. .*PagerDuty shows status acknowledged/,
    );
  });

  it('a write whose answer never came (timeout): not told "nothing changed"; the retry finds it done', async () => {
    const { pdId, incidentId } = await openIncident();
    const c = click(incidentId, 'acknowledge');
    const timingOut: IncidentActionDeps = {
      ...deps,
      pagerduty: {
        ...deps.pagerduty!,
        updateIncident: async (...args) => {
          await deps.pagerduty!.updateIncident(...args);
          throw new PagerDutyApiError(0, undefined, 'unreachable (TimeoutError)');
        },
      },
    };
    const told = ephemeralsFor('U0ONCALL').length;
    await expect(runPagerDutyAction(c, timingOut)).rejects.toThrow(/unreachable/);
    expect(ephemeralsFor('U0ONCALL')).toHaveLength(told); // nothing said yet: the outcome is not known
    await stall(incidentId);
    expect(await runPagerDutyAction(c, deps)).toBe('succeeded');
    expect(writesTo(pdId)).toHaveLength(1);
    expect((await stateOf(incidentId)).state).toBe('succeeded');
  });

  it('when the PUT never reached PagerDuty: the retry sends it once more and says so', async () => {
    const { pdId, incidentId } = await openIncident();
    const c = click(incidentId, 'resolve');
    await expect(runPagerDutyAction(c, dying())).rejects.toThrow(/worker killed/);
    pd.incident(pdId)!.status = 'triggered'; // the write was lost on its way
    await stall(incidentId);
    expect(await runPagerDutyAction(c, deps)).toBe('succeeded');
    expect(writesTo(pdId)).toHaveLength(2);
    expect(pd.incident(pdId)!.status).toBe('resolved');
    expect(ephemeralsFor('U0ONCALL').at(-1)?.text).toMatch(/not done at first.*retried once: done now/);
    // A third run of the same click is a duplicate: nothing more is sent.
    expect(await runPagerDutyAction(c, deps)).toBe('duplicate');
    expect(writesTo(pdId)).toHaveLength(2);
  });

  it('two retries of the same click running at once resend a lost write once, not twice', async () => {
    const { pdId, incidentId } = await openIncident();
    const c = click(incidentId, 'resolve');
    await expect(runPagerDutyAction(c, dying())).rejects.toThrow(/worker killed/);
    pd.incident(pdId)!.status = 'triggered'; // the write was lost on its way
    await stall(incidentId);
    const outcomes = await Promise.all([runPagerDutyAction(c, deps), runPagerDutyAction(c, deps)]);
    expect(outcomes.sort()).toEqual(['duplicate', 'succeeded']);
    expect(writesTo(pdId)).toHaveLength(2);
  });

  it('a retry racing the run it retries, both before the write: one sends, the other sends nothing', async () => {
    const { pdId, incidentId } = await openIncident();
    await db.query(`insert into incident_note_drafts (id, incident_id, text) values ($1, $2, $3)`, [
      `nd_race_${pdId}`,
      incidentId,
      'raced note',
    ]);
    const c = { ...click(incidentId, 'note'), noteDraftId: `nd_race_${pdId}` };
    await expect(runPagerDutyAction(c, dying())).rejects.toThrow(/worker killed/);
    // The row as a worker left it that stopped before sending: pending, nothing sent.
    await db.query(`update incident_actions set sent_at = null, sends = 0 where incident_id = $1`, [incidentId]);
    pd.incident(pdId)!.notes.splice(0);
    const before = writesTo(pdId).length;
    const outcomes = await Promise.all([runPagerDutyAction(c, deps), runPagerDutyAction(c, deps)]);
    expect(outcomes.sort()).toEqual(['duplicate', 'succeeded']);
    expect(writesTo(pdId).length - before).toBe(1);
    expect(pd.incident(pdId)!.notes.map((n) => n.content)).toEqual(['raced note']);
  });

  it('when PagerDuty shows something else: outcome unknown with what it shows, nothing sent again', async () => {
    const { pdId, incidentId } = await openIncident();
    const c = click(incidentId, 'acknowledge');
    await expect(runPagerDutyAction(c, dying())).rejects.toThrow(/worker killed/);
    pd.incident(pdId)!.status = 'resolved'; // someone resolved it meanwhile
    await stall(incidentId);
    expect(await runPagerDutyAction(c, deps)).toBe('failed');
    expect(writesTo(pdId)).toHaveLength(1);
    expect((await stateOf(incidentId)).detail).toMatch(/outcome unknown: PagerDuty shows status resolved/);
    expect(ephemeralsFor('U0ONCALL').at(-1)?.text).toMatch(/outcome unknown: PagerDuty shows status resolved/);
  });

  it('a note: the retry finds its text among the incident’s notes and does not post it again', async () => {
    const { pdId, incidentId } = await openIncident();
    await db.query(`insert into incident_note_drafts (id, incident_id, text) values ($1, $2, $3)`, [
      `nd_crash_${pdId}`,
      incidentId,
      'failed over to the replica',
    ]);
    const c = { ...click(incidentId, 'note'), noteDraftId: `nd_crash_${pdId}` };
    await expect(runPagerDutyAction(c, dying())).rejects.toThrow(/worker killed/);
    await stall(incidentId);
    expect(await runPagerDutyAction(c, deps)).toBe('succeeded');
    expect(writesTo(pdId).filter((w) => w.method === 'POST')).toHaveLength(1);
    expect(pd.incident(pdId)!.notes.map((n) => n.content)).toEqual(['failed over to the replica']);
    expect((await notesOf(incidentId)).at(-1)).toBe('Note by Dana Oncall from Slack: failed over to the replica');
  });

  it('an escalation: the retry sees the level it went to and does not escalate a second level', async () => {
    const { pdId, incidentId } = await openIncident();
    const c = { ...click(incidentId, 'escalate'), clickedAt: Date.now() };
    await expect(runPagerDutyAction(c, dying())).rejects.toThrow(/worker killed/);
    await stall(incidentId);
    expect(await runPagerDutyAction(c, deps)).toBe('succeeded');
    expect(pd.incident(pdId)!.escalationLevel).toBe(2);
    expect(writesTo(pdId)).toHaveLength(1);
    expect((await notesOf(incidentId)).at(-1)).toBe('Escalated to level 2 by Dana Oncall from Slack');
  });
});

describe('Escalate binds to the level shown when clicked', () => {
  it('two clicks made before either ran escalate one level; the second is told who escalated it', async () => {
    const { pdId, incidentId } = await openIncident();
    const shown = Date.now();
    const first = { ...click(incidentId, 'escalate'), clickedAt: shown };
    const second = { ...click(incidentId, 'escalate', 'U0SECOND'), clickedAt: shown };
    expect(await runPagerDutyAction(first, deps)).toBe('succeeded');
    expect(await runPagerDutyAction(second, deps)).toBe('refused');
    expect(pd.incident(pdId)!.escalationLevel).toBe(2);
    expect(writesTo(pdId)).toHaveLength(1);
    expect(writesTo(pdId)[0]).toMatchObject({ body: { incident: { escalation_level: 2 } } });
    expect(ephemeralsFor('U0SECOND').at(-1)?.text).toMatch(/already escalated to level 2 by Dana Oncall/);
    // A click made after that escalation was shown goes one level further.
    await new Promise((r) => setTimeout(r, 20));
    const later = { ...click(incidentId, 'escalate', 'U0SECOND'), clickedAt: Date.now() };
    expect(await runPagerDutyAction(later, deps)).toBe('succeeded');
    expect(pd.incident(pdId)!.escalationLevel).toBe(3);
  });

  it('an escalation in PagerDuty after the click (its webhook) is not repeated by the click', async () => {
    const { pdId, incidentId } = await openIncident();
    const c = { ...click(incidentId, 'escalate'), clickedAt: Date.now() - 5_000 };
    pd.incident(pdId)!.escalationLevel = 2;
    await deliverEcho(pdId, 'incident.escalated', 'PSECOND');
    expect(await runPagerDutyAction(c, deps)).toBe('refused');
    expect(writesTo(pdId)).toHaveLength(0);
    expect(ephemeralsFor('U0ONCALL').at(-1)?.text).toMatch(/already escalated to level 2 by /);
  });
});
