import type { Actor } from '../core/invocation.js';

/** A principal string: `slack:U…`, `teams:<aad>`, `terminal:<name>`. */
export function principalOf(actor: Pick<Actor, 'platform' | 'userId'>): string {
  return `${actor.platform}:${actor.userId}`;
}

/** The platform user id inside a principal (`slack:U1` → `U1`). */
export function userIdOf(principal: string): string {
  return principal.slice(principal.indexOf(':') + 1);
}

export interface ApprovalPolicy {
  /** `slack:U…`, `slack-group:S…`, `teams:<aad>`, `terminal:<name>`. */
  readonly approvers: readonly string[];
  readonly requireDistinctApprover: boolean;
}

export type Decision = 'approve' | 'deny';

/** Why an actor may not decide; a message for the actor alone. */
export type Refusal = { readonly ok: false; readonly message: string } | { readonly ok: true };

/**
 * Who may decide. `approval` level: an approver, and not the requester unless the config allows it; the requester
 * may always withdraw (deny) their own request. `confirm` level: the requester (or an approver).
 * `groupMembers` resolves a `slack-group:S…` to its member user ids (through the platform API).
 */
export async function mayDecide(
  policy: ApprovalPolicy,
  level: 'approval' | 'confirm',
  requester: string,
  actor: string,
  decision: Decision,
  groupMembers: (groupPrincipal: string) => Promise<readonly string[]>,
): Promise<Refusal> {
  const isRequester = actor === requester;
  const isApprover = await isListed(policy.approvers, actor, groupMembers);
  if (level === 'confirm') {
    if (isRequester || isApprover) return { ok: true };
    return { ok: false, message: 'Only the person who asked (or an approver) can confirm this.' };
  }
  if (decision === 'deny') {
    if (isRequester || isApprover) return { ok: true };
    return { ok: false, message: "You are not on this bot's approver list, so you can't deny this." };
  }
  if (isRequester && policy.requireDistinctApprover) {
    return { ok: false, message: "You can't approve your own request: a second person has to." };
  }
  if (!isApprover) return { ok: false, message: "You are not on this bot's approver list, so you can't approve this." };
  return { ok: true };
}

async function isListed(
  approvers: readonly string[],
  actor: string,
  groupMembers: (groupPrincipal: string) => Promise<readonly string[]>,
): Promise<boolean> {
  if (approvers.includes(actor)) return true;
  const [platform] = actor.split(':');
  for (const entry of approvers) {
    if (platform === 'slack' && entry.startsWith('slack-group:')) {
      const members = await groupMembers(entry);
      if (members.includes(userIdOf(actor))) return true;
    }
  }
  return false;
}
