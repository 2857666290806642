import type pg from 'pg';
import type { Clock } from '../core/clock.js';
import { formatSeconds } from '../core/format.js';
import { listPending } from '../approvals/approval-store.js';
import type { EngineWorkflow } from './run-diagnostic.js';

/** `/runbook approvals`: pending requests with their age and expiry. */
export function createApprovalsWorkflow(db: pg.Pool, clock: Clock): EngineWorkflow {
  return {
    id: 'approvals',
    title: 'Pending approvals',
    async run() {
      const now = clock.now();
      const pending = await listPending(db);
      const notes = pending.map(
        (a) =>
          `${a.id}: ${a.remediation} on ${a.system}/${a.target}${Object.keys(a.params).length ? ` ${JSON.stringify(a.params)}` : ''}` +
          ` — asked by ${a.requester} ${formatSeconds((now - a.requestedAt.getTime()) / 1000)} ago, ` +
          (a.expiresAt.getTime() > now
            ? `expires in ${formatSeconds((a.expiresAt.getTime() - now) / 1000)}`
            : 'expired (closing)') +
          ` (${a.level === 'approval' ? 'needs a second person' : 'needs the requester to confirm'})`,
      );
      return {
        findings: [],
        notes,
        summary: pending.length ? `${pending.length} pending` : 'Nothing is waiting for approval',
      };
    },
  };
}
