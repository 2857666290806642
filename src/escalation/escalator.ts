/**
 * Pages through the PagerDuty Events API v2 exactly when asked, once per streak of a condition (issue 14): each
 * trigger and resolve is sent only after its claim on the `escalations` row was won (see `escalation-store.ts`), so
 * two workers, a retried job or a restart never send two triggers for one condition. A re-sent trigger after a crash
 * (outcome unknown) carries the same dedup_key: while the alert is open PagerDuty applies it to that alert, so it is
 * harmless; after a resolve of the same streak nothing is sent again.
 */
import type pg from 'pg';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { redactDeep } from '../core/redact.js';
import type { EscalationLevel } from '../core/report.js';
import {
  fitDedupKey,
  PagerDutyEventsError,
  type EventSeverity,
  type PagerDutyEventsClient,
} from '../../integrations/pagerduty/events-client.js';
import {
  claimResolve,
  claimTrigger,
  markOpen,
  markResolved,
  markSendFailed,
  type EscalationKey,
  type EscalationRow,
} from './escalation-store.js';

/** A claim older than this belongs to a sender that stopped (longer than the client's retries take). Default 2 min. */
export const DEFAULT_CLAIM_STALE_MS = 120_000;

/** The runbooks' P-levels as PagerDuty severities. */
export const SEVERITY_OF_LEVEL: Readonly<Record<EscalationLevel, EventSeverity>> = {
  P0: 'critical',
  P1: 'error',
  P2: 'warning',
  P3: 'info',
};

/** `runbook-bot/<system>/<target>/<code>`: stable per target and finding, so every event of one page shares it. */
export function dedupKeyOf(k: EscalationKey): string {
  return fitDedupKey(`runbook-bot/${k.system}/${k.target}/${k.code}`);
}

/** One page to send. */
export interface PageRequest extends EscalationKey {
  readonly level: EscalationLevel;
  /** One line, the finding: `[P0] KyroDB prod: Writes are refused …`. */
  readonly summary: string;
  readonly workflow: string;
  readonly streakSince: Date;
  readonly details: Readonly<Record<string, unknown>>;
  readonly links?: readonly { href: string; text?: string }[];
  /** `auto`, or the principal who pressed Page on-call. */
  readonly requestedBy: string;
  /** The run or approval asking: holds the claim. */
  readonly requestId: string;
  /** A person asked: page again even after a resolve of this streak. */
  readonly force?: boolean;
  /** The finding is a probe that got no answer: its absence from a run that reached the target clears it. */
  readonly fromProbe?: boolean;
}

/** What a page or resolve did. */
export type EscalationOutcome =
  | { readonly kind: 'sent'; readonly dedupKey: string; readonly retry: boolean }
  | { readonly kind: 'already'; readonly current: EscalationRow | undefined }
  | { readonly kind: 'failed'; readonly retryable: boolean; readonly error: string };

export interface EscalatorOptions {
  readonly db: pg.Pool;
  readonly client: PagerDutyEventsClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly staleMs?: number;
}

function errorText(err: unknown): { retryable: boolean; error: string } {
  if (err instanceof PagerDutyEventsError) return { retryable: err.retryable, error: err.message };
  return { retryable: true, error: 'unexpected error while sending the event' };
}

export function createEscalator(o: EscalatorOptions) {
  const staleMs = o.staleMs ?? DEFAULT_CLAIM_STALE_MS;
  const log = o.logger.child({ component: 'escalation' });
  /**
   * Records PagerDuty's 202. When that fails (Postgres lost) the event was still sent: the outcome says so, and the
   * claim is left as it is, to go stale and be re-checked by a later run (a re-sent event has the same dedup_key).
   */
  const recordSent = async (record: () => Promise<unknown>, k: EscalationKey): Promise<void> => {
    try {
      await record();
    } catch (err) {
      log.warn(
        { system: k.system, target: k.target, code: k.code, err: { message: (err as Error).message } },
        'event sent, but its row was not updated: a later run re-checks it',
      );
    }
  };
  return {
    /** Sends the trigger unless this streak was already paged (or is being paged right now). */
    async page(p: PageRequest): Promise<EscalationOutcome> {
      const dedupKey = dedupKeyOf(p);
      const claim = await claimTrigger(o.db, {
        system: p.system,
        target: p.target,
        code: p.code,
        dedupKey,
        streakSince: p.streakSince,
        level: p.level,
        summary: p.summary,
        workflow: p.workflow,
        requestedBy: p.requestedBy,
        claimedBy: p.requestId,
        now: new Date(o.clock.now()),
        staleMs,
        force: p.force,
        fromProbe: p.fromProbe,
      });
      if (!claim.won) return { kind: 'already', current: claim.current };
      try {
        // Text bound for an outside service: the same redaction as chat.
        const payload = redactDeep({
          summary: p.summary,
          source: `${p.system}/${p.target}`,
          severity: SEVERITY_OF_LEVEL[p.level],
          timestamp: new Date(o.clock.now()).toISOString(),
          component: p.system,
          group: p.target,
          class: p.code,
          custom_details: p.details,
        });
        const sent = await o.client.trigger({
          dedupKey,
          payload,
          ...(p.links?.length ? { links: p.links } : {}),
          client: 'runbook-bot',
        });
        log.info({ system: p.system, target: p.target, code: p.code, retry: claim.retry }, 'paged the on-call');
        await recordSent(() => markOpen(o.db, p, p.requestId, sent.dedupKey, new Date(o.clock.now())), p);
        return { kind: 'sent', dedupKey: sent.dedupKey, retry: claim.retry };
      } catch (err) {
        const e = errorText(err);
        await markSendFailed(o.db, p, p.requestId, { ...e, now: new Date(o.clock.now()) });
        log.warn({ system: p.system, target: p.target, code: p.code, err: { message: e.error } }, 'page failed');
        return { kind: 'failed', ...e };
      }
    },

    /** Sends the resolve of an open page (or of a trigger whose outcome is unknown); nothing when none is open. */
    async resolve(k: EscalationKey, requestId: string): Promise<EscalationOutcome> {
      const row = await claimResolve(o.db, k, { claimedBy: requestId, now: new Date(o.clock.now()), staleMs });
      if (!row) return { kind: 'already', current: undefined };
      try {
        const sent = await o.client.resolve(row.dedupKey);
        log.info({ system: k.system, target: k.target, code: k.code }, 'resolved the page');
        await recordSent(() => markResolved(o.db, k, requestId, new Date(o.clock.now())), k);
        return { kind: 'sent', dedupKey: sent.dedupKey, retry: false };
      } catch (err) {
        const e = errorText(err);
        await markSendFailed(o.db, k, requestId, { ...e, now: new Date(o.clock.now()) });
        log.warn({ system: k.system, target: k.target, code: k.code, err: { message: e.error } }, 'resolve failed');
        return { kind: 'failed', ...e };
      }
    },
  };
}

export type Escalator = ReturnType<typeof createEscalator>;
