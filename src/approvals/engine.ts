import { isProbeFailure } from '../core/probe.js';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { ChatTransport } from '../core/chat-transport.js';
import type { Clock } from '../core/clock.js';
import type { Actor, Conversation, Invocation } from '../core/invocation.js';
import type { Logger } from '../core/logger.js';
import type { Remediation } from '../core/remediation.js';
import type { Finding, Report } from '../core/report.js';
import type { SystemModule } from '../core/system.js';
import { isRefusedBeforeWrite, isTargetError } from '../core/target-error.js';
import {
  createApproval,
  getApproval,
  getOffer,
  listExpiredPending,
  listStaleApproved,
  listStaleExecuting,
  recordRefusal,
  setCardMessage,
  transition,
  type ApprovalRecord,
  type ApprovalState,
} from './approval-store.js';
import { createApprovalChat } from './approval-chat.js';
import { approvalMessages as texts } from './approval-messages.js';
import { buildApprovalCard } from './build-approval-card.js';
import { mayDecide, principalOf, userIdOf, type ApprovalPolicy, type Decision } from './policy.js';

/** What the approval engine needs; wired in `src/main`. */
export interface ApprovalEngineDeps {
  readonly db: pg.Pool;
  readonly redis: Redis;
  /** Redis key prefix (the queue prefix), so deployments sharing a Redis do not share locks. */
  readonly keyPrefix: string;
  readonly systems: readonly SystemModule[];
  readonly clientsFor: (system: string, target: string) => unknown;
  readonly transports: Readonly<Partial<Record<ChatTransport['platform'], ChatTransport>>>;
  readonly policy: ApprovalPolicy;
  /** Per-remediation level overrides from config. */
  readonly levels: Readonly<Record<string, 'approval' | 'confirm'>>;
  /** Distinct approvers a step needs, by remediation id (`approvals.quorum`); default 1. */
  readonly quorum?: Readonly<Record<string, number>>;
  readonly ttlMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Queues the execution job (jobId = approval id; `force` adds a fresh job id when the first one may be lost). */
  readonly enqueueExecution: (approvalId: string, o?: { force?: boolean }) => Promise<void>;
  /** Queues the server-side expiry check at `expiresAt`. */
  readonly enqueueExpiry: (approvalId: string, delayMs: number) => Promise<void>;
  /**
   * Runs a diagnostic workflow and records it like any invocation (the re-check after a step), posting its report
   * in the conversation. Returns the report.
   */
  readonly runRecordedDiagnostic: (invocation: Invocation) => Promise<Report>;
  /** Runs a workflow without recording it (click-time re-validation). */
  readonly runQuietDiagnostic: (
    system: string,
    target: string,
    workflow: string,
    args: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ) => Promise<Finding[]>;
}

/** What a user did, from any platform. */
export type Interaction =
  | {
      readonly kind: 'offer';
      readonly offerId: string;
      readonly actor: Actor;
      readonly conversation: Conversation;
      readonly deliveryKey: string;
    }
  | {
      readonly kind: 'request';
      readonly system: string;
      readonly target: string;
      readonly remediation: string;
      readonly params: Record<string, string>;
      readonly actor: Actor;
      readonly conversation: Conversation;
      readonly deliveryKey: string;
    }
  | {
      readonly kind: 'decision';
      readonly approvalId: string;
      readonly decision: Decision;
      readonly actor: Actor;
      readonly conversation: Conversation;
      /** The message the button was on (absent from the demo's terminal, where the id typed names the card). */
      readonly messageId?: string;
    }
  /** A click with no handler (a stale button): the clicker is told so; nothing changes. */
  | { readonly kind: 'stale'; readonly actor: Actor; readonly conversation: Conversation }
  | { readonly kind: 'expire'; readonly approvalId: string }
  /**
   * Periodic safety net (a job scheduler): closes overdue requests, re-queues approved steps whose job was lost, and
   * settles as "outcome unknown" (with a re-check) a step left `executing` by a worker that died.
   */
  | { readonly kind: 'sweep' };

/** An approved step not started after this long has probably lost its job (e.g. Redis restarted without AOF). */
const STALE_APPROVED_MS = 60_000;

const LOCK_TTL_MS = 10 * 60_000;
/**
 * A step still `executing` after this long is past its job's timeout and its lock: the worker running it died and its
 * job is gone (or failed for good after stalling too often). The sweep settles it as "outcome unknown" and re-checks.
 */
const STALE_EXECUTING_MS = LOCK_TTL_MS;
/** Deletes the lock only if `ARGV[1]` holds it. */
const RELEASE_IF_HOLDER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export function createApprovalEngine(deps: ApprovalEngineDeps) {
  const log = deps.logger.child({ component: 'approvals' });
  const chat = createApprovalChat({ transports: deps.transports, logger: log });
  const { tell, say, bestEffort } = chat;

  function findRemediation(
    system: string,
    id: string,
  ): { module: SystemModule; remediation: Remediation<unknown> } | undefined {
    const module = deps.systems.find((s) => s.id === system);
    const remediation = module?.remediations.find((r) => r.id === id);
    return module && remediation ? { module, remediation } : undefined;
  }

  /** How many distinct approvers `a` needs (confirm-level steps: the requester alone). */
  function quorumOf(a: Pick<ApprovalRecord, 'remediation' | 'level'>): number {
    return a.level === 'approval' ? Math.max(1, deps.quorum?.[a.remediation] ?? 1) : 1;
  }

  /** Approvers so far of a request that needs more than one, oldest first. */
  async function votesOf(a: ApprovalRecord): Promise<string[]> {
    if (quorumOf(a) <= 1) return [];
    const { rows } = await deps.db.query(
      `select approver from approval_votes where approval_id = $1 order by at, approver`,
      [a.id],
    );
    return rows.map((r) => r.approver as string);
  }

  async function refreshCard(a: ApprovalRecord): Promise<void> {
    const found = findRemediation(a.system, a.remediation);
    if (!found || !a.cardMessageId) return;
    await chat.updateCard(a, buildApprovalCard(a, found.remediation, quorumOf(a), await votesOf(a)));
  }

  /** Opens a request (from a report's button or a direct command) and posts its card. Idempotent per delivery. */
  async function openRequest(req: {
    approvalId: string;
    offerId?: string;
    invocationId?: string;
    system: string;
    target: string;
    remediation: string;
    params: Record<string, string>;
    actor: Actor;
    conversation: Conversation;
    findingCode?: string;
    reason?: string;
  }): Promise<ApprovalRecord | undefined> {
    const found = findRemediation(req.system, req.remediation);
    if (!found) {
      await tell(req.conversation, req.actor, texts.unknownFix(req.remediation, req.system));
      return undefined;
    }
    const level = deps.levels[req.remediation] ?? found.remediation.level;
    const { record, created } = await createApproval(deps.db, {
      id: req.approvalId,
      offerId: req.offerId,
      invocationId: req.invocationId,
      system: req.system,
      target: req.target,
      remediation: req.remediation,
      params: req.params,
      level,
      requester: principalOf(req.actor),
      conversation: req.conversation,
      findingCode: req.findingCode,
      reason: req.reason,
      nowMs: deps.clock.now(),
      ttlMs: deps.ttlMs,
    });
    if (!created && record.id !== req.approvalId) {
      await tell(req.conversation, req.actor, texts.alreadyOpen(record.id, record.state));
      return record;
    }
    if (!record.cardMessageId) {
      const posted = await chat.postCard(record, buildApprovalCard(record, found.remediation, quorumOf(record)));
      // Recorded where it was posted: the only place a decision on this request counts.
      await setCardMessage(deps.db, record.id, {
        platform: record.conversation.platform,
        channelId: posted.channelId,
        messageId: posted.messageId,
      });
      // Expiry is enforced by the server: a delayed job at `expiresAt` (duplicates are harmless).
      await deps.enqueueExpiry(record.id, Math.max(0, record.expiresAt.getTime() - deps.clock.now()));
      log.info({ approvalId: record.id, remediation: record.remediation, target: record.target }, 'approval requested');
      return {
        ...record,
        cardMessageId: posted.messageId,
        card: { platform: record.conversation.platform, channelId: posted.channelId, messageId: posted.messageId },
      };
    }
    return record;
  }

  /**
   * A decision counts only on the card the request was shown on: the platform it was posted to (a Teams invoke
   * cannot decide a Slack request, whatever Teams' authentication mode), its channel or conversation, and that
   * message. Buttons carry the approval id, and ids leak (screenshots, logs, a copied payload): the id alone is not
   * a bearer token. The demo's terminal has one conversation and no clickable messages; the id typed there names
   * the card, so the message check does not apply to it.
   */
  function offCardReason(a: ApprovalRecord, conversation: Conversation, messageId: string | undefined) {
    if (conversation.platform !== a.card.platform) return `from ${conversation.platform}, card in ${a.card.platform}`;
    if (conversation.channelId !== a.card.channelId) return 'from another channel';
    if (conversation.platform === 'terminal') return undefined;
    if (!a.card.messageId) return 'card not posted yet';
    if (messageId !== a.card.messageId) return 'from another message';
    return undefined;
  }

  async function decide(
    approvalId: string,
    decision: Decision,
    actor: Actor,
    conversation: Conversation,
    messageId: string | undefined,
  ): Promise<void> {
    const a = await getApproval(deps.db, approvalId);
    if (!a) {
      await tell(conversation, actor, texts.unknownRequest);
      return;
    }
    const offCard = offCardReason(a, conversation, messageId);
    if (offCard === 'card not posted yet') {
      // The card is in chat but its message id is not recorded yet (the click raced the UPDATE after posting):
      // fail this job so the queue retries it in a moment. If no card is ever recorded, nothing changes.
      throw new Error('the approval card is not recorded yet; the decision is retried');
    }
    if (offCard) {
      const who = principalOf(actor);
      log.warn({ approvalId, actor: who, decision, reason: offCard }, 'decision refused: not on the approval card');
      await recordRefusal(deps.db, a.id, a.state, who, `${decision} refused: ${offCard}`, deps.clock.now());
      await bestEffort('refusal notice', () => tell(conversation, actor, texts.offCard));
      return;
    }
    const transport = chat.transportFor(a.conversation.platform);
    const who = principalOf(actor);
    const allowed = await mayDecide(deps.policy, a.level, a.requester, who, decision, async (g) =>
      transport.groupMembers ? transport.groupMembers(g) : [],
    );
    if (!allowed.ok) {
      log.info({ approvalId, actor: who, decision }, 'decision refused');
      await tell(conversation, actor, allowed.message);
      return;
    }
    const now = deps.clock.now();
    if (a.state === 'pending' && a.expiresAt.getTime() <= now) {
      const expired = await transition(deps.db, a.id, ['pending'], 'expired', {
        nowMs: now,
        detail: 'expired at click',
      });
      if (expired) await refreshCard(expired);
      await tell(conversation, actor, texts.expired);
      return;
    }
    if (decision === 'approve' && quorumOf(a) > 1 && a.state === 'pending') {
      // N distinct approvers (approvals.quorum): each approval is a vote; the step is approved (and runs) only on
      // the Nth, through the same conditional update below, so it runs exactly once whoever votes last.
      const need = quorumOf(a);
      const vote = await deps.db.query(
        `insert into approval_votes (approval_id, approver, at) values ($1, $2, $3) on conflict do nothing`,
        [a.id, who, new Date(now)],
      );
      const votes = await votesOf(a);
      if (vote.rowCount === 0 && votes.length < need) {
        await tell(conversation, actor, texts.alreadyVoted(need));
        return;
      }
      // A vote already recorded with the quorum reached (the Nth voter's job died before the transition, and this is
      // its retry or a second click) falls through: the conditional update below still approves it exactly once.
      if (votes.length < need) {
        await recordRefusal(deps.db, a.id, a.state, who, `approve: ${votes.length} of ${need} approvals`, now);
        log.info({ approvalId, actor: who, votes: votes.length, need }, 'approval vote recorded');
        await refreshCard(a);
        return;
      }
    }
    const to: ApprovalState = decision === 'approve' ? 'approved' : 'denied';
    const updated = await transition(deps.db, a.id, ['pending'], to, {
      actor: who,
      nowMs: now,
      decision: true,
      requireUnexpired: decision === 'approve',
      detail: decision,
    });
    if (!updated) {
      const current = await getApproval(deps.db, a.id);
      const by = current?.decidedBy ? userIdOf(current.decidedBy) : undefined;
      await tell(conversation, actor, texts.alreadyDecided(current?.state, by));
      return;
    }
    log.info({ approvalId, actor: who, state: updated.state }, 'approval decided');
    await refreshCard(updated);
    if (updated.state === 'approved') await deps.enqueueExecution(updated.id);
  }

  async function expire(approvalId: string): Promise<void> {
    const a = await getApproval(deps.db, approvalId);
    if (!a || a.state !== 'pending') return;
    const now = deps.clock.now();
    if (a.expiresAt.getTime() > now) {
      await deps.enqueueExpiry(a.id, a.expiresAt.getTime() - now);
      return;
    }
    const expired = await transition(deps.db, a.id, ['pending'], 'expired', { nowMs: now, detail: 'ttl elapsed' });
    if (expired) {
      log.info({ approvalId }, 'approval expired');
      await refreshCard(expired);
    }
  }

  /**
   * Runs an approved step at most once. Order: per-target lock → click-time re-validation → `approved → executing`
   * (the point of no return) → the call → `succeeded | failed` → re-check. A job that finds the record already
   * `executing` is a retry after a crash: the outcome is unknown, so it says so and re-checks instead of re-running.
   */
  async function execute(approvalId: string, signal: AbortSignal): Promise<'done' | 'locked'> {
    const a = await getApproval(deps.db, approvalId);
    if (!a) return 'done';
    const found = findRemediation(a.system, a.remediation);
    if (a.state === 'executing') {
      const unknown = await transition(deps.db, a.id, ['executing'], 'outcome-unknown', {
        nowMs: deps.clock.now(),
        detail: 'worker stopped during execution; not re-run',
        result: texts.outcomeUnknownResult,
      });
      if (unknown) {
        log.warn({ approvalId }, 'outcome unknown after a crash; not re-running');
        // Its target lock is kept (the step may still be running on a slow worker) until the lock's own TTL; a step
        // settled by the sweep has been executing longer than that, so nothing can still hold it for this step.
        if (a.startedAt && deps.clock.now() - a.startedAt.getTime() >= LOCK_TTL_MS) {
          const lockKey = `${deps.keyPrefix}:lock:remediation:${a.system}:${a.target}`;
          await deps.redis.eval(RELEASE_IF_HOLDER, 1, lockKey, a.id).catch(() => {});
        }
        await bestEffort('outcome-unknown notification', async () => {
          await refreshCard(unknown);
          await say(unknown, texts.outcomeUnknown(found?.remediation.title ?? a.remediation, a.target));
          await recheck(unknown, found?.remediation);
        });
      }
      return 'done';
    }
    if (a.state !== 'approved' || !found) return 'done';

    const lockKey = `${deps.keyPrefix}:lock:remediation:${a.system}:${a.target}`;
    if (!(await takeTargetLock(lockKey, a.id))) return 'locked';
    try {
      const remediation = found.remediation;
      // Click-time re-validation: the target must answer and the finding must still be there.
      if (remediation.verify && a.findingCode) {
        let findings: Finding[];
        try {
          // The step's parameters are the workflow's arguments (`runId`, `queue`, `topic`…), named alike on purpose.
          findings = await deps.runQuietDiagnostic(a.system, a.target, remediation.verify.workflow, a.params, signal);
        } catch {
          findings = [];
        }
        const probeFailed = findings.some(isProbeFailure);
        const still = findings.some(
          (f) => f.code === remediation.verify!.findingCode && (f.severity === 'critical' || f.severity === 'warning'),
        );
        if (!still) {
          const reason = texts.notRevalidated(a.target, probeFailed);
          const skipped = await transition(deps.db, a.id, ['approved'], 'skipped', {
            nowMs: deps.clock.now(),
            detail: reason,
            result: reason,
          });
          if (skipped) {
            await refreshCard(skipped);
            await say(skipped, texts.skipped(remediation.title, a.target, reason));
          }
          return 'done';
        }
      }
      const executing = await transition(deps.db, a.id, ['approved'], 'executing', {
        nowMs: deps.clock.now(),
        start: true,
        detail: remediation.describeCall(a.params),
      });
      if (!executing) return 'done';
      await refreshCard(executing).catch((err: Error) =>
        log.warn({ err: { message: err.message } }, 'card update failed'),
      );
      let final: ApprovalRecord | undefined;
      try {
        const clients = deps.clientsFor(a.system, a.target);
        if (clients === undefined) throw new Error(`target ${a.system}/${a.target} is not configured`);
        const result = await remediation.execute({
          target: a.target,
          clients,
          params: a.params,
          clock: deps.clock,
          signal,
          logger: log.child({ approvalId: a.id }),
          requestedBy: a.requester,
        });
        final = await transition(deps.db, a.id, ['executing'], 'succeeded', {
          nowMs: deps.clock.now(),
          result: result.summary,
          detail: result.summary,
        });
        log.info({ approvalId, result: result.summary }, 'remediation succeeded');
      } catch (err) {
        const message = isTargetError(err) ? err.message : texts.unexpectedError;
        if (isRefusedBeforeWrite(err)) {
          // The fix's own check right before its write refused: nothing reached the target, so the step is
          // skipped (with the current state as the reason), not failed.
          log.info({ approvalId }, 'remediation refused before its write');
          const skipped = await transition(deps.db, a.id, ['executing'], 'skipped', {
            nowMs: deps.clock.now(),
            result: message,
            detail: message,
          });
          if (skipped) {
            const s = skipped;
            await bestEffort('refusal notification', async () => {
              await refreshCard(s);
              await say(s, texts.refusedBeforeWrite(remediation.title, a.target, message));
            });
          }
          return 'done';
        }
        log.error(
          { approvalId, err: { name: (err as Error)?.name, message: (err as Error)?.message } },
          'remediation failed',
        );
        final = await transition(deps.db, a.id, ['executing'], 'failed', {
          nowMs: deps.clock.now(),
          result: message,
          detail: message,
        });
      }
      if (final) {
        // Past the point of no return every notification is best effort: a chat hiccup must not make a retry of
        // this job look like a crash mid-step.
        const f = final;
        await bestEffort('result notification', async () => {
          await refreshCard(f);
          await say(f, texts.outcome(remediation.title, a.target, f.state, f.result));
          await recheck(f, remediation);
        });
      }
      return 'done';
    } finally {
      // Release only our own lock.
      await deps.redis.eval(RELEASE_IF_HOLDER, 1, lockKey, a.id).catch(() => {});
    }
  }

  /**
   * The per-target lock: taken when free or already ours. A holder whose step is known to be over no longer holds it: its release
   * was lost (the worker killed after the step, or Redis restarting at that moment), and waiting out LOCK_TTL_MS
   * would hold every approved step on the target for minutes (found by the soak, issue 16).
   */
  async function takeTargetLock(lockKey: string, id: string): Promise<boolean> {
    if ((await deps.redis.set(lockKey, id, 'PX', LOCK_TTL_MS, 'NX')) === 'OK') return true;
    const holder = await deps.redis.get(lockKey);
    if (holder === id) return true;
    const held = holder ? await getApproval(deps.db, holder) : undefined;
    // `outcome-unknown` keeps the lock too: its step may still be running on a worker that is alive but was too slow
    // to renew its job lock, so the lock waits out its TTL rather than let a second step run beside it.
    if (held && (held.state === 'approved' || held.state === 'executing' || held.state === 'outcome-unknown')) {
      return false;
    }
    await deps.redis.eval(RELEASE_IF_HOLDER, 1, lockKey, holder ?? '');
    return (await deps.redis.set(lockKey, id, 'PX', LOCK_TTL_MS, 'NX')) === 'OK';
  }

  async function recheck(a: ApprovalRecord, remediation: Remediation<unknown> | undefined): Promise<void> {
    if (!remediation?.verify) return;
    const report = await deps.runRecordedDiagnostic({
      invocationId: `${a.id}-recheck`,
      system: a.system,
      workflow: remediation.verify.workflow,
      target: a.target,
      args: { ...a.params },
      actor: { platform: a.conversation.platform, userId: userIdOf(a.decidedBy ?? a.requester) },
      conversation: { ...a.conversation, threadId: a.conversation.threadId ?? a.cardMessageId ?? undefined },
      requestedAt: new Date(deps.clock.now()).toISOString(),
    });
    const still = report.findings.find((f) => f.code === remediation.verify!.findingCode);
    await say(a, texts.recheck(remediation.verify.findingCode, still));
  }

  return {
    async handle(interaction: Interaction): Promise<void> {
      switch (interaction.kind) {
        case 'offer': {
          const offer = await getOffer(deps.db, interaction.offerId);
          if (!offer) {
            await tell(interaction.conversation, interaction.actor, texts.unknownOffer);
            return;
          }
          await openRequest({
            approvalId: `apr_${interaction.deliveryKey}`,
            offerId: offer.id,
            invocationId: offer.invocationId,
            system: offer.system,
            target: offer.target,
            remediation: offer.remediation,
            params: offer.params,
            actor: interaction.actor,
            conversation: interaction.conversation,
            findingCode: offer.findingCode ?? undefined,
            reason: offer.findingTitle ? `${offer.findingTitle}: ${offer.findingEvidence ?? ''}`.trim() : undefined,
          });
          return;
        }
        case 'request':
          await openRequest({
            approvalId: `apr_${interaction.deliveryKey}`,
            system: interaction.system,
            target: interaction.target,
            remediation: interaction.remediation,
            params: interaction.params,
            actor: interaction.actor,
            conversation: interaction.conversation,
          });
          return;
        case 'decision':
          await decide(
            interaction.approvalId,
            interaction.decision,
            interaction.actor,
            interaction.conversation,
            interaction.messageId,
          );
          return;
        case 'stale':
          await tell(interaction.conversation, interaction.actor, texts.staleButton);
          return;
        case 'expire':
          await expire(interaction.approvalId);
          return;
        case 'sweep': {
          const now = deps.clock.now();
          for (const a of await listExpiredPending(deps.db, now)) await expire(a.id);
          // Re-queueing is safe: the state machine lets an approved step start at most once.
          for (const a of await listStaleApproved(deps.db, STALE_APPROVED_MS, now)) {
            log.warn({ approvalId: a.id }, 'approved step not started; re-queueing it');
            await deps.enqueueExecution(a.id, { force: true });
          }
          // Not re-run: a job that finds its step `executing` says the outcome is unknown and re-checks instead.
          for (const a of await listStaleExecuting(deps.db, STALE_EXECUTING_MS, now)) {
            log.warn({ approvalId: a.id }, 'step executing with no worker; settling it as outcome unknown');
            await deps.enqueueExecution(a.id, { force: true });
          }
          return;
        }
      }
    },
    execute,
  };
}

export type ApprovalEngine = ReturnType<typeof createApprovalEngine>;
