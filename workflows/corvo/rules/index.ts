/**
 * Every check of the Corvo runbook's "Health Check" and "Critical Metrics to Monitor" sections, plus the paused-queue
 * and worker checks of "Jobs Stuck Pending" and the exposition check of "Key Diagnostic Endpoints". Each section's
 * rules live in their own file: a new check is one entry there.
 */
import { applyPipelineRules } from './apply-pipeline.js';
import { healthCheckRules } from './health-check.js';
import type { CorvoRule } from './helpers.js';
import { keyEndpointRules } from './key-endpoints.js';
import { raftHealthRules } from './raft-health.js';
import { schedulerRules } from './scheduler.js';
import { sqliteMirrorRules } from './sqlite-mirror.js';
import { streamHealthRules } from './stream-health.js';
import { stuckPendingRules } from './stuck-pending.js';

/** The health rules; their order is the report's order within a severity. */
export const corvoRules: readonly CorvoRule[] = [
  ...healthCheckRules,
  ...applyPipelineRules,
  ...streamHealthRules,
  ...raftHealthRules,
  ...sqliteMirrorRules,
  ...schedulerRules,
  ...stuckPendingRules,
  ...keyEndpointRules,
];

/** The rule with this code (for workflows that re-run one check, e.g. after a remediation). */
export function findRule(code: string): CorvoRule | undefined {
  return corvoRules.find((r) => r.code === code);
}

/**
 * A health rule reused by a symptom workflow under the same code (so a fix's re-check finds it). Throws when the
 * module loads if the rule is gone, rather than silently checking less.
 */
export function reuseRule(code: string): CorvoRule {
  const rule = findRule(code);
  if (!rule) throw new Error(`no Corvo rule ${code}`);
  return rule;
}
