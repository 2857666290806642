import type { ApprovalCard } from '../core/approval-card.js';
import type { Remediation } from '../core/remediation.js';
import type { ApprovalRecord } from './approval-store.js';
import { userIdOf } from './policy.js';

/**
 * The platform-neutral card of an approval request in its current state. `quorum` is how many distinct approvers
 * the step needs; above one, the card shows the approvals so far (`votes`, oldest first).
 */
export function buildApprovalCard(
  a: ApprovalRecord,
  r: Remediation<unknown>,
  quorum: number,
  votes: readonly string[] = [],
): ApprovalCard {
  return {
    ...(quorum > 1 ? { quorum: { count: votes.length, of: quorum, by: votes.map(userIdOf) } } : {}),
    approvalId: a.id,
    title: r.title,
    system: a.system,
    target: a.target,
    level: a.level,
    destructive: r.destructive,
    call: r.describeCall(a.params),
    effect: r.describeEffect(a.params),
    reason: a.reason ?? undefined,
    requestedBy: userIdOf(a.requester),
    expiresAt: a.expiresAt.toISOString(),
    state: a.state,
    decidedBy: a.decidedBy ? userIdOf(a.decidedBy) : undefined,
    decidedAt: a.decidedAt?.toISOString(),
    result: a.result ?? undefined,
  };
}
