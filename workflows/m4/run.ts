import { RUN_ID_PATTERN, type LockRow, type M4Clients, type RunInspection } from '../../integrations/m4/index.js';
import type { ArgSpec } from '../../src/core/command.js';
import { formatNumber } from '../../src/core/format.js';
import { probeFailureFinding, settle, type ProbeResult } from '../../src/core/probe.js';
import { countsText, sortFindings, type Finding, type Severity } from '../../src/core/report.js';
import { evaluateRules, type Rule } from '../../src/core/rule.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { M4_CODES, cancelRunAction, nudgeAction } from './codes.js';
import { M4_CORRECTIONS, SQL_CORRECTIONS, fillSql, sqlCorrectionText } from './corrections.js';
import { duration, iso } from './format.js';
import { locksRule } from './locks.js';

/** Thresholds of the "Run Stuck" checklist. */
export const RUN_THRESHOLDS = {
  /** Runbook symptom: "No `RunFinished` event after N minutes (threshold: 10 minutes)". */
  stuckRunMs: 10 * 60_000,
  /** Runbook "Outbox Lag": > 500 ms is critical lag, so an event waiting longer is no longer merely in flight. */
  inFlightMs: 500,
  /** Runbook recovery: "If still stuck after 30s → check DB locks". */
  stuckOutboxMs: 30_000,
} as const;

const SECTION = {
  neverStarted: 'Run Stuck › If run never started',
  state: 'Run Stuck › 1. Check run state in DB',
  symptoms: 'Run Stuck › Symptoms (no RunFinished after 10 minutes)',
  cursor: 'Run Stuck › 2–3. Outbox cursor: nextSeq vs lastSeq',
  gap: 'Run Stuck › 4. Check for gap',
  locks: 'Run Stuck › Recovery: outbox stuck › check DB locks',
} as const;

/** The `<runId>` argument, shared with the fixes (same name, so its value can be handed on as is). */
export const RUN_ID_ARG: ArgSpec = {
  name: 'runId',
  description: 'run id (runs.id, e.g. r-7c1f2a)',
  required: true,
  pattern: RUN_ID_PATTERN,
};

/** What the outbox of one run is doing, from the checklist's steps 2–4. */
export type OutboxDiagnosis =
  | { readonly kind: 'no-run' }
  /** No `run_outbox` row (never created, or removed by the last-resort cancel). */
  | { readonly kind: 'no-outbox' }
  | { readonly kind: 'caught-up' }
  /** `nextSeq > lastSeq + 1`: the cursor points past the last event. */
  | { readonly kind: 'ahead'; readonly by: number }
  /** The event at `nextSeq` exists and is unpublished; `severity` from how long it has waited. */
  | { readonly kind: 'pending'; readonly waitedMs: number; readonly backlog: number; readonly severity: Severity }
  /** No event at `nextSeq`: an append bug. */
  | { readonly kind: 'gap'; readonly backlog: number }
  /** The event at `nextSeq` already has `publishedAt` but the cursor did not move: a hand-set `publishedAt`. */
  | { readonly kind: 'published-at-cursor'; readonly backlog: number };

export function diagnoseOutbox(ins: RunInspection, nowMs: number): OutboxDiagnosis {
  if (!ins.run) return { kind: 'no-run' };
  if (!ins.outbox) return { kind: 'no-outbox' };
  const { nextSeq } = ins.outbox;
  const { lastSeq } = ins.run;
  if (nextSeq === lastSeq + 1) return { kind: 'caught-up' };
  if (nextSeq > lastSeq + 1) return { kind: 'ahead', by: nextSeq - lastSeq - 1 };
  const backlog = lastSeq - nextSeq + 1;
  const e = ins.eventAtNextSeq;
  if (!e) return { kind: 'gap', backlog };
  if (e.publishedAtMs !== null) return { kind: 'published-at-cursor', backlog };
  const waitedMs = Math.max(0, nowMs - e.ts);
  const severity: Severity =
    waitedMs > RUN_THRESHOLDS.stuckOutboxMs ? 'critical' : waitedMs > RUN_THRESHOLDS.inFlightMs ? 'warning' : 'ok';
  return { kind: 'pending', waitedMs, backlog, severity };
}

export interface RunObservations {
  readonly runId: string;
  readonly inspection: RunInspection;
  readonly outbox: OutboxDiagnosis;
  /** Read only when the outbox is slow or stuck (the runbook: "check DB locks"). */
  readonly locks?: ProbeResult<readonly LockRow[]>;
}

const n = formatNumber;

function lastEventText(ins: RunInspection, nowMs: number): string {
  const e = ins.lastEvent;
  return e ? `last event seq ${e.seq} ${e.type} ${duration(nowMs - e.ts)} ago` : 'no events';
}

const NEVER_STARTED_STEP =
  'Only RunStarted was appended, so the run-worker never picked the job up. The queue is in-memory by default ' +
  '(AGENTS_RUN_QUEUE_DRIVER unset): a restart of the API process loses queued jobs. With ' +
  'AGENTS_RUN_QUEUE_DRIVER=bullmq, look at the BullMQ queue `agents.run`. The runbook\'s grep "worker:job:start" | ' +
  'grep <runId> cannot match: that log line carries no runId.';

const NUDGE_STEP =
  'Nudge the outbox (button): the same pg_notify appendEvent sends, so the subscriber inside the API process ' +
  'publishes the pending events. If nothing moves within 30 s, the subscriber is not connected: look for ' +
  '`outbox.subscriber.connect_failed` / `outbox.publish.error` in the API process log, check the locks below, and ' +
  'restart the web/API process (it reconnects and drains). Never set publishedAt by hand.';

const GAP_STEP =
  'DO NOT insert the missing event. Alert the backend team now with the evidence above (runId, expected seq, last ' +
  'published seq, lastSeq) and the API process log around the append (look for "Non-monotonic seq append"). The ' +
  'outbox cannot get past the gap, so the run will not finish by itself; do not cancel it before engineering has the ' +
  'evidence — cancelling deletes the outbox cursor.';

export const runRules: readonly Rule<RunObservations>[] = [
  {
    code: M4_CODES.runNotFound,
    title: 'Run not found',
    okTitle: 'Run found',
    section: SECTION.neverStarted,
    nextStep:
      'Check the id. At HEAD, POST /api/agents/runs creates the runs and run_outbox rows and appends RunStarted ' +
      'before it enqueues the job, so no row means the start request itself failed: look at the API process log ' +
      'for that request. (The runbook\'s grep "worker:job:start" | grep <runId> cannot match: that line carries no runId.)',
    evaluate: (obs) =>
      obs.inspection.run
        ? null
        : {
            severity: 'warning',
            title: `Run ${obs.runId} not found`,
            evidence: `no row in runs with id = '${obs.runId}'${obs.inspection.outbox ? '' : ', and no run_outbox row'}`,
          },
  },
  {
    code: M4_CODES.runState,
    title: 'Run state',
    okTitle: 'Run state',
    section: SECTION.state,
    evaluate: (obs, now) => {
      const r = obs.inspection.run;
      if (!r) return null;
      const known = ['started', 'finished', 'cancelled'].includes(r.state);
      return {
        severity: known ? 'ok' : 'warning',
        title: known ? `Run ${r.id} is ${r.state}` : `Run ${r.id} has an unknown state "${r.state}"`,
        evidence:
          `state ${r.state} · startedAt ${iso(r.startedAtMs)} (${duration(now - r.startedAtMs)} ago) · ` +
          `finishedAt ${iso(r.finishedAtMs)} · lastSeq ${r.lastSeq} · ${lastEventText(obs.inspection, now)}`,
        runbookCorrection: sqlCorrectionText(SQL_CORRECTIONS.runState, { runId: r.id }),
      };
    },
  },
  {
    code: M4_CODES.runStuck,
    title: 'Run stuck',
    okTitle: 'Run not stuck',
    section: SECTION.symptoms,
    evaluate: (obs, now, thresholds) => {
      // `thresholds.m4.run-stall` of the config, else the runbook's 10 minutes.
      const stuckRunMs = thresholds?.('run-stall') ?? RUN_THRESHOLDS.stuckRunMs;
      const r = obs.inspection.run;
      if (!r) return null;
      const age = now - r.startedAtMs;
      if (r.state !== 'started') {
        const took = r.finishedAtMs === null ? '' : ` after ${duration(r.finishedAtMs - r.startedAtMs)}`;
        const d = obs.outbox;
        if (d.kind === 'pending' || d.kind === 'gap' || d.kind === 'published-at-cursor') {
          // At HEAD appending RunFinished sets state = 'finished' before the outbox publishes it: the run is done,
          // but SSE clients have not received its last events (and RunFinished) until the outbox drains.
          const severity: Severity = d.kind === 'pending' ? d.severity : 'critical';
          const cursor = obs.inspection.outbox!;
          return {
            severity,
            title: `Run ${r.id} is ${r.state}, outbox not yet drained`,
            evidence:
              `state ${r.state}${took} (finishedAt ${iso(r.finishedAtMs)}), but nextSeq ${cursor.nextSeq} ≤ lastSeq ` +
              `${r.lastSeq}: ${n(d.backlog)} event(s) — including the final ${obs.inspection.lastEvent?.type ?? 'event'} ` +
              `at seq ${r.lastSeq} — not yet published, so stream clients have not seen the run end. At HEAD ` +
              "appendEvent sets state = 'finished' when RunFinished is appended, before the outbox publishes it",
            nextStep:
              severity === 'ok'
                ? undefined
                : d.kind === 'pending'
                  ? `The outbox is not publishing (see below). ${NUDGE_STEP}`
                  : 'Escalate (see the outbox finding below): the outbox cannot drain past it by itself.',
          };
        }
        return {
          severity: 'ok',
          title: `Run ${r.id} is ${r.state}, not stuck`,
          evidence: `state ${r.state}${took} (finishedAt ${iso(r.finishedAtMs)})`,
        };
      }
      const evidence =
        `state started for ${duration(age)} without RunFinished — threshold ${duration(stuckRunMs)}; ` +
        `lastSeq ${r.lastSeq}; ${lastEventText(obs.inspection, now)}`;
      if (age <= stuckRunMs) {
        return {
          severity: 'ok',
          title: `Run ${r.id} is running (${duration(age)}, within ${duration(stuckRunMs)})`,
          evidence,
        };
      }
      const kind = obs.outbox.kind;
      const escalate = kind === 'gap' || kind === 'published-at-cursor';
      const nextStep =
        kind === 'pending'
          ? `The outbox is not publishing (see below). ${NUDGE_STEP} Cancel the run only if it is genuinely abandoned.`
          : escalate
            ? 'Escalate first (see the outbox finding below): the run cannot finish while its outbox is broken. Cancel ' +
              'only after the backend team has the evidence.'
            : r.lastSeq <= 1
              ? `${NEVER_STARTED_STEP} If the job is lost, cancel the run (last resort) and start it again.`
              : 'Everything appended is published, so the run itself stopped appending: the run-worker (inside the ' +
                'API process) died or hangs. Check the API process log; a restart loses in-memory queued jobs. If the ' +
                'run is genuinely abandoned, cancel it (last resort).';
      return {
        severity: 'critical',
        title: `Run ${r.id} has no RunFinished after ${duration(age)}`,
        evidence,
        nextStep,
        actions: escalate ? [] : [cancelRunAction(r.id, r.lastSeq)],
      };
    },
  },
  {
    code: M4_CODES.outboxCursor,
    title: 'Outbox cursor',
    okTitle: 'Outbox caught up',
    section: SECTION.cursor,
    evaluate: (obs) => {
      const { run, outbox } = obs.inspection;
      const correction = sqlCorrectionText(SQL_CORRECTIONS.outboxCursor, { runId: obs.runId });
      if (!run) return null;
      switch (obs.outbox.kind) {
        case 'caught-up':
          return {
            severity: 'ok',
            evidence: `nextSeq ${outbox!.nextSeq} > lastSeq ${run.lastSeq}: every appended event is published (cursor updated ${iso(outbox!.updatedAtMs)})`,
            runbookCorrection: correction,
          };
        case 'no-outbox':
          return run.state === 'cancelled'
            ? {
                severity: 'ok',
                title: `Run ${run.id} has no outbox row (cancelled)`,
                evidence: `no run_outbox row; state cancelled — the runbook's last resort deletes it`,
                runbookCorrection: correction,
              }
            : {
                severity: 'warning',
                title: `Run ${run.id} has no outbox row`,
                evidence: `no run_outbox row for a ${run.state} run (lastSeq ${run.lastSeq}): nothing will publish its events`,
                nextStep:
                  'POST /api/agents/runs creates the row with the run; a missing one was deleted by hand. Tell the ' +
                  'backend team; do not recreate it without them.',
                runbookCorrection: correction,
              };
        case 'ahead':
          return {
            severity: 'warning',
            title: `Outbox cursor of ${run.id} is ahead of lastSeq`,
            evidence: `nextSeq ${outbox!.nextSeq} > lastSeq + 1 = ${run.lastSeq + 1}: the cursor skipped ${obs.outbox.by} seq(s) that were never appended`,
            nextStep: 'The cursor only moves after a publish; tell the backend team (the row was edited by hand?).',
            runbookCorrection: correction,
          };
        default:
          return null;
      }
    },
  },
  {
    code: M4_CODES.outboxStuck,
    title: 'Outbox stuck',
    okTitle: 'Outbox publishing (event in flight)',
    section: SECTION.gap,
    runbookCorrection: `${M4_CORRECTIONS.listenNotify.text} ${M4_CORRECTIONS.noStartWorker.text} ${M4_CORRECTIONS.consolaLogs.text}`,
    correctionWhen: 'always',
    evaluate: (obs) => {
      const d = obs.outbox;
      const { run, outbox, eventAtNextSeq: e } = obs.inspection;
      if (d.kind !== 'pending' || !run || !outbox || !e) return null;
      const what = `${e.type}${e.name ? ` "${e.name}"` : ''}${e.fn ? ` ${e.fn}()` : ''}`;
      const evidence =
        `nextSeq ${outbox.nextSeq} ≤ lastSeq ${run.lastSeq}: ${n(d.backlog)} event(s) unpublished; the event at seq ` +
        `${e.seq} (${what}) exists with publishedAt NULL and has waited ${duration(d.waitedMs)} — in flight ≤ ` +
        `${duration(RUN_THRESHOLDS.inFlightMs)}, stuck > ${duration(RUN_THRESHOLDS.stuckOutboxMs)}`;
      if (d.severity === 'ok') return { severity: 'ok', evidence };
      return {
        severity: d.severity,
        title:
          d.severity === 'critical'
            ? `Outbox of ${run.id} stuck at seq ${e.seq} for ${duration(d.waitedMs)}`
            : `Outbox of ${run.id} slow: seq ${e.seq} waiting ${duration(d.waitedMs)}`,
        evidence,
        nextStep: NUDGE_STEP,
        actions: [nudgeAction(run.id)],
      };
    },
  },
  {
    code: M4_CODES.seqGap,
    title: 'Seq gap',
    okTitle: 'No seq gap',
    section: SECTION.gap,
    nextStep: GAP_STEP,
    evaluate: (obs) => {
      const d = obs.outbox;
      const { run, outbox } = obs.inspection;
      if (d.kind !== 'gap' || !run || !outbox) return null;
      const missing =
        obs.inspection.missingSeqs.join(', ') +
        (obs.inspection.missingSeqCount > obs.inspection.missingSeqs.length
          ? ` … (${n(obs.inspection.missingSeqCount)} in all)`
          : '');
      return {
        severity: 'critical',
        title: `Seq gap in run ${run.id}: event ${outbox.nextSeq} is missing`,
        evidence:
          `runId ${run.id} · expected seq ${outbox.nextSeq} (run_outbox."nextSeq") has no row in run_events · last ` +
          `published seq ${obs.inspection.lastPublishedSeq ?? 'none'} · lastSeq ${run.lastSeq} · missing seqs ` +
          `${missing} · ${n(obs.inspection.unpublishedCount)} later event(s) unpublished behind the gap`,
        runbookCorrection: sqlCorrectionText(SQL_CORRECTIONS.eventAtNextSeq, {
          runId: run.id,
          nextSeq: outbox.nextSeq,
        }),
        actions: [],
      };
    },
  },
  {
    code: M4_CODES.publishedAtCursor,
    title: 'Outbox cursor stalled on a published event',
    okTitle: 'Outbox cursor consistent',
    section: SECTION.gap,
    nextStep:
      'This is what a hand-set publishedAt does: the publisher looks for the event at nextSeq with publishedAt NULL, ' +
      'finds none, and never advances. Escalate to the backend team; do not "fix" it by editing rows.',
    evaluate: (obs) => {
      const d = obs.outbox;
      const { run, outbox, eventAtNextSeq: e } = obs.inspection;
      if (d.kind !== 'published-at-cursor' || !run || !outbox || !e) return null;
      return {
        severity: 'critical',
        title: `Outbox of ${run.id} stalled: seq ${e.seq} is marked published but nextSeq did not move`,
        evidence:
          `nextSeq ${outbox.nextSeq} ≤ lastSeq ${run.lastSeq}; the event at seq ${e.seq} has publishedAt ` +
          `${iso(e.publishedAtMs)}, yet the cursor still points at it — publish and cursor move in one transaction`,
        actions: [],
      };
    },
  },
  locksRule<RunObservations>(SECTION.locks),
];

/**
 * The bot never offers to set `publishedAt`, and says why, because that is the runbook's most tempting wrong fix.
 */
export const NEVER_SET_PUBLISHED_AT_NOTE =
  'The bot never offers to set publishedAt by hand (the runbook rightly forbids it): the outbox publishes only the ' +
  'event at nextSeq whose publishedAt is NULL, in the same transaction that advances nextSeq. A hand-set publishedAt ' +
  'hides that event from the publisher, so nextSeq never moves past it and the run stays stuck for good, while the ' +
  "stream's backfill (publishedAt IS NOT NULL) serves an event live subscribers never received. To move a stuck " +
  'outbox: nudge it (pg_notify) or restart the web/API process.';

function correctedQueriesNote(runId: string, nextSeq: number | undefined): string {
  const values = { runId, nextSeq };
  return (
    'Checklist queries for this run, quoted for Postgres (the runbook\'s unquoted camelCase fails with "column … does ' +
    'not exist"):\n' +
    [
      SQL_CORRECTIONS.runState,
      SQL_CORRECTIONS.outboxCursor,
      SQL_CORRECTIONS.eventAtNextSeq,
      SQL_CORRECTIONS.maxPublishedSeq,
    ]
      .map((c) => fillSql(c.corrected, values))
      .join('\n')
  );
}

function summaryOf(obs: RunObservations, findings: readonly Finding[], now: number): string {
  const r = obs.inspection.run;
  if (!r) return `Run ${obs.runId} not found`;
  const age = r.state === 'started' ? `started ${duration(now - r.startedAtMs)} ago` : r.state;
  const d = obs.outbox;
  const outbox =
    d.kind === 'caught-up'
      ? 'outbox caught up'
      : d.kind === 'pending'
        ? d.severity === 'ok'
          ? 'outbox publishing'
          : `outbox ${d.severity === 'critical' ? 'stuck' : 'slow'} at seq ${obs.inspection.outbox!.nextSeq} (${n(d.backlog)} unpublished)`
        : d.kind === 'gap'
          ? `seq gap at ${obs.inspection.outbox!.nextSeq}`
          : d.kind === 'published-at-cursor'
            ? `outbox stalled at ${obs.inspection.outbox!.nextSeq}`
            : d.kind === 'no-outbox'
              ? 'no outbox row'
              : 'outbox cursor ahead';
  return `${r.id}: ${age}, ${outbox}; ${countsText(findings)}`;
}

/** `/m4 run <runId>`: the runbook's "Run Stuck" checklist against the real database. */
export async function runRunChecklist(ctx: WorkflowContext<M4Clients>): Promise<WorkflowResult> {
  const runId = ctx.args.runId;
  if (runId === undefined || !RUN_ID_PATTERN.test(runId)) {
    return {
      findings: [
        {
          code: M4_CODES.noRunId,
          severity: 'inconclusive',
          title: 'No valid run id to check',
          evidence:
            runId === undefined
              ? 'the check was started without a run id'
              : 'the run id has characters a run id never has',
          nextStep: 'Run /m4 run <runId>.',
        },
      ],
      summary: 'No run id',
    };
  }
  const now = ctx.clock.now();
  const inspected = await settle(() => ctx.clients.db.inspectRun(runId, { signal: ctx.signal }));
  if (!inspected.ok) {
    const f = probeFailureFinding(
      M4_CODES.probeDatabase,
      `Could not read run ${runId} from M4 ${ctx.target}'s database`,
      inspected.error,
      SECTION.state,
    );
    return {
      findings: [f],
      summary: f.title,
      notes: [NEVER_SET_PUBLISHED_AT_NOTE, correctedQueriesNote(runId, undefined)],
    };
  }
  const inspection = inspected.value;
  const outbox = diagnoseOutbox(inspection, now);
  const needLocks = outbox.kind === 'pending' && outbox.severity !== 'ok';
  const locks = needLocks ? await settle(() => ctx.clients.db.locks({ signal: ctx.signal })) : undefined;
  const obs: RunObservations = { runId, inspection, outbox, locks };
  const findings = evaluateRules(runRules, obs, now, { thresholds: ctx.thresholds });
  if (locks && !locks.ok) {
    findings.push(
      probeFailureFinding('m4.probe.locks', `Could not read pg_locks on M4 ${ctx.target}`, locks.error, SECTION.locks),
    );
  }
  const sorted = sortFindings(findings);
  ctx.logger.debug({ findings: sorted.length, outbox: outbox.kind }, 'm4 run checklist evaluated');
  return {
    findings: sorted,
    summary: summaryOf(obs, sorted, now),
    notes: [NEVER_SET_PUBLISHED_AT_NOTE, correctedQueriesNote(runId, inspection.outbox?.nextSeq)],
  };
}

export const runWorkflow: Workflow<M4Clients> = {
  id: 'run',
  title: 'M4 run stuck checklist',
  description:
    'Runs the runbook\'s "Run Stuck" checklist for one run: state, outbox cursor, the event at nextSeq (stuck or seq gap), age.',
  args: [RUN_ID_ARG],
  run: runRunChecklist,
};
