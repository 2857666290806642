import type { M4Clients, RunInspection } from '../../integrations/m4/index.js';
import type { Remediation } from '../../src/core/remediation.js';
import { refusedBeforeWrite } from '../../src/core/target-error.js';
import { M4_CODES, M4_REMEDIATION_IDS } from './codes.js';
import { M4_CORRECTIONS, SQL_CORRECTIONS, fillSql } from './corrections.js';
import { duration } from './format.js';
import { RUN_ID_ARG } from './run.js';
import type { ArgSpec } from '../../src/core/command.js';

/** Pinned by the offer on a finding: the run's lastSeq the card showed. Optional when typed by hand. */
const LAST_SEQ_ARG: ArgSpec = {
  name: 'lastSeq',
  description: 'expected runs.lastSeq (as the card showed)',
  required: false,
  pattern: /^\d{1,10}$/,
};

export interface M4RemediationOptions {
  /** How long `nudge` watches the cursor after notifying, ms. Default 3000. */
  readonly nudgeWatchMs?: number;
  /** How often it looks, ms. Default 250. */
  readonly nudgePollMs?: number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function cursorText(ins: RunInspection): string {
  if (!ins.run || !ins.outbox) return 'no cursor';
  return `nextSeq ${ins.outbox.nextSeq}, lastSeq ${ins.run.lastSeq}`;
}

/** The M4 runbook's fixes that the bot can apply: the safe nudge, and the last-resort cancel. */
export function createM4Remediations(o: M4RemediationOptions = {}): readonly Remediation<M4Clients>[] {
  const watchMs = o.nudgeWatchMs ?? 3000;
  const pollMs = o.nudgePollMs ?? 250;
  return [
    {
      id: M4_REMEDIATION_IDS.nudge,
      title: 'Nudge outbox',
      description: "Wake M4's outbox subscriber for one run with pg_notify (the requester confirms).",
      level: 'confirm',
      destructive: false,
      params: [RUN_ID_ARG],
      describeCall: (p) =>
        `SELECT pg_notify('agents_run_outbox', '${JSON.stringify({ runId: p.runId ?? '' })}') — on M4's database`,
      describeEffect: () =>
        "Sends the same signal appendEvent sends: the outbox subscriber inside M4's web/API process publishes the " +
        "run's pending events in order (each publish sets publishedAt and advances nextSeq in one transaction). " +
        'It changes no row itself and is safe to repeat; if the subscriber is not connected, nothing happens. ' +
        M4_CORRECTIONS.noStartWorker.text,
      async execute({ clients, params, signal }) {
        const runId = params.runId!;
        const before = await clients.db.inspectRun(runId, { signal });
        if (!before.run) throw refusedBeforeWrite(`Did not nudge: run ${runId} does not exist`);
        if (!before.outbox) {
          throw refusedBeforeWrite(`Did not nudge: run ${runId} has no outbox row (state ${before.run.state})`);
        }
        if (before.outbox.nextSeq > before.run.lastSeq) {
          // The card showed events waiting; re-read, there are none left: say so instead of notifying for nothing.
          throw refusedBeforeWrite(
            `nothing to nudge: run ${runId} (${before.run.state}) has published everything it appended ` +
              `(${cursorText(before)}) — the outbox drained since the card`,
          );
        }
        await clients.db.notifyOutbox(runId, { signal });
        const target = before.run.lastSeq + 1;
        let after = before;
        for (let waited = 0; waited < watchMs && !signal.aborted; waited += pollMs) {
          if (after.outbox && after.outbox.nextSeq >= target) break;
          await sleep(pollMs, signal);
          after = await clients.db.inspectRun(runId, { signal });
        }
        const from = before.outbox.nextSeq;
        const to = after.outbox?.nextSeq ?? from;
        if (to >= (after.run?.lastSeq ?? 0) + 1) {
          return {
            summary: `notified agents_run_outbox for ${runId}: caught up, nextSeq ${from} → ${to} (${cursorText(after)})`,
          };
        }
        if (to > from) {
          return {
            summary: `notified agents_run_outbox for ${runId}: publishing, nextSeq ${from} → ${to} (${cursorText(after)})`,
          };
        }
        return {
          summary:
            `notified agents_run_outbox for ${runId}, but nextSeq stayed ${from} for ${duration(watchMs)} ` +
            `(lastSeq ${after.run?.lastSeq ?? '?'}): the subscriber inside M4's web/API process is not publishing — ` +
            'check its log for outbox.subscriber.connect_failed / outbox.publish.error and restart that process; ' +
            'run /m4 run ' +
            runId +
            ' for a seq gap.',
        };
      },
    },
    {
      id: M4_REMEDIATION_IDS.cancelRun,
      title: 'Cancel run (last resort)',
      description: "Mark a stuck run cancelled and remove its outbox row (needs a second person's approval).",
      level: 'approval',
      destructive: true,
      params: [RUN_ID_ARG, LAST_SEQ_ARG],
      describeCall: (p) =>
        `${fillSql(SQL_CORRECTIONS.clearStuckRun.corrected, { runId: p.runId ?? '<runId>' })}` +
        (p.lastSeq ? ` (and only while "lastSeq" = ${p.lastSeq}, as the card showed)` : '') +
        " — on M4's database",
      describeEffect: (p) =>
        `Sets run ${p.runId} to cancelled (finishedAt = now, UTC) and deletes its run_outbox row, in one transaction, ` +
        'and only if the run is still started — if it finished meanwhile, nothing changes. Its unpublished events stay ' +
        'unpublished for good; open SSE streams never get RunFinished and hang until the client gives up; if the ' +
        'run-worker is in fact still running it, its next append fails. With the lastSeq of the card, a run that ' +
        'appended since (so is not stuck) is left alone. The outbox cursor (nextSeq) is lost — it is ' +
        "recorded in the result. Corrections: the runbook's UPDATE/DELETE fail as written (unquoted camelCase) and " +
        "its finishedAt = NOW() would store the session's local time in Prisma's UTC column; POST " +
        '/api/agents/runs/{id}/cancel is no alternative — it persists nothing.',
      verify: { workflow: 'run', findingCode: M4_CODES.runStuck },
      async execute({ clients, params, signal }) {
        const runId = params.runId!;
        const expectedLastSeq = params.lastSeq === undefined ? undefined : Number(params.lastSeq);
        const r = await clients.db.cancelRun(runId, { signal, expectedLastSeq });
        if (!r.changed) {
          // The conditional UPDATE matched no row: the run is not what the card showed, so nothing was written.
          throw refusedBeforeWrite(
            r.state === null
              ? `nothing changed: run ${runId} does not exist`
              : r.state === 'started' && expectedLastSeq !== undefined && r.lastSeq !== expectedLastSeq
                ? `nothing changed: run ${runId} is still started but appended events since the card (lastSeq ` +
                  `${expectedLastSeq} → ${r.lastSeq}), so it is not stuck — run /m4 run ${runId} again`
                : `nothing changed: run ${runId} is ${r.state}, not started`,
          );
        }
        return {
          summary:
            `run ${runId} cancelled; its outbox row (nextSeq ${r.removedNextSeq ?? 'none'}, lastSeq ${r.lastSeq}) was ` +
            'removed — keep these numbers for the backend team',
        };
      },
    },
  ];
}

/** `nudge` (confirm) and `cancel-run` (approval, destructive). The bot never offers to set publishedAt. */
export const m4Remediations: readonly Remediation<M4Clients>[] = createM4Remediations();
