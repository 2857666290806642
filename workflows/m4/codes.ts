import type { ProposedAction } from '../../src/core/report.js';

/** Stable finding codes of the M4 workflows. */
export const M4_CODES = {
  noRunId: 'm4.run.no-run-id',
  probeDatabase: 'm4.probe.database',
  probeStream: 'm4.probe.stream',
  runNotFound: 'm4.run.not-found',
  runState: 'm4.run.state',
  /** A started run with no RunFinished after 10 minutes: what `cancel-run` re-checks before and after it runs. */
  runStuck: 'm4.run.stuck',
  outboxCursor: 'm4.outbox.cursor',
  outboxStuck: 'm4.outbox.stuck',
  seqGap: 'm4.events.seq-gap',
  publishedAtCursor: 'm4.outbox.published-at-cursor',
  locks: 'm4.db.locks',
  backlog: 'm4.outbox.backlog',
  lag: 'm4.outbox.lag',
  indexes: 'm4.schema.indexes',
  streamFirstSeq: 'm4.stream.first-seq',
  streamOrder: 'm4.stream.order',
  streamDuplicates: 'm4.stream.duplicates',
  streamTerminal: 'm4.stream.terminal',
  streamFromSeq: 'm4.stream.from-seq',
} as const;

/** The M4 fixes, by id. */
export const M4_REMEDIATION_IDS = { nudge: 'nudge', cancelRun: 'cancel-run' } as const;

/** The nudge button: `pg_notify` for the run; the requester confirms. */
export function nudgeAction(runId: string): ProposedAction {
  return {
    remediation: M4_REMEDIATION_IDS.nudge,
    label: 'Nudge outbox',
    params: { runId },
    level: 'confirm',
    destructive: false,
  };
}

/**
 * The last-resort button: cancel the run; a second person approves. It pins the run's lastSeq as the card showed it:
 * a run that appended since is not stuck, and the cancel then refuses.
 */
export function cancelRunAction(runId: string, lastSeq: number): ProposedAction {
  return {
    remediation: M4_REMEDIATION_IDS.cancelRun,
    label: 'Cancel run (last resort)',
    params: { runId, lastSeq: String(lastSeq) },
    level: 'approval',
    destructive: true,
  };
}
