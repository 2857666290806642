import type pg from 'pg';
import { listInvocations } from '../store/invocations.js';
import { listRecentEvents } from '../approvals/approval-store.js';
import { describeIncidentAction, listRecentIncidentActions } from '../alerts/incident-actions.js';
import type { EngineWorkflow } from './run-diagnostic.js';

/** `/runbook audit [n]`: the most recent invocations, one finding each (severity = its verdict). */
export function createAuditWorkflow(db: pg.Pool): EngineWorkflow {
  return {
    id: 'audit',
    title: 'Audit trail',
    async run(invocation) {
      const n = Math.min(Math.max(Number(invocation.args.n ?? 20) || 20, 1), 100);
      const rows = (await listInvocations(db, n + 1)).filter((r) => r.id !== invocation.invocationId).slice(0, n);
      // Listed as notes, not findings: an audit entry is a record, not a diagnosis.
      const notes = rows.map(
        (r) =>
          `${r.requestedAt.toISOString()} ${r.platform}:${r.userId} /${r.system} ${r.workflow}` +
          `${r.target ? ` --target ${r.target}` : ''} → ${r.status}${r.verdict ? ` (${r.verdict})` : ''} [${r.id}]`,
      );
      const events = await listRecentEvents(db, n);
      for (const e of events) {
        notes.push(
          `${e.at.toISOString()} ${e.approvalId} ${e.system}/${e.target} ${e.remediation}: ` +
            `${e.fromState ?? '—'} → ${e.toState}${e.actor ? ` by ${e.actor}` : ''}${e.detail ? ` (${e.detail})` : ''}`,
        );
      }
      // Actions taken from incident threads (acknowledge, resolve, note, silence…): who, what, which incident, from
      // which platform, and the outcome.
      const actions = await listRecentIncidentActions(db, n);
      for (const a of actions) notes.push(describeIncidentAction(a));
      return {
        findings: [],
        notes,
        summary: `Last ${rows.length} commands, ${events.length} approval events and ${actions.length} incident actions`,
      };
    },
  };
}
