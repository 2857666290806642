import type { KyroClients } from '../../integrations/kyrodb/index.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { KYRO_DECISION_TREE, branchFinding, type BranchOutcome, type DecisionBranch } from './decision-tree.js';
import { unreachableSummary } from './diagnose.js';
import { isUnreachable, observeKyro, probeFailureFindings, type KyroObservations } from './observe.js';

/** Every branch of the tree against one set of observations, in the runbook's order. */
export function walkDecisionTree(
  obs: KyroObservations,
  nowMs: number,
  tree: readonly DecisionBranch[] = KYRO_DECISION_TREE,
): { branch: DecisionBranch; outcome: BranchOutcome }[] {
  return tree.map((branch) => ({ branch, outcome: branch.walk(obs, nowMs) }));
}

/** "Server Unhealthy? → yes: unhealthy (…) → Logs show "circuit breaker open" → yes: …". */
export function describePath(walked: readonly { branch: DecisionBranch; outcome: BranchOutcome }[]): string {
  const [root, ...rest] = walked;
  const taken = rest.filter((w) => w.outcome.taken && w.outcome.severity !== 'ok').map((w) => w.outcome.title);
  const head = root?.outcome.title ?? 'Server Unhealthy? → unknown';
  if (taken.length === 0) return `${head}; no branch of the tree applies`;
  return [head, ...taken].join(' → ');
}

/** `/kyrodb decide`: walks the runbook's decision tree against live signals and answers with the branch taken. */
export async function runDecide(ctx: WorkflowContext<KyroClients>): Promise<WorkflowResult> {
  const client = ctx.clients.kyrodb;
  const obs = await observeKyro(client, ctx.signal, { writeWindowMs: client.writeWindowMs });
  const failures = probeFailureFindings(obs, ctx.target);
  if (isUnreachable(obs)) {
    // A closed port is also what a recovering KyroDB looks like: the tree's "Not running → Start server" is only
    // one of the two answers, and HTTP cannot tell them apart.
    return {
      findings: failures,
      summary:
        `${unreachableSummary(failures, ctx.target)} — decision tree: Check process → ` +
        'running but recovering (wait), or not running (start it)? `systemctl status kyrodb` tells',
    };
  }
  const walked = walkDecisionTree(obs, ctx.clock.now());
  // Runbook order, not severity order: the findings read as the walk down the tree.
  const findings = [...failures, ...walked.map((w) => branchFinding(w.branch, w.outcome))];
  const path = describePath(walked);
  ctx.logger.debug({ findings: findings.length }, 'kyrodb decision tree walked');
  return {
    findings,
    summary: path,
    notes: walked
      .slice(1)
      .filter((w) => w.outcome.taken && w.outcome.severity !== 'ok')
      .flatMap((w) => [`${w.outcome.title}:`, ...w.outcome.steps.map((s) => `  • ${s.step} — ${s.observed}`)]),
  };
}

export const decideWorkflow: Workflow<KyroClients> = {
  id: 'decide',
  title: 'KyroDB decision tree',
  description: "Walks the runbook's decision tree against live signals and names the branch taken.",
  run: runDecide,
};
