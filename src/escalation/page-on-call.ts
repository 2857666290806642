/**
 * The Page on-call button (issue 14): a `confirm`-level fix offered on every critical finding when escalation is
 * configured, for a person who decides not to wait for the runbook's duration. It sends the same trigger as the
 * automatic page (same dedup_key, same claim on the `escalations` row), so a later automatic page does not page
 * twice, and the bot resolves it when the finding clears. Generic: added to every system's fixes by the worker.
 */
import type pg from 'pg';
import { randomBytes } from 'node:crypto';
import type { Remediation } from '../core/remediation.js';
import type { EscalationLevel } from '../core/report.js';
import type { SystemModule } from '../core/system.js';
import { refusedBeforeWrite, TargetError } from '../core/target-error.js';
import type { Escalator } from './escalator.js';

/** Its id and button text. */
export const PAGE_ON_CALL = { id: 'page-on-call', title: 'Page on-call' } as const;

/** Said when the page's claim is held by a send in progress (or one that stopped): it may or may not be open. */
export const PAGE_IN_FLIGHT_TEXT =
  'A page for this finding is being sent, or the outcome of sending it is not known yet';

const LEVELS: readonly EscalationLevel[] = ['P0', 'P1', 'P2', 'P3'];

export interface PageOnCallOptions {
  readonly db: pg.Pool;
  readonly escalator: Escalator;
  readonly systems: readonly SystemModule[];
}

/** The remediation; `execute` reads the finding's latest state from the finding history. */
export function createPageOnCall(o: PageOnCallOptions): Remediation<unknown> {
  return {
    id: PAGE_ON_CALL.id,
    title: PAGE_ON_CALL.title,
    description: 'Page the on-call engineer through PagerDuty for this finding now.',
    level: 'confirm',
    destructive: false,
    params: [
      { name: 'system', description: 'system id', required: true, pattern: /^[a-z0-9][a-z0-9-]{0,40}$/ },
      { name: 'code', description: 'finding code', required: true, pattern: /^[a-z0-9][a-z0-9._-]{0,120}$/ },
      { name: 'level', description: 'P-level', required: false, choices: LEVELS },
      { name: 'probe', description: 'the finding is a probe that got no answer', required: false, choices: ['yes'] },
    ],
    describeCall: (p) =>
      `PagerDuty Events API v2: POST /v2/enqueue, event_action trigger, dedup_key runbook-bot/${p.system}/<target>/${p.code}`,
    describeEffect: (p) =>
      `Pages the on-call now (${p.level ?? 'P1'}) for ${p.code}, with the dedup key of the automatic page: the bot ` +
      'does not page this condition again, and it resolves the page when the finding clears.',
    async execute(ctx) {
      const system = o.systems.find((s) => s.id === ctx.params.system);
      const code = ctx.params.code ?? '';
      const level = (LEVELS as readonly string[]).includes(ctx.params.level ?? '')
        ? (ctx.params.level as EscalationLevel)
        : 'P1';
      const { rows } = await o.db.query<{
        title: string;
        severity: string;
        first_seen: Date;
        workflow: string;
        cleared_at: Date | null;
      }>(
        `select title, severity, first_seen, workflow, cleared_at from finding_history
         where system = $1 and target = $2 and code = $3`,
        [ctx.params.system, ctx.target, code],
      );
      const h = rows[0];
      // Read right before sending: a finding that cleared since the card was shown is not paged (nothing is sent).
      if (!h || h.cleared_at !== null || h.severity === 'ok') {
        throw refusedBeforeWrite(
          `${code} on ${ctx.target} is no longer reported (it cleared since the card was shown), so no page was sent`,
        );
      }
      const summary = `[${level}] ${system?.displayName ?? ctx.params.system} ${ctx.target}: ${h.title.replace(/ \(pending\)$/, '')} (${code})`;
      const outcome = await o.escalator.page({
        system: ctx.params.system ?? '',
        target: ctx.target,
        code,
        level,
        summary,
        workflow: h.workflow,
        streakSince: h.first_seen,
        details: {
          finding_code: code,
          requested: 'Page on-call button',
          ...(ctx.requestedBy ? { requested_by: ctx.requestedBy } : {}),
          last_severity: h.severity,
        },
        requestedBy: 'button',
        requestId: `btn_${randomBytes(9).toString('base64url')}`,
        force: true,
        fromProbe: ctx.params.probe === 'yes',
      });
      const by = ctx.requestedBy ? ` (paged by ${mention(ctx.requestedBy)})` : '';
      if (outcome.kind === 'sent') return { summary: `Paged the on-call through PagerDuty: ${summary}${by}` };
      if (outcome.kind === 'already' && outcome.current?.state === 'triggering') {
        return {
          summary: `${PAGE_IN_FLIGHT_TEXT}: nothing sent again; /runbook escalations shows it once it is open.`,
        };
      }
      if (outcome.kind === 'already') {
        const since = outcome.current?.openedAt ? ` since ${outcome.current.openedAt.toISOString()}` : '';
        return { summary: `The on-call is already paged for this finding${since}: nothing sent again.` };
      }
      throw new TargetError(
        outcome.retryable ? 'unreachable' : 'api-error',
        `Could not page the on-call: ${outcome.error}`,
      );
    },
  };
}

/** A Slack principal as a mention (`slack:U1` → `<@U1>`); others as they are. */
function mention(principal: string): string {
  return principal.startsWith('slack:') ? `<@${principal.slice('slack:'.length)}>` : principal;
}

/** Every system with Page on-call among its fixes (the approval engine's list; not a chat subcommand). */
export function withPageOnCall(systems: readonly SystemModule[], page: Remediation<unknown>): SystemModule[] {
  return systems.map((s) => ({ ...s, remediations: [...s.remediations, page] }));
}
