/**
 * The KyroDB runbook's checks, one file per runbook section: a new check is one rule in its section's file (and in
 * that file's list). The lists below only put the sections in report order.
 */
import { healthCheckRules } from './health-rules.js';
import { processRules } from './process-rules.js';
import type { KyroRule } from './rule.js';
import { sloRules } from './slo-rules.js';
import { walRules } from './wal-rules.js';

export { kyroLatencyRules, LATENCY_THRESHOLDS } from './latency-rules.js';
export { KYRO_EVALUATE, NO_ESCALATION_TEXT, evaluateRule, evaluateRules } from './rule.js';
export type { KyroDraft, KyroRule } from './rule.js';
export { HEALTH_THRESHOLDS, SECTIONS } from './sections.js';

/**
 * The health workflow's checks: `/health`, `/ready`, the four SLOs, the write check, the WAL, training, errors,
 * uptime, resources and the exposition itself. No rule reads a family the real server never updates
 * (`NOT_MEASURED_FAMILIES`): HNSW corruption, breaker gauge, WAL totals/retries/disk-full, learned cache. Order is
 * the report's order within a severity.
 */
export const kyroHealthRules: readonly KyroRule[] = [...healthCheckRules, ...sloRules, ...walRules, ...processRules];
