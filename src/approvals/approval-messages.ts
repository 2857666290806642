import type { Finding } from '../core/report.js';

/**
 * What the approval engine says in chat: the lines shown only to the user who clicked (`tell`) and the replies in
 * the card's thread (`say`), plus the outcome texts recorded as a step's result. Slack emoji shortcodes (`:x:`) are
 * rendered as such by Slack and left as text elsewhere.
 */
export const approvalMessages = {
  unknownFix: (remediation: string, system: string) => `Unknown fix "${remediation}" for ${system}.`,
  alreadyOpen: (approvalId: string, state: string) => `A request for this is already open (${approvalId}, ${state}).`,
  unknownRequest: 'That request no longer exists.',
  offCard:
    "That button is not on this request's approval card, so nothing changed. A request is approved or " +
    'denied only on its own card, in the channel where it was asked.',
  expired: 'This request has expired and can no longer run. Ask again if it is still needed.',
  alreadyVoted: (need: number) => `You already approved this request; it needs ${need} different approvers.`,
  /** `decidedBy`: the platform user id of who decided, when someone did. */
  alreadyDecided: (state: string | undefined, decidedBy: string | undefined) =>
    `Nothing to do: this request is already ${state ?? 'gone'}${decidedBy ? ` by ${decidedBy}` : ''}.`,
  unknownOffer: 'That button is from a report the bot no longer knows.',
  staleButton:
    'That button is no longer active (it belongs to an older message or version of the bot). Nothing ' +
    'changed; run the command again for fresh buttons.',

  /** The result recorded when a job finds its step already running: the worker stopped mid-step. */
  outcomeUnknownResult: 'the worker stopped while the step was running; re-checking instead of running it again',
  outcomeUnknown: (title: string, target: string) =>
    `:warning: ${title} on ${target}: the worker stopped while it was ` +
    'running, so whether it took effect is unknown. It will NOT be run again automatically. Re-checking now…',
  /** Why an approved step was skipped at click-time re-validation. */
  notRevalidated: (target: string, probeFailed: boolean) =>
    probeFailed
      ? `${target} did not answer the re-check, so the step was not run`
      : 'the finding had already cleared when it was approved, so the step was not run',
  skipped: (title: string, target: string, reason: string) => `${title} on ${target}: ${reason}.`,
  /** A failure that is not the target's own error: the details stay in the logs. */
  unexpectedError: 'unexpected error (details in the bot logs)',
  refusedBeforeWrite: (title: string, target: string, message: string) =>
    `:no_entry_sign: ${title} on ${target} was not run: ${message}`,
  outcome: (title: string, target: string, state: string, result: string | null) =>
    state === 'succeeded'
      ? `:white_check_mark: ${title} on ${target}: ${result}. Re-checking…`
      : `:x: ${title} on ${target} failed: ${result}. It was not retried.`,
  /** The re-check after a step: `still` is the step's finding in the new report, if it is there. */
  recheck: (findingCode: string, still: Finding | undefined) =>
    !still || still.severity === 'ok'
      ? `Re-check: "${still?.title ?? findingCode}" has cleared.`
      : `Re-check: still ${still.severity} — ${still.title}: ${still.evidence}`,
} as const;
