/**
 * The platform-neutral approval request as shown in chat. Each platform renders it with its own renderer; the
 * buttons carry only `approvalId`.
 */
export interface ApprovalCard {
  readonly approvalId: string;
  /** `Rebuild SQLite`. */
  readonly title: string;
  readonly system: string;
  readonly target: string;
  /** `approval`: a second person approves; `confirm`: the requester confirms. */
  readonly level: 'approval' | 'confirm';
  readonly destructive: boolean;
  /** What will run: `POST /api/v1/admin/rebuild-sqlite`. */
  readonly call: string;
  /** What it changes. */
  readonly effect: string;
  /** Why: the finding and its evidence, when it came from one. */
  readonly reason?: string;
  /** Platform user id of the requester (rendered as a mention). */
  readonly requestedBy: string;
  /** ISO-8601. */
  readonly expiresAt: string;
  readonly state:
    | 'pending'
    | 'approved'
    | 'denied'
    | 'expired'
    | 'executing'
    | 'succeeded'
    | 'failed'
    | 'outcome-unknown'
    | 'skipped';
  /** Platform user id of who decided. */
  readonly decidedBy?: string;
  /** ISO-8601. */
  readonly decidedAt?: string;
  /** Outcome line (`rebuilt in 1,234 ms`, the error, why it was skipped). */
  readonly result?: string;
  /**
   * A step that needs several distinct approvers (`approvals.quorum`): how many approved so far, how many it needs,
   * and who. Absent when one approval is enough.
   */
  readonly quorum?: { readonly count: number; readonly of: number; readonly by: readonly string[] };
}

/**
 * Human line for a card's state, e.g. "Approved by <who> at 14:02 UTC". `mention` renders a user id (as platform
 * markup, if the platform has mentions); `escape` is applied to every other piece, which may hold a target's error
 * text (`result`), so a markup renderer passes its escaper and a plain-text one the identity.
 */
export function describeCardState(
  card: ApprovalCard,
  mention: (userId: string) => string,
  escape: (text: string) => string = (text) => text,
): string {
  const line = describeCardStateParts(card);
  return line.map((part) => (typeof part === 'string' ? escape(part) : mention(part.userId))).join('');
}

/** The state line as text pieces and mentions, so text and markup never mix before escaping. */
function describeCardStateParts(card: ApprovalCard): (string | { readonly userId: string })[] {
  const who = (userId: string) => ({ userId });
  const at = card.decidedAt ? ` at ${card.decidedAt.slice(11, 16)} UTC` : '';
  const by = card.decidedBy ? [' by ', who(card.decidedBy)] : [];
  switch (card.state) {
    case 'pending':
      if (card.level === 'approval' && card.quorum && card.quorum.of > 1) {
        const q = card.quorum;
        const who = q.by.flatMap((u, i) => (i === 0 ? [{ userId: u }] : [', ', { userId: u }]));
        return [
          `${q.count} of ${q.of} approvals`,
          ...(who.length ? [' (', ...who, ')'] : []),
          ` — waiting for ${q.of - q.count} more (expires ${card.expiresAt.slice(11, 16)} UTC)`,
        ];
      }
      return card.level === 'approval'
        ? [`Waiting for a second person's approval (expires ${card.expiresAt.slice(11, 16)} UTC)`]
        : ['Waiting for ', who(card.requestedBy), ` to confirm (expires ${card.expiresAt.slice(11, 16)} UTC)`];
    case 'approved':
      return ['Approved', ...by, `${at} — queued to run`];
    case 'executing':
      return ['Approved', ...by, `${at} — running`];
    case 'succeeded':
      return ['Approved', ...by, `${at} — done: ${card.result ?? 'ok'}`];
    case 'failed':
      return ['Approved', ...by, `${at} — FAILED: ${card.result ?? 'unknown error'} (not retried)`];
    case 'outcome-unknown':
      return [
        'Approved',
        ...by,
        `${at} — OUTCOME UNKNOWN: the worker stopped while it ran; it was not run again. ${card.result ?? ''}`.trimEnd(),
      ];
    case 'skipped':
      return ['Approved', ...by, `${at} — not run: ${card.result ?? 'nothing to do'}`];
    case 'denied':
      return ['Denied', ...by, at];
    case 'expired':
      return ['Expired — nobody answered in time; it can no longer run'];
  }
}

/** Plain-text rendering of a card (terminal chat, logs). */
export function renderApprovalCardText(card: ApprovalCard): string {
  const verb = card.level === 'approval' ? 'APPROVAL NEEDED' : 'CONFIRM';
  const lines = [
    `${verb}: ${card.title} on ${card.system}/${card.target}   [${card.approvalId}]`,
    `  What will run:    ${card.call}`,
    `  What it changes:  ${card.effect}`,
    ...(card.reason ? [`  Why:              ${card.reason}`] : []),
    `  Asked by:         ${card.requestedBy}`,
    `  Status:           ${describeCardState(card, (u) => u)}`,
  ];
  if (card.state === 'pending') {
    lines.push(
      card.level === 'approval'
        ? `  → approve ${card.approvalId} as <user>    or    deny ${card.approvalId} as <user>`
        : `  → approve ${card.approvalId} as ${card.requestedBy}    or    deny ${card.approvalId} as ${card.requestedBy}`,
    );
  }
  return lines.join('\n');
}
