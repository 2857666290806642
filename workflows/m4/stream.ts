import {
  RUN_ID_PATTERN,
  type M4Clients,
  type RunInspection,
  type RunStreamEvent,
  type StreamRead,
} from '../../integrations/m4/index.js';
import type { OptionSpec } from '../../src/core/command.js';
import { formatNumber } from '../../src/core/format.js';
import { probeFailureFinding, settle, type ProbeResult } from '../../src/core/probe.js';
import { countsText, sortFindings, type Finding } from '../../src/core/report.js';
import { evaluateRules, type FindingDraft, type Rule } from '../../src/core/rule.js';
import { isTargetError } from '../../src/core/target-error.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { M4_CODES } from './codes.js';
import { M4_CORRECTIONS } from './corrections.js';
import { duration } from './format.js';
import { RUN_ID_ARG } from './run.js';

const SECTION = {
  reconnect: 'Rebuild Stream › 2. Reconnect with fromSeq',
  order: 'Rebuild Stream › 3. Verify order',
  duplicates: 'Rebuild Stream › 4. Watch for duplicates',
  terminal: 'Rebuild Stream › 3. Verify order (terminal RunFinished)',
} as const;

export const FROM_SEQ_OPTION: OptionSpec = {
  name: 'from-seq',
  description: 'replay from this seq (the server should start at from-seq + 1)',
  pattern: /^\d{1,9}$/,
};

/** What one replay shows about order, duplicates and the terminal event. */
export interface ReplayAnalysis {
  /** `fromSeq + 1`, or 1 without fromSeq. */
  readonly expectedFirst: number;
  readonly firstSeq: number | null;
  /** Seqs received more than once. */
  readonly duplicates: readonly number[];
  /** Places where the seq went backwards. */
  readonly decreases: readonly { readonly after: number; readonly seq: number }[];
  /** Places where seqs were skipped. */
  readonly jumps: readonly { readonly from: number; readonly to: number }[];
  /** Seq of the first RunFinished, if any. */
  readonly finishedSeq: number | null;
  /** Events received after RunFinished. */
  readonly afterFinish: number;
}

export function analyzeReplay(events: readonly RunStreamEvent[], fromSeq: number | undefined): ReplayAnalysis {
  const seen = new Set<number>();
  const duplicates = new Set<number>();
  const decreases: { after: number; seq: number }[] = [];
  const jumps: { from: number; to: number }[] = [];
  let finishedIndex = -1;
  events.forEach((e, i) => {
    if (seen.has(e.seq)) duplicates.add(e.seq);
    seen.add(e.seq);
    const prev = events[i - 1];
    if (prev && e.seq < prev.seq) decreases.push({ after: prev.seq, seq: e.seq });
    if (prev && e.seq > prev.seq + 1) jumps.push({ from: prev.seq, to: e.seq });
    if (e.type === 'RunFinished' && finishedIndex === -1) finishedIndex = i;
  });
  return {
    expectedFirst: (fromSeq ?? 0) + 1,
    firstSeq: events[0]?.seq ?? null,
    duplicates: [...duplicates],
    decreases,
    jumps,
    finishedSeq: finishedIndex === -1 ? null : events[finishedIndex]!.seq,
    afterFinish: finishedIndex === -1 ? 0 : events.length - finishedIndex - 1,
  };
}

const FROM_SEQ_STEP =
  'Until M4 fixes the route, clients must reconnect WITHOUT fromSeq and drop seqs they already have. Report it to the ' +
  'backend team: the route input is `type<{runId; fromSeq?: number}>()` with no schema, so SmartCoercionPlugin does ' +
  'not coerce the query value and `(fromSeq ?? 0) + 1` concatenates ("5" + 1 = "51"); a zod input schema with ' +
  'z.coerce.number() fixes it.';

const FROM_SEQ_CORRECTION =
  'The runbook\'s "Rebuild Stream" step 2 (curl …/stream?fromSeq=5 → the server backfills seq >= 6) does not hold at ' +
  'HEAD: fromSeq arrives as a string (§4.2, inferred from the code), so the backfill filter becomes seq >= "51", which ' +
  'Prisma rejects (or, if coerced, replays from the wrong seq).';

/**
 * Judges `?fromSeq=F` from a read with it (`probe`) and, when there is one, a read without it (`reference`).
 * Exported for tests of the verdicts on hand-made reads.
 */
export function judgeFromSeq(
  fromSeq: number,
  probe: ProbeResult<StreamRead>,
  reference: ProbeResult<StreamRead> | undefined,
): FindingDraft {
  const expected = fromSeq + 1;
  const concatenated = Number(`${fromSeq}1`);
  const ref = reference?.ok ? reference.value : undefined;
  const refText = ref
    ? `; without fromSeq the same stream works (${formatNumber(ref.events.length)} events from seq ${ref.events[0]?.seq ?? '—'})`
    : reference && !reference.ok
      ? '; without fromSeq it failed too'
      : '';
  const endpoint = probe.ok ? probe.value.endpoint : `GET …/stream?fromSeq=${fromSeq}`;
  const broken = (evidence: string): FindingDraft => ({
    severity: 'critical',
    title: '?fromSeq= is broken: fromSeq reaches the server as a string',
    evidence,
  });
  if (!probe.ok) {
    const err = probe.error;
    if (isTargetError(err) && err.status !== undefined) {
      return broken(`${err.message}${refText} — expected events from seq ${expected}`);
    }
    return {
      severity: 'inconclusive',
      title: '?fromSeq= could not be tested',
      evidence: isTargetError(err) ? err.message : 'unexpected error while reading the stream',
    };
  }
  const r = probe.value;
  if (r.events.length === 0 && r.errors.length > 0) {
    const e = r.errors[0]!;
    return broken(
      `${endpoint} sent an SSE error event (${e.code ?? 'no code'}${e.status ? ` ${e.status}` : ''}${e.message ? `: ${e.message}` : ''}) ` +
        `and no events${refText} — expected events from seq ${expected}`,
    );
  }
  const first = r.events[0]?.seq;
  if (first === undefined) {
    if (ref?.events.some((e) => e.seq === expected)) {
      return broken(
        `${endpoint} delivered nothing within ${duration(r.elapsedMs)} although seq ${expected} is published (the ` +
          `replay without fromSeq delivered it) — consistent with a backfill from seq ${concatenated}`,
      );
    }
    return {
      severity: 'inconclusive',
      title: '?fromSeq= could not be tested',
      evidence: `${endpoint} delivered nothing within ${duration(r.elapsedMs)}, and nothing after seq ${fromSeq} is known to be published`,
    };
  }
  if (first === expected) {
    return { severity: 'ok', evidence: `${endpoint}: first event seq ${first} = fromSeq + 1, as the runbook says` };
  }
  if (first === concatenated) {
    return broken(`${endpoint} replayed from seq ${first}, not ${expected}: "${fromSeq}" + 1 = "${concatenated}"`);
  }
  return {
    severity: 'critical',
    title: `?fromSeq= replays from the wrong seq`,
    evidence: `${endpoint}: first event seq ${first}, expected ${expected}`,
  };
}

export interface StreamObservations {
  readonly runId: string;
  /** The replay the order/duplicate/terminal checks read. */
  readonly read: StreamRead;
  /** The fromSeq of that replay (undefined: from the start). */
  readonly fromSeq: number | undefined;
  readonly analysis: ReplayAnalysis;
  /** Set when the user's fromSeq failed and the checks read a replay from the start instead. */
  readonly fellBack: boolean;
  readonly fromSeqDraft: FindingDraft;
  readonly db: ProbeResult<RunInspection>;
}

function dbText(db: ProbeResult<RunInspection>): string {
  if (!db.ok) return `database not readable (${isTargetError(db.error) ? db.error.message : 'unexpected error'})`;
  const r = db.value.run;
  if (!r) return 'database: no such run (the stream of an unknown run stays open and silent: there is no 404)';
  return `database: state ${r.state}, lastSeq ${r.lastSeq}, last published seq ${db.value.lastPublishedSeq ?? 'none'}`;
}

const seqList = (seqs: readonly number[]): string =>
  seqs.slice(0, 10).join(', ') + (seqs.length > 10 ? ` … (${seqs.length} in all)` : '');

/**
 * Reads only the fromSeq verdict, so it also reports when no replay could be read at all. An untested ?fromSeq=
 * (inconclusive) gets the rule's next step too: the defect is in M4's code, whether or not this read could show it.
 */
export const fromSeqRule: Rule<Pick<StreamObservations, 'fromSeqDraft'>> = {
  code: M4_CODES.streamFromSeq,
  title: '?fromSeq= is broken',
  okTitle: '?fromSeq= works',
  section: SECTION.reconnect,
  nextStep: FROM_SEQ_STEP,
  runbookCorrection: FROM_SEQ_CORRECTION,
  correctionWhen: 'always',
  evaluate: ({ fromSeqDraft: d }) =>
    d.severity === 'inconclusive' ? { ...d, nextStep: d.nextStep ?? FROM_SEQ_STEP } : d,
};

const TERMINAL_STEP =
  'Run /m4 run <runId>: if its outbox is stuck, a nudge publishes the missing events live to open streams.';

export const streamRules: readonly Rule<StreamObservations>[] = [
  {
    code: M4_CODES.streamFirstSeq,
    title: 'Stream starts at the wrong seq',
    okTitle: 'Stream starts where it should',
    section: SECTION.order,
    nextStep: 'Run /m4 run <runId>: a stuck outbox or a seq gap keeps events out of the backfill.',
    evaluate: (obs) => {
      const { read: r, analysis: a } = obs;
      const via = obs.fellBack ? ' (replay from the start: the requested fromSeq failed)' : '';
      if (a.firstSeq === null) {
        if (r.errors.length > 0) {
          return {
            severity: 'critical',
            title: 'The stream sent an error instead of events',
            evidence: `${r.endpoint}: SSE error ${r.errors[0]!.code ?? '(no code)'}; no events${via}`,
          };
        }
        return {
          severity: 'warning',
          title: 'No event received',
          evidence: `${r.endpoint}: no event within ${duration(r.elapsedMs)} (${r.end}); ${dbText(obs.db)}${via}`,
        };
      }
      const first = r.events[0]!;
      if (a.firstSeq === a.expectedFirst) {
        return {
          severity: 'ok',
          evidence: `first event seq ${first.seq} (${first.type}) = expected ${a.expectedFirst}${via}`,
        };
      }
      return {
        severity: 'critical',
        title: `Stream starts at seq ${a.firstSeq}, expected ${a.expectedFirst}`,
        evidence:
          `${r.endpoint}: first event seq ${a.firstSeq} (${first.type}), expected ${a.expectedFirst}` +
          (a.firstSeq > a.expectedFirst
            ? ` — seqs ${a.expectedFirst}–${a.firstSeq - 1} were not delivered`
            : ' — before fromSeq + 1') +
          `; ${dbText(obs.db)}${via}`,
      };
    },
  },
  {
    code: M4_CODES.streamOrder,
    title: 'Stream out of order',
    okTitle: 'Stream in order',
    section: SECTION.order,
    nextStep:
      'Report to the backend team with the seqs above: the backfill orders by seq and live events are filtered by ' +
      'lastSent, so disorder or holes point at the stream use case (stream-run.ts).',
    evaluate: (obs) => {
      const { read: r, analysis: a } = obs;
      if (r.events.length === 0) return null;
      if (a.decreases.length > 0) {
        return {
          severity: 'critical',
          title: 'Stream seqs go backwards',
          evidence: `${a.decreases
            .slice(0, 5)
            .map((d) => `${d.after} → ${d.seq}`)
            .join(', ')} in ${formatNumber(r.events.length)} events`,
        };
      }
      if (a.jumps.length > 0) {
        return {
          severity: 'warning',
          title: 'Stream skips seqs',
          evidence: `jumps ${a.jumps
            .slice(0, 5)
            .map((j) => `${j.from} → ${j.to}`)
            .join(', ')} in ${formatNumber(r.events.length)} events — published events are contiguous`,
        };
      }
      const last = r.events.at(-1)!;
      return {
        severity: 'ok',
        evidence: `${formatNumber(r.events.length)} events, seq ${r.events[0]!.seq} → ${last.seq}, each one above the last, no holes`,
      };
    },
  },
  {
    code: M4_CODES.streamDuplicates,
    title: 'Stream sent duplicates',
    okTitle: 'No duplicate seq',
    section: SECTION.duplicates,
    nextStep:
      'The runbook: "If client sees duplicates → bug in de-dupe logic (report)". Report it with the seqs above; ' +
      'clients should drop seq <= last seen meanwhile.',
    evaluate: (obs) => {
      if (obs.read.events.length === 0) return null;
      const d = obs.analysis.duplicates;
      return d.length > 0
        ? {
            severity: 'critical',
            title: `Stream sent seq ${seqList(d)} more than once`,
            evidence: `seq received twice: ${seqList(d)} in ${formatNumber(obs.read.events.length)} events`,
          }
        : { severity: 'ok', evidence: `${formatNumber(obs.read.events.length)} events, every seq once` };
    },
  },
  {
    code: M4_CODES.streamTerminal,
    title: 'Stream did not end on RunFinished',
    okTitle: 'Stream ends on RunFinished',
    section: SECTION.terminal,
    nextStep: TERMINAL_STEP,
    evaluate: (obs) => {
      const { read: r, analysis: a } = obs;
      const ended =
        r.end === 'done' || r.end === 'closed'
          ? 'then the server closed the stream'
          : `the bot stopped listening (${r.end}) after ${duration(r.elapsedMs)}`;
      if (a.finishedSeq !== null && a.afterFinish > 0) {
        return {
          severity: 'critical',
          title: `${a.afterFinish} event(s) after RunFinished`,
          evidence: `RunFinished at seq ${a.finishedSeq}, then ${a.afterFinish} more event(s) — the runbook's "Append After Terminal" pattern`,
          nextStep: 'Report to the backend team: the orchestrator must check the terminal state before appending.',
        };
      }
      if (a.finishedSeq !== null) {
        return { severity: 'ok', evidence: `last event seq ${a.finishedSeq} is RunFinished; ${ended}` };
      }
      const db = obs.db;
      const run = db.ok ? db.value.run : null;
      if (
        run &&
        db.ok &&
        run.state === 'finished' &&
        db.value.lastPublishedSeq === run.lastSeq &&
        r.end !== 'event-cap'
      ) {
        return {
          severity: 'critical',
          title: 'RunFinished is published but the stream did not deliver it',
          evidence: `${formatNumber(r.events.length)} events, last seq ${r.events.at(-1)?.seq ?? '—'}; ${ended}; ${dbText(db)}`,
          nextStep: 'Report to the backend team: the backfill should include every published event.',
        };
      }
      if (r.end === 'event-cap' || r.end === 'size-cap') {
        return {
          severity: 'inconclusive',
          title: 'Stream too long to read to the end',
          evidence: `stopped after ${formatNumber(r.events.length)} events (${r.end}) before any RunFinished; ${dbText(db)}`,
          nextStep: TERMINAL_STEP,
        };
      }
      return {
        severity: 'warning',
        title:
          r.end === 'time-cap' ? `No RunFinished within ${duration(r.elapsedMs)}` : 'Stream ended without RunFinished',
        evidence:
          `${formatNumber(r.events.length)} events, last seq ${r.events.at(-1)?.seq ?? '—'} ` +
          `(${r.events.at(-1)?.type ?? 'none'}); ${ended}; ${dbText(db)}` +
          (r.invalid > 0 ? `; ${r.invalid} message(s) were not run events` : ''),
      };
    },
  },
  fromSeqRule,
];

export interface StreamWorkflowOptions {
  /** How long the extra `?fromSeq=` read listens, ms. Default 2000. */
  readonly probeMs?: number;
}

/** Builds the `stream` workflow (`probeMs` lets tests shorten the fromSeq probe). */
export function createStreamWorkflow(o: StreamWorkflowOptions = {}): Workflow<M4Clients> {
  const probeMs = o.probeMs ?? 2000;

  async function run(ctx: WorkflowContext<M4Clients>): Promise<WorkflowResult> {
    const runId = ctx.args.runId;
    if (runId === undefined || !RUN_ID_PATTERN.test(runId)) {
      return {
        findings: [
          {
            code: M4_CODES.noRunId,
            severity: 'inconclusive',
            title: 'No valid run id to check',
            evidence: 'the check was started without a valid run id',
            nextStep: 'Run /m4 stream <runId> [--from-seq N].',
          },
        ],
        summary: 'No run id',
      };
    }
    const raw = ctx.args['from-seq'];
    const requested = raw !== undefined && /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
    const { api, db } = ctx.clients;
    const signal = ctx.signal;
    const read = (fromSeq?: number, extra: { maxEvents?: number; maxMs?: number } = {}) =>
      settle(() => api.readRunStream(runId, { fromSeq, signal, ...extra }));

    const [primary, inspection] = await Promise.all([read(requested), settle(() => db.inspectRun(runId, { signal }))]);
    const httpAnswered = !primary.ok && isTargetError(primary.error) && primary.error.status !== undefined;
    if (!primary.ok && !(requested !== undefined && httpAnswered)) {
      const f = probeFailureFinding(
        M4_CODES.probeStream,
        `Could not read the stream of ${runId} on M4 ${ctx.target}`,
        primary.error,
        SECTION.reconnect,
      );
      return { findings: [f], summary: f.title };
    }

    let replay: StreamRead | undefined;
    let replayFrom: number | undefined;
    let fellBack = false;
    let fromSeqDraft: FindingDraft;
    const extraFindings: Finding[] = [];
    if (requested !== undefined) {
      const first = primary.ok ? primary.value.events[0]?.seq : undefined;
      const suspicious = !primary.ok || first !== requested + 1;
      const control = suspicious ? await read(undefined) : undefined;
      fromSeqDraft = judgeFromSeq(requested, primary, control);
      if (primary.ok && (!suspicious || !control?.ok || fromSeqDraft.severity !== 'critical')) {
        replay = primary.value;
        replayFrom = requested;
      } else if (control?.ok) {
        replay = control.value;
        fellBack = true;
      } else if (control && !control.ok) {
        extraFindings.push(
          probeFailureFinding(
            M4_CODES.probeStream,
            `Could not read the stream of ${runId} on M4 ${ctx.target}`,
            control.error,
            SECTION.reconnect,
          ),
        );
      }
    } else {
      replay = (primary as { ok: true; value: StreamRead }).value;
      const events = replay.events;
      if (events.length >= 2) {
        const f = events[0]!.seq;
        fromSeqDraft = judgeFromSeq(f, await read(f, { maxEvents: 3, maxMs: probeMs }), primary);
      } else {
        fromSeqDraft = {
          severity: 'inconclusive',
          title: '?fromSeq= not tested',
          evidence: `the replay had ${events.length} event(s); at least 2 are needed to test ?fromSeq= against it`,
        };
      }
    }

    let findings: Finding[];
    if (replay) {
      const obs: StreamObservations = {
        runId,
        read: replay,
        fromSeq: replayFrom,
        analysis: analyzeReplay(replay.events, replayFrom),
        fellBack,
        fromSeqDraft,
        db: inspection,
      };
      findings = evaluateRules(streamRules, obs, ctx.clock.now());
    } else {
      findings = evaluateRules([fromSeqRule], { fromSeqDraft }, ctx.clock.now());
    }
    const sorted = sortFindings([...extraFindings, ...findings]);
    const pings = replay ? `${replay.pings} keep-alive comment(s) in ${duration(replay.elapsedMs)}` : 'no replay read';
    return {
      findings: sorted,
      summary: `${runId}: ${replay ? `${formatNumber(replay.events.length)} events replayed` : 'no replay'}; ${countsText(sorted)}`,
      notes: [`${M4_CORRECTIONS.heartbeat.text} This read: ${pings}.`],
    };
  }

  return {
    id: 'stream',
    title: 'M4 stream replay check',
    description:
      "Replays a run's SSE stream: first seq, strictly increasing, no duplicates, ends on RunFinished; tests ?fromSeq=.",
    args: [RUN_ID_ARG],
    options: [FROM_SEQ_OPTION],
    run,
  };
}

export const streamWorkflow: Workflow<M4Clients> = createStreamWorkflow();
