import type { CorvoClients } from '../../integrations/corvo/index.js';
import type { WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { describeCluster } from './health.js';
import { isUnreachable, probeFailureFindings, type CorvoObservations, type ExtraProbe } from './observe.js';
import { evaluateRules, findRule, type CorvoRule } from './rules.js';
import { countsText, sortFindings } from '../../src/core/report.js';

/**
 * A health rule reused by a symptom workflow under the same code (so a fix's re-check finds it). Throws when the
 * module loads if the rule is gone, rather than silently checking less.
 */
export function reuseRule(code: string): CorvoRule {
  const rule = findRule(code);
  if (!rule) throw new Error(`no Corvo rule ${code}`);
  return rule;
}

/** What a symptom workflow hands to {@link diagnose}. */
export interface DiagnoseOptions<O extends CorvoObservations> {
  /** The observations, core probes and the workflow's own. */
  readonly obs: O;
  /** Its checks, in report order within a severity. */
  readonly rules: readonly CorvoRule<O>[];
  /** The workflow's own probes, so their failures are reported (and count for "unreachable"). */
  readonly extras?: readonly ExtraProbe[];
  /** Manual steps and copyable commands, shown whatever the findings (also when Corvo is unreachable). */
  readonly notes?: readonly string[];
  /** What the workflow looked at, for the summary ("queue emails: 4,312 pending, paused"). */
  readonly headline?: (obs: O) => string | undefined;
}

/**
 * Turns a symptom workflow's observations into its result, like `/corvo health` does: probe failures are
 * inconclusive findings (one line when nothing answered), then the rules, worst first, and a one-line summary.
 */
export function diagnose<O extends CorvoObservations>(
  ctx: WorkflowContext<CorvoClients>,
  options: DiagnoseOptions<O>,
): WorkflowResult {
  const { obs, extras = [], notes = [] } = options;
  const withNotes = notes.length > 0 ? { notes } : {};
  const failures = probeFailureFindings(obs, ctx.target, extras);
  if (isUnreachable(obs, extras)) {
    return {
      findings: failures,
      summary: failures[0]?.title ?? `Corvo ${ctx.target} could not be checked`,
      ...withNotes,
    };
  }
  const findings = sortFindings([...failures, ...evaluateRules(options.rules, obs, ctx.clock.now())]);
  const summary = [describeCluster(obs), options.headline?.(obs), countsText(findings)].filter(Boolean).join('; ');
  return { findings, summary, ...withNotes };
}
