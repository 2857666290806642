/**
 * The soak (issue 16): the whole bot under a mixed load for a while, with faults injected, then the invariants.
 *
 * Load, in lanes that run side by side until the time is up:
 * - slash commands (`/corvo <workflow>`), each in its own channel so its answer can be found;
 * - approvals of `/corvo clear <queue>`, one queue per request so each call at the simulated Corvo is attributable
 *   to its approval: approved (sometimes by two approvers at once and a double click), denied, refused as
 *   self-approval, or left pending;
 * - the button path: `/corvo health` → the report's Rebuild SQLite button → the card → approved, one at a time so
 *   each rebuild call falls in its own approval's window;
 * - PagerDuty webhooks (triggered → acknowledged → resolved per incident) and Alertmanager notifications (firing →
 *   resolved per group), signed, each sometimes redelivered (also concurrently), retried like the senders do on a
 *   5xx or a refused connection.
 * Faults: a worker SIGKILLed at random intervals (a replacement is started), Redis restarted once, Postgres once,
 * the web process once (SIGTERM, then a new one).
 *
 * A request is "accepted" when the bot acknowledged it (2xx, and for a command not the "could not confirm that this
 * command was queued" answer); requests that failed to connect, timed out or got a 5xx carry no invariant.
 */
import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { signPagerDutyBody } from '../../integrations/pagerduty/verify-pagerduty-signature.js';
import { incidentEvent } from '../support/pagerduty-webhooks.js';
import { blockActionsBody, signSlackRequest, slashCommandBody } from '../support/slack-signing.js';
import {
  AM_TOKEN,
  APPROVERS,
  CORVO_KEY,
  PD_SECRET,
  REQUESTER,
  SIGNING_SECRET,
  startSoakStack,
  type SoakStack,
} from './soak-stack.js';

export interface SoakOptions {
  /** Length of the loaded phase. */
  readonly seconds: number;
  /** Seed of the random choices (fault times, load mix); printed with the figures. */
  readonly seed?: number;
  /** Longest wait, after the load stops, for accepted work to finish before the invariants are checked. */
  readonly drainSeconds?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
  /** Where to write everything the bot processes printed (for a failed run). */
  readonly outputFile?: string;
  /**
   * Kill the other worker too while a killed one's replacement is still starting (default: one worker down at a
   * time). Then a job taken over from the first can stall a second time; the workers allow 5 stalls
   * (src/jobs/max-stalled-count.ts) where BullMQ's default of 1 failed the job and lost its answer.
   */
  readonly overlappingKills?: boolean;
}

export interface Invariant {
  readonly name: string;
  readonly ok: boolean;
  /** What was checked (how many), and each violation. */
  readonly detail: string;
}

export interface SoakResult {
  readonly ok: boolean;
  readonly invariants: readonly Invariant[];
  /** Counts that tests check are not zero (an invariant over nothing proves nothing). */
  readonly counts: {
    commandsAccepted: number;
    webhooksAccepted: number;
    approvalsSucceeded: number;
    workerKills: number;
    /** Bot processes that crashed (also an invariant). */
    unexpectedExits: number;
    restarts: Record<'redis' | 'postgres' | 'web', number>;
  };
  /** The printable table. */
  readonly figures: string;
}

type Kind = 'command' | 'click' | 'pagerduty' | 'alertmanager';
/** One HTTP request of the load: status 0 = connection failed, -1 = timed out. */
interface Attempt {
  readonly kind: Kind;
  readonly status: number;
  readonly accepted: boolean;
}
interface Fault {
  readonly at: number;
  readonly what: string;
  readonly ms: number;
}

/** mulberry32: a small seeded generator, so a run's fault times and mix can be replayed with its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const REQUEST_TIMEOUT_MS = 15_000;
/** How long a load lane waits for a card or report before it moves on (the invariants do not depend on it). */
const FLOW_WAIT_MS = 60_000;
const NOT_QUEUED = /could not confirm that this command was queued/;

async function send(url: string, init: RequestInit): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return { status: res.status, text: await res.text().catch(() => '') };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return { status: timedOut ? -1 : 0, text: '' };
  }
}

async function until<T>(probe: () => T | undefined | false, timeoutMs: number, running?: () => boolean) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = probe();
    if (v) return v;
    if (running && !running()) return undefined;
    await sleep(100);
  }
  return undefined;
}

function buttons(blocks: unknown): { action_id: string; value: string; text?: { text: string } }[] {
  return (
    (blocks ?? []) as { type: string; elements?: { action_id: string; value: string; text?: { text: string } }[] }[]
  ).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = seeded(seed);
  const log = o.log ?? (() => undefined);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const durationMs = o.seconds * 1000;

  log(`soak: starting the stack (seed ${seed}, ${o.seconds} s)`);
  const stack = await startSoakStack();
  try {
    return await soak(stack, { ...o, seed, random, pick, log, durationMs });
  } finally {
    await stack.stop().catch(() => undefined);
  }
}

async function soak(
  stack: SoakStack,
  o: SoakOptions & {
    seed: number;
    random: () => number;
    pick: <T>(xs: readonly T[]) => T;
    log: (line: string) => void;
    durationMs: number;
  },
): Promise<SoakResult> {
  const { random, pick, log } = o;
  const rssStart = stack.rss();
  const t0 = Date.now();
  const elapsed = () => (Date.now() - t0) / 1000;
  let faultsDone = false;
  // The load goes on until the time is up and every planned fault has been injected.
  const running = () => Date.now() - t0 < o.durationMs || !faultsDone;
  const attempts: Attempt[] = [];
  const faults: Fault[] = [];
  /** Accepted slash commands, by channel (one command per channel). */
  const commands = new Map<string, string>();
  /** Delivery keys (source|external id|event type) that got at least one 2xx. */
  const deliveredOk = new Set<string>();
  /** Rebuild approvals: approval id → from its approve click to the next rebuild's approve click. */
  const rebuildWindows = new Map<string, { from: number; to: number }>();
  const flow = { cardsMissing: 0, noButton: 0 };
  /** Queues of clear requests whose approval is not recorded yet. */
  const requesting = new Set<string>();
  let seq = 0;

  // ---- requests -------------------------------------------------------------------------------------------------
  const postSlack = (body: string) =>
    send(`${stack.baseUrl}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...signSlackRequest(SIGNING_SECRET, body, Math.floor(Date.now() / 1000)),
      },
      body,
    });

  /** A slash command in its own channel; returns whether it was accepted. */
  const command = async (channel: string, text: string): Promise<boolean> => {
    const r = await postSlack(slashCommandBody({ command: '/corvo', text, channel_id: channel, user_id: REQUESTER }));
    const accepted = r.status === 200 && !NOT_QUEUED.test(r.text);
    attempts.push({ kind: 'command', status: r.status, accepted });
    if (accepted) commands.set(channel, text);
    return accepted;
  };

  /**
   * A click; a failed one is clicked again (a user would), up to 5 times. Resolves with the time of the first attempt
   * and whether one was acknowledged.
   */
  const click = async (c: { user: string; channel: string; actionId: string; value: string; messageTs: string }) => {
    const firstAt = Date.now();
    for (let i = 0; i < 5; i++) {
      const payload = {
        type: 'block_actions',
        team: { id: 'T0FAKE', domain: 'fake' },
        user: { id: c.user, username: c.user.toLowerCase(), team_id: 'T0FAKE' },
        api_app_id: 'A0RUNBOOKBOT',
        token: 'legacy',
        trigger_id: `${Date.now()}.${++seq}.${randomUUID().slice(0, 8)}`,
        response_url: 'https://hooks.slack.com/actions/T0FAKE/1/x',
        container: { type: 'message', message_ts: c.messageTs, channel_id: c.channel, is_ephemeral: false },
        channel: { id: c.channel, name: 'ops' },
        message: { ts: c.messageTs, type: 'message', text: '' },
        state: { values: {} },
        actions: [
          {
            type: 'button',
            action_id: c.actionId,
            block_id: 'b',
            value: c.value,
            action_ts: String(Date.now() / 1000),
            text: { type: 'plain_text', text: 'x' },
          },
        ],
      };
      const r = await postSlack(blockActionsBody(payload));
      attempts.push({ kind: 'click', status: r.status, accepted: r.status === 200 });
      if (r.status === 200) return { firstAt, ok: true };
      await sleep(1000);
    }
    return { firstAt, ok: false };
  };

  /** Posts a webhook until a 2xx (as PagerDuty and Alertmanager retry), then `redeliveries` more times. */
  const deliver = async (
    kind: 'pagerduty' | 'alertmanager',
    key: string,
    post: () => Promise<{ status: number }>,
    redeliveries: number,
  ) => {
    const once = async () => {
      const r = await post();
      const accepted = r.status >= 200 && r.status < 300;
      attempts.push({ kind, status: r.status, accepted });
      if (accepted) deliveredOk.add(key);
      return accepted;
    };
    const extra = Array.from({ length: redeliveries }, (_, i) =>
      // Some redeliveries race the first delivery, the others come after it.
      i === 0 && random() < 0.5 ? once() : undefined,
    );
    const deadline = Date.now() + 60_000;
    while (!(await once()) && Date.now() < deadline) await sleep(500);
    await Promise.all(extra);
    for (let i = extra.filter((e) => e !== undefined).length; i < redeliveries; i++) {
      await sleep(50 + random() * 300);
      await once();
    }
  };
  const redeliveries = () => (random() < 0.4 ? 1 + (random() < 0.3 ? 1 : 0) : 0);

  const corvoWrite = (path: string) =>
    send(`${stack.corvo.url}${path}`, { method: 'POST', headers: { 'x-api-key': CORVO_KEY } });
  /** Queue config writes create a queue at the simulated Corvo (pause then resume leaves it running). */
  const ensureQueue = async (q: string) => {
    await corvoWrite(`/api/v1/queues/${q}/pause`);
    await corvoWrite(`/api/v1/queues/${q}/resume`);
  };

  // ---- load lanes -----------------------------------------------------------------------------------------------
  const commandLane = async () => {
    const workflows = ['health', 'health', 'jobs-stuck-pending emails', 'leader-instability', 'sqlite-diverged'];
    while (running()) {
      await command(`C0CMD${++seq}`, pick(workflows));
      await sleep(400 + random() * 800);
    }
  };

  const pagerdutyLane = async (lane: number) => {
    for (let n = 1; running(); n++) {
      const incidentId = `PSOAK${lane}X${n}`;
      const base = Date.now();
      for (const [i, type] of ['incident.triggered', 'incident.acknowledged', 'incident.resolved'].entries()) {
        if (!running()) break;
        const body = JSON.stringify(
          incidentEvent({
            type,
            incidentId,
            occurredAt: new Date(base + i * 60_000).toISOString(),
            createdAt: new Date(base).toISOString(),
            title: `Soak incident ${lane}.${n}`,
          }),
        );
        const post = () =>
          send(`${stack.baseUrl}/webhooks/pagerduty`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'user-agent': 'PagerDuty-Webhook/V3.0',
              'x-webhook-id': randomUUID(),
              'x-pagerduty-signature': signPagerDutyBody([PD_SECRET], body),
            },
            body,
          });
        await deliver('pagerduty', `pagerduty|${incidentId}|${type}`, post, redeliveries());
        await sleep(300 + random() * 900);
      }
    }
  };

  const alertmanagerLane = async () => {
    for (let n = 1; running(); n++) {
      const alertname = `SoakAlert${n}`;
      const groupKey = `{}:{alertname="${alertname}"}`;
      const labels = { alertname, service: 'corvo', severity: 'critical', instance: 'corvo-1:8080' };
      const fingerprint = createHash('sha256').update(alertname).digest('hex').slice(0, 16);
      const startsAt = new Date().toISOString();
      for (const status of ['firing', 'resolved'] as const) {
        if (!running()) break;
        const body = JSON.stringify({
          version: '4',
          groupKey,
          truncatedAlerts: 0,
          status,
          receiver: 'runbook-bot',
          groupLabels: { alertname },
          commonLabels: labels,
          commonAnnotations: { summary: `Soak alert ${n}` },
          externalURL: 'http://alertmanager.soak:9093',
          alerts: [
            {
              status,
              labels,
              annotations: { summary: `Soak alert ${n}` },
              startsAt,
              endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
              generatorURL: 'http://prometheus.soak:9090/graph',
              fingerprint,
            },
          ],
        });
        const post = () =>
          send(`${stack.baseUrl}/webhooks/alertmanager`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` },
            body,
          });
        await deliver('alertmanager', `alertmanager|${groupKey}|alertmanager.${status}`, post, redeliveries());
        await sleep(500 + random() * 1500);
      }
    }
  };

  /** The approval card posted in `channel`, and its approval id. */
  const cardIn = async (channel: string) => {
    const card = await until(
      () => stack.slack.messages(channel).find((m) => String(m.text).startsWith('Approval needed')),
      FLOW_WAIT_MS,
    );
    const approvalId = card && buttons(card.blocks).find((b) => b.action_id === 'approval:approve')?.value;
    if (!card || !approvalId) {
      flow.cardsMissing++;
      return undefined;
    }
    return { ts: card.ts, approvalId };
  };

  const clearLane = async () => {
    while (running()) {
      const q = `soak-q${++seq}`;
      const channel = `C0APR${seq}`;
      requesting.add(q);
      let card: Awaited<ReturnType<typeof cardIn>>;
      try {
        await ensureQueue(q);
        if (!(await command(channel, `clear ${q}`))) {
          await sleep(1000);
          continue;
        }
        card = await cardIn(channel);
      } finally {
        requesting.delete(q);
      }
      if (!card) continue;
      const decide = (user: string, decision: 'approve' | 'deny') =>
        click({ user, channel, actionId: `approval:${decision}`, value: card.approvalId, messageTs: card.ts });
      const r = random();
      if (r < 0.6) {
        // Two approvers at once and a double click, sometimes: one approval, one call.
        await Promise.all(
          random() < 0.3
            ? [decide(APPROVERS[0], 'approve'), decide(APPROVERS[1], 'approve'), decide(APPROVERS[0], 'approve')]
            : [decide(pick(APPROVERS), 'approve')],
        );
      } else if (r < 0.75) {
        await decide(pick(APPROVERS), 'deny');
      } else if (r < 0.85) {
        await decide(REQUESTER, 'approve'); // refused: stays pending
      } // else: left pending
      await sleep(300 + random() * 700);
    }
  };

  const approvalState = async (id: string) =>
    (await stack.db.query(`select state from approvals where id = $1`, [id]).catch(() => ({ rows: [] }))).rows[0]
      ?.state as string | undefined;

  const rebuildLane = async () => {
    let previous: string | undefined;
    while (running()) {
      // Diverged again, so that the report offers the rebuild; the clear lane's queues are created again.
      stack.corvo.setScenario('sqlite-diverged');
      const open = await stack.db
        .query<{ queue: string }>(
          `select params->>'queue' as queue from approvals where remediation = 'clear' and state in ('pending', 'approved')`,
        )
        .then((r) => r.rows.map((row) => row.queue))
        .catch(() => []);
      await Promise.all([...new Set([...open, ...requesting])].map(ensureQueue));
      const channel = `C0RB${++seq}`;
      if (!(await command(channel, 'health'))) {
        await sleep(1000);
        continue;
      }
      const report = await until(() => stack.slack.messages(channel)[0], FLOW_WAIT_MS, running);
      const button = report && buttons(report.blocks).find((b) => b.text?.text.includes('Rebuild SQLite'));
      if (!report || !button) {
        if (report) flow.noButton++;
        continue;
      }
      const offered = await click({
        user: REQUESTER,
        channel,
        actionId: button.action_id,
        value: button.value,
        messageTs: report.ts,
      });
      if (!offered.ok) continue;
      const card = await cardIn(channel);
      if (!card) continue;
      const approved = await click({
        user: pick(APPROVERS),
        channel,
        actionId: 'approval:approve',
        value: card.approvalId,
        messageTs: card.ts,
      });
      // From the first attempt: a click that timed out may still have been taken.
      if (previous) rebuildWindows.get(previous)!.to = approved.firstAt;
      rebuildWindows.set(card.approvalId, { from: approved.firstAt, to: Infinity });
      previous = card.approvalId;
      // One rebuild in flight at a time: the next approval waits until this one is final (or, never approved,
      // still pending after FLOW_WAIT_MS).
      const since = Date.now();
      for (;;) {
        const s = await approvalState(card.approvalId);
        if (s && !['pending', 'approved', 'executing'].includes(s)) break;
        // Never approved (still pending), or the load is over: stop waiting after FLOW_WAIT_MS.
        if ((s === 'pending' || !running()) && Date.now() - since > FLOW_WAIT_MS) break;
        await sleep(250);
      }
    }
  };

  // ---- faults ---------------------------------------------------------------------------------------------------
  const faultLane = async () => {
    // Its own generator: the plan and the victims depend on the seed only, not on how the load lanes interleave.
    const r = seeded(o.seed ^ 0x5eed);
    const T = o.durationMs;
    const plan: { at: number; what: 'redis' | 'postgres' | 'web' | 'worker' }[] = [
      { at: T * (0.25 + r() * 0.1), what: 'redis' },
      { at: T * (0.45 + r() * 0.1), what: 'postgres' },
      { at: T * (0.65 + r() * 0.1), what: 'web' },
    ];
    const meanGap = Math.min(90_000, Math.max(8_000, T / 6));
    for (let at = T * (0.05 + r() * 0.1); at < T * 0.9; at += meanGap * (0.5 + r())) plan.push({ at, what: 'worker' });
    plan.sort((a, b) => a.at - b.at);
    const replacing = new Set<number>();
    const replacements: Promise<void>[] = [];
    const record = (at: number, what: string, started: number) => {
      faults.push({ at, what, ms: Date.now() - started });
      log(`soak: ${at.toFixed(1)} s ${what} (${Date.now() - started} ms)`);
    };
    for (const step of plan) {
      await sleep(Math.max(0, t0 + step.at - Date.now()));
      const at = elapsed();
      const started = Date.now();
      if (step.what === 'worker') {
        // A worker still starting is not killed again; its replacement starts in the background. One worker down at
        // a time unless told otherwise.
        const up = stack.workers.map((_, i) => i).filter((i) => !replacing.has(i));
        if (up.length === 0 || (replacing.size > 0 && !o.overlappingKills)) {
          record(at, 'worker kill skipped: a replacement is still starting', started);
          continue;
        }
        const i = up[Math.floor(r() * up.length)]!;
        replacing.add(i);
        replacements.push(
          stack.killWorker(i).then(() => {
            replacing.delete(i);
            record(at, `worker ${i + 1} SIGKILL, replacement started`, started);
          }),
        );
      } else if (step.what === 'web') {
        const code = await stack.restartWeb(1000);
        record(at, `web SIGTERM (exit ${code}), restarted`, started);
      } else {
        const service = step.what === 'redis' ? stack.redis : stack.postgres;
        await service.down();
        await sleep(1000 + r() * 2000);
        await service.up();
        record(at, `${step.what} stopped and started`, started);
      }
    }
    await Promise.all(replacements);
    faultsDone = true;
  };

  const progress = setInterval(() => {
    const ok = attempts.filter((a) => a.accepted).length;
    if (!running()) return;
    log(`soak: ${elapsed().toFixed(0)} s, ${attempts.length} requests, ${ok} accepted, ${faults.length} faults`);
  }, 15_000);
  try {
    await Promise.all([
      faultLane(),
      commandLane(),
      pagerdutyLane(1),
      pagerdutyLane(2),
      alertmanagerLane(),
      clearLane(),
      rebuildLane(),
    ]);
  } finally {
    clearInterval(progress);
  }
  const loadSeconds = elapsed();
  log(`soak: load stopped after ${loadSeconds.toFixed(1)} s; draining`);

  // ---- drain: accepted work finishes (bounded); the checks below do not wait ------------------------------------
  const answered = (channel: string) =>
    stack.slack.messages(channel).length + stack.slack.ephemerals(channel).length > 0;
  const failedChannels = async () =>
    new Set(
      (
        await stack.db.query<{ channel_id: string }>(
          `select channel_id from invocations where status in ('failed', 'rejected')`,
        )
      ).rows.map((r) => r.channel_id),
    );
  const events = async () =>
    new Map(
      (
        await stack.db.query<{ key: string; n: number; processed: number }>(
          `select source || '|' || external_id || '|' || event_type as key, count(*)::int as n,
                  count(processed_at)::int as processed
             from alert_events group by 1`,
        )
      ).rows.map((r) => [r.key, r]),
    );
  const drainDeadline = Date.now() + (o.drainSeconds ?? 180) * 1000;
  for (;;) {
    const failed = await failedChannels().catch(() => new Set<string>());
    const ev = await events().catch(() => new Map());
    const busy = await stack.db
      .query(`select count(*)::int as n from approvals where state in ('approved', 'executing')`)
      .then((r) => r.rows[0].n as number)
      .catch(() => 1);
    const unanswered = [...commands.keys()].filter((c) => !answered(c) && !failed.has(c)).length;
    const unprocessed = [...deliveredOk].filter((k) => (ev.get(k)?.processed ?? 0) < 1).length;
    if ((unanswered === 0 && unprocessed === 0 && busy === 0) || Date.now() > drainDeadline) break;
    await sleep(500);
  }
  const drainSeconds = elapsed() - loadSeconds;
  // Late calls of an in-flight step (a killed worker's) land at the simulator within its timeout.
  await sleep(2000);

  // ---- invariants -------------------------------------------------------------------------------------------------
  const invariants: Invariant[] = [];
  const check = (name: string, checked: number, violations: string[]) =>
    invariants.push({
      name,
      ok: violations.length === 0,
      detail:
        `${checked} checked` +
        (violations.length ? `; ${violations.length} violations: ${violations.slice(0, 10).join('; ')}` : ''),
    });

  const ev = await events();
  check(
    'every webhook event that got a 2xx is recorded exactly once',
    deliveredOk.size,
    [...deliveredOk].filter((k) => ev.get(k)?.n !== 1).map((k) => `${k}: ${ev.get(k)?.n ?? 0} rows`),
  );
  check(
    'every webhook event that got a 2xx is processed',
    deliveredOk.size,
    [...deliveredOk].filter((k) => (ev.get(k)?.processed ?? 0) < 1).map((k) => `${k}: not processed`),
  );

  const failed = await failedChannels();
  check(
    'every accepted command has a posted answer or a recorded failure',
    commands.size,
    [...commands].filter(([c]) => !answered(c) && !failed.has(c)).map(([c, text]) => `${c} (/corvo ${text})`),
  );
  const answeredTwice = [...commands.keys()].filter(
    // The command lane's channels hold one report each (the approval lanes' hold a card or a report and a card).
    (c) => c.startsWith('C0CMD') && stack.slack.messages(c).filter((m) => m.thread_ts === undefined).length > 1,
  );

  const approvals = (
    await stack.db.query<{ id: string; state: string; remediation: string; queue: string | null; live: boolean }>(
      `select id, state, remediation, params->>'queue' as queue, expires_at > now() as live from approvals`,
    )
  ).rows;
  const stateOf = new Map(approvals.map((a) => [a.id, a.state]));
  const calls = stack.corvo.calls;
  const stepViolations: string[] = [];
  // Every clear approval (each request names its own queue): at most one call per queue, one if it succeeded, none
  // unless it was approved and got past its own checks.
  const clears = approvals.filter((a) => a.remediation === 'clear');
  const byQueue = new Map<string, typeof clears>();
  for (const a of clears) byQueue.set(a.queue ?? '?', [...(byQueue.get(a.queue ?? '?') ?? []), a]);
  for (const [q, as] of byQueue) {
    const n = calls.filter((c) => c.path === `/api/v1/queues/${q}/clear`).length;
    const states = as.map((a) => a.state);
    // Skipped: the fix's own check refused before its write.
    const noCall = states.every((s) => ['pending', 'denied', 'expired', 'skipped'].includes(s));
    if (n > 1 || (states.includes('succeeded') && n !== 1) || (noCall && n > 0))
      stepViolations.push(`clear ${q} (${as.map((a) => `${a.id} ${a.state}`).join(', ')}): ${n} calls`);
  }
  const strayClears = calls.filter(
    (c) => c.path.endsWith('/clear') && !byQueue.has(decodeURIComponent(c.path.split('/')[4] ?? '')),
  ).length;
  if (strayClears) stepViolations.push(`${strayClears} clear calls without an approval`);
  const rebuildCalls = calls.filter((c) => c.path === '/api/v1/admin/rebuild-sqlite');
  for (const [id, w] of rebuildWindows) {
    const n = rebuildCalls.filter((c) => c.at >= w.from && c.at < w.to).length;
    const s = stateOf.get(id);
    if (n > 1 || (s === 'succeeded' && n !== 1)) stepViolations.push(`rebuild ${id} (${s}): ${n} calls`);
  }
  const firstWindow = Math.min(...[...rebuildWindows.values()].map((w) => w.from));
  const strayRebuilds = rebuildCalls.filter((c) => !(c.at >= firstWindow)).length;
  if (strayRebuilds) stepViolations.push(`${strayRebuilds} rebuild calls before any approval`);
  check(
    'no approved step ran twice (calls at the simulated Corvo, per approval)',
    clears.length + rebuildWindows.size,
    stepViolations,
  );
  const chain = async (id: string) =>
    (
      await stack.db.query<{ e: string }>(
        `select coalesce(from_state, '-') || '>' || to_state || ' at ' || to_char(at, 'HH24:MI:SS.MS') as e
           from approval_events where approval_id = $1 order by id`,
        [id],
      )
    ).rows
      .map((r) => r.e)
      .join(', ');
  const unsettled = approvals.filter(
    (a) =>
      !(
        ['denied', 'expired', 'succeeded', 'failed', 'outcome-unknown', 'skipped'].includes(a.state) ||
        (a.state === 'pending' && a.live)
      ),
  );
  check(
    'every approval is final, or pending with a live expiry',
    approvals.length,
    await Promise.all(unsettled.map(async (a) => `${a.id} (${a.remediation}): ${a.state} [${await chain(a.id)}]`)),
  );

  // ---- figures ----------------------------------------------------------------------------------------------------
  const rssEnd = stack.rss();
  const byState = approvals.reduce<Record<string, number>>((m, a) => ({ ...m, [a.state]: (m[a.state] ?? 0) + 1 }), {});
  const row = (kind: Kind) => {
    const of = attempts.filter((a) => a.kind === kind);
    const n = (p: (a: Attempt) => boolean) => of.filter(p).length;
    return (
      `  ${kind.padEnd(13)} ${String(of.length).padStart(6)} sent ${String(n((a) => a.accepted)).padStart(6)} accepted` +
      ` ${String(n((a) => a.status >= 500)).padStart(4)} 5xx ${String(n((a) => a.status === 0)).padStart(4)} refused` +
      ` ${String(n((a) => a.status === -1)).padStart(3)} timed out` +
      ` ${String(n((a) => !a.accepted && a.status > 0 && a.status < 500)).padStart(3)} other`
    );
  };
  const mb = (kb: number | undefined) => (kb === undefined ? '—' : `${(kb / 1024).toFixed(0)} MB`);
  const outputs = stack.output();
  if (o.outputFile) writeFileSync(o.outputFile, outputs);
  const errorLines = outputs.split('\n').filter((l) => l.includes('"level":50')).length;
  const crashes = stack.unexpectedExits();
  // A bot process that dies on its own (e.g. on a Postgres restart) is a defect too: its in-flight work then depends
  // on the stall recovery alone.
  check('no bot process exited without being told to', 1, crashes);
  const workerKills = faults.filter((f) => f.what.includes('SIGKILL')).length;
  const restarts = {
    redis: faults.filter((f) => f.what.startsWith('redis')).length,
    postgres: faults.filter((f) => f.what.startsWith('postgres')).length,
    web: faults.filter((f) => f.what.startsWith('web')).length,
  };
  const figures = [
    `Soak: ${loadSeconds.toFixed(0)} s of load (seed ${o.seed}), drained in ${drainSeconds.toFixed(1)} s`,
    'Load (requests; accepted = acknowledged by the bot):',
    row('command'),
    row('click'),
    row('pagerduty'),
    row('alertmanager'),
    `  distinct webhook events acknowledged: ${deliveredOk.size} (PagerDuty ${[...deliveredOk].filter((k) => k.startsWith('pagerduty')).length}, Alertmanager ${[...deliveredOk].filter((k) => k.startsWith('alertmanager')).length})`,
    `  accepted commands: ${commands.size} (answered twice at top level: ${answeredTwice.length}); approval cards not seen in time: ${flow.cardsMissing}; reports without a rebuild button: ${flow.noButton}`,
    `  approvals: ${approvals.length} (${Object.entries(byState)
      .map(([s, n]) => `${s} ${n}`)
      .join(
        ', ',
      )}); clear calls ${calls.filter((c) => c.path.endsWith('/clear')).length}, rebuild calls ${rebuildCalls.length}`,
    'Faults:',
    ...[...faults]
      .sort((a, b) => a.at - b.at)
      .map((f) => `  ${f.at.toFixed(1).padStart(7)} s  ${f.what} (${(f.ms / 1000).toFixed(1)} s)`),
    'Invariants:',
    ...invariants.map((i) => `  ${i.ok ? 'ok  ' : 'FAIL'} ${i.name}: ${i.detail}`),
    'Resident memory (VmRSS), start → end:',
    `  web       ${mb(rssStart.web)} → ${mb(rssEnd.web)}${restarts.web ? ' (end: the restarted process)' : ''}`,
    ...rssStart.workers.map((kb, i) => `  worker ${i + 1}  ${mb(kb)} → ${mb(rssEnd.workers[i])}`),
    `  (${workerKills} worker kills: an end figure may be a replacement's)`,
    `Bot log lines at level error: ${errorLines}`,
    `Bot processes that exited without being told to: ${crashes.length ? crashes.join('; ') : 'none'}`,
  ].join('\n');

  return {
    ok: invariants.every((i) => i.ok),
    invariants,
    counts: {
      commandsAccepted: commands.size,
      webhooksAccepted: deliveredOk.size,
      approvalsSucceeded: byState.succeeded ?? 0,
      workerKills,
      unexpectedExits: crashes.length,
      restarts,
    },
    figures,
  };
}
