import type pg from 'pg';
import type { FindingHistory } from '../core/workflow.js';
import { findingValueAt } from './finding-history.js';

/** The finding history of one target, as a workflow reads it (`WorkflowContext.history`). */
export function findingHistoryOf(db: pg.Pool, system: string, target: string): FindingHistory {
  return {
    valueAt: (code, at, toleranceMs) => findingValueAt(db, { system, target, code, at, toleranceMs }),
  };
}
