import { probeFailureFinding } from '../core/probe.js';
import type pg from 'pg';
import type { Clock } from '../core/clock.js';
import type { Invocation } from '../core/invocation.js';
import type { Logger } from '../core/logger.js';
import { createReport, type Finding, type Report } from '../core/report.js';
import type { SystemModule } from '../core/system.js';
import { isTargetError } from '../core/target-error.js';
import type { ThresholdLookup } from '../core/threshold.js';
import type { WorkflowResult } from '../core/workflow.js';
import { finishInvocation, markInvocationRunning, recordInvocation } from '../store/invocations.js';
import { saveReport } from '../store/reports.js';
import { findingHistoryOf } from '../store/finding-history-of.js';
import { newOpaqueId, saveOffer } from '../approvals/approval-store.js';
import { checkParams } from '../core/command.js';

/** An engine-level workflow that needs no target (e.g. `/runbook audit`). */
export interface EngineWorkflow {
  readonly id: string;
  readonly title: string;
  run(invocation: Invocation, signal: AbortSignal): Promise<WorkflowResult>;
}

export interface RunDiagnosticDeps {
  readonly db: pg.Pool;
  readonly systems: readonly SystemModule[];
  /** Clients of a configured instance (cached by the caller), or undefined when the instance is not configured. */
  readonly clientsFor: (system: string, target: string) => unknown;
  /** Workflows of the bot itself, by `system.workflow` (`runbook.audit`). */
  readonly engineWorkflows: Readonly<Record<string, EngineWorkflow>>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Hard limit for one workflow run, ms. */
  readonly timeoutMs: number;
  /** A system's thresholds (`thresholds:` of the config, else the runbook's), handed to its workflows. */
  readonly thresholdsFor?: (system: string) => ThresholdLookup;
  /**
   * Called with the run's findings before its report is built and stored: records them (the finding history) and
   * may annotate them, retitle the report or add notes (a schedule's digest). Absent: the report is built as is.
   */
  readonly beforeReport?: (invocation: Invocation, draft: ReportDraft) => Promise<ReportDraft>;
}

/** A report's parts that {@link RunDiagnosticDeps.beforeReport} may change. */
export interface ReportDraft {
  readonly title: string;
  readonly summary: string;
  readonly findings: readonly Finding[];
  readonly notes: readonly string[] | undefined;
}

/** `queue=".."`, bounded: what a refused offer carried, quoted so it reads as data. */
function describeParams(params: Readonly<Record<string, string>> | undefined): string {
  const text = Object.entries(params ?? {})
    .map(([k, v]) => `${k}=${JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v)}`)
    .join(' ');
  return text || 'no parameters';
}

function summarize(findings: readonly Finding[]): string {
  const counts = new Map<string, number>();
  for (const f of findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const parts = (['critical', 'warning', 'inconclusive', 'ok'] as const)
    .filter((s) => counts.get(s))
    .map((s) => `${counts.get(s)} ${s}`);
  return parts.length ? parts.join(', ') : 'no findings';
}

/**
 * Runs one invocation's workflow and stores its report; returns it. Never throws for a target problem (that is an
 * inconclusive finding); throws only when the report cannot be stored (the job is then retried).
 */
export async function runDiagnostic(invocation: Invocation, deps: RunDiagnosticDeps): Promise<Report> {
  const log = deps.logger.child({
    invocationId: invocation.invocationId,
    workflow: `${invocation.system}.${invocation.workflow}`,
    target: invocation.target,
  });
  await recordInvocation(deps.db, invocation, 'queued');
  await markInvocationRunning(deps.db, invocation.invocationId);

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('workflow timed out')), deps.timeoutMs);
  let title = `${invocation.system} ${invocation.workflow}`;
  let result: WorkflowResult;
  try {
    const engine = deps.engineWorkflows[`${invocation.system}.${invocation.workflow}`];
    const system = deps.systems.find((s) => s.id === invocation.system);
    const workflow = system?.workflows.find((w) => w.id === invocation.workflow);
    if (engine) {
      title = engine.title;
      result = await engine.run(invocation, controller.signal);
    } else if (!system || !workflow) {
      result = {
        findings: [
          {
            code: 'runbook-bot.unknown-workflow',
            severity: 'inconclusive',
            title: 'Unknown workflow',
            evidence: `This bot version has no workflow "${invocation.workflow}" for ${invocation.system}.`,
          },
        ],
      };
    } else {
      title = workflow.title;
      const clients = deps.clientsFor(system.id, invocation.target);
      if (clients === undefined) {
        result = {
          findings: [
            {
              code: `${system.id}.config.unknown-target`,
              severity: 'inconclusive',
              title: `${system.displayName} instance "${invocation.target}" is not configured`,
              evidence: `targets.${system.id}.${invocation.target} is missing from the bot config.`,
            },
          ],
        };
      } else {
        result = await workflow.run({
          target: invocation.target,
          clients,
          args: invocation.args,
          clock: deps.clock,
          signal: controller.signal,
          logger: log,
          history: findingHistoryOf(deps.db, system.id, invocation.target),
          ...(deps.thresholdsFor ? { thresholds: deps.thresholdsFor(system.id) } : {}),
        });
        // A checklist's title names the checklist (`Try It Now daily checklist`).
        if (result.title) title = result.title;
      }
    }
  } catch (err) {
    // A workflow should turn target failures into findings itself; anything reaching here is reported without
    // its internals, and logged with its message only.
    log.error({ err: { name: (err as Error)?.name, message: (err as Error)?.message } }, 'workflow failed');
    result = {
      findings: [
        isTargetError(err)
          ? probeFailureFinding(`${invocation.system}.probe.failed`, 'Diagnostic could not complete', err)
          : {
              code: 'runbook-bot.workflow-error',
              severity: 'inconclusive',
              title: 'Diagnostic could not complete',
              evidence: controller.signal.aborted
                ? `The workflow did not finish within ${Math.round(deps.timeoutMs / 1000)} s.`
                : `The workflow stopped on an unexpected error (details in the bot logs under ${invocation.invocationId}).`,
            },
      ],
    };
  } finally {
    clearTimeout(timer);
  }

  // Each offered fix the system knows how to run becomes a stored offer; its button carries only the offer id. Its
  // parameters come from the target (a queue's name), so they pass the fix's own argument specs first, exactly as if
  // typed: a queue named `..` or `Q <!channel>` gets no button (and the report says why) rather than a request that
  // would reach another path.
  const system = deps.systems.find((s) => s.id === invocation.system);
  const findings: Finding[] = [];
  const refusedOffers: string[] = [];
  for (const finding of result.findings) {
    if (!finding.actions?.length || !system) {
      findings.push(finding);
      continue;
    }
    const actions = [];
    for (const action of finding.actions) {
      const remediation = system.remediations.find((r) => r.id === action.remediation);
      if (!remediation) {
        actions.push(action);
        continue;
      }
      const problem = checkParams(remediation.params, action.params ?? {});
      if (problem !== undefined) {
        log.warn({ remediation: remediation.id, finding: finding.code }, 'offer refused: parameters not valid');
        refusedOffers.push(
          `No "${remediation.title}" button for "${finding.title}": ${problem} (${describeParams(action.params)}), ` +
            'so it cannot be requested safely. Handle it by hand.',
        );
        continue;
      }
      const offerId = newOpaqueId('ofr');
      await saveOffer(deps.db, {
        id: offerId,
        invocationId: invocation.invocationId,
        system: invocation.system,
        target: invocation.target,
        remediation: action.remediation,
        params: { ...action.params },
        findingCode: finding.code,
        findingTitle: finding.title,
        findingEvidence: finding.evidence,
      });
      actions.push({ ...action, offerId });
    }
    findings.push({ ...finding, actions });
  }

  let draft: ReportDraft = {
    title,
    summary: result.summary ?? summarize(result.findings),
    findings,
    notes: refusedOffers.length ? [...(result.notes ?? []), ...refusedOffers] : result.notes,
  };
  if (deps.beforeReport) draft = await deps.beforeReport(invocation, draft);
  const report = createReport({
    title: draft.title,
    system: invocation.system,
    target: invocation.target,
    workflow: invocation.workflow,
    summary: draft.summary,
    findings: draft.findings,
    invocationId: invocation.invocationId,
    generatedAt: new Date(deps.clock.now()).toISOString(),
    notes: draft.notes,
  });
  await saveReport(deps.db, report);
  await finishInvocation(deps.db, invocation.invocationId, {
    status: 'succeeded',
    verdict: report.verdict,
    summary: report.summary,
  });
  log.info({ verdict: report.verdict, findings: report.findings.length }, 'diagnostic finished');
  return report;
}

/**
 * Runs a workflow without recording it (click-time re-validation of an approved step). Target failures come back
 * as inconclusive findings, as in any run.
 */
export async function runWorkflowQuietly(
  deps: Pick<RunDiagnosticDeps, 'systems' | 'clientsFor' | 'clock' | 'logger' | 'thresholdsFor'>,
  system: string,
  target: string,
  workflowId: string,
  args: Readonly<Record<string, string>>,
  signal: AbortSignal,
): Promise<Finding[]> {
  const module = deps.systems.find((s) => s.id === system);
  const workflow = module?.workflows.find((w) => w.id === workflowId);
  const clients = deps.clientsFor(system, target);
  if (!module || !workflow || clients === undefined) return [];
  const result = await workflow.run({
    target,
    clients,
    args,
    clock: deps.clock,
    signal,
    logger: deps.logger,
    ...(deps.thresholdsFor ? { thresholds: deps.thresholdsFor(system) } : {}),
  });
  return [...result.findings];
}
