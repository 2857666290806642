import type pg from 'pg';
import type { Clock } from '../core/clock.js';
import type { Finding } from '../core/report.js';
import { listRefusedOpen, listUnresolved } from '../escalation/escalation-store.js';
import { formatClockIn, formatElapsed } from '../schedules/format-time.js';
import type { EngineWorkflow } from './run-diagnostic.js';

/**
 * `/runbook escalations`: the pages the bot has open now in PagerDuty (issue 14) — system, target, finding code,
 * since when, and the dedup_key (to find the alert in PagerDuty). A page being sent, or whose send was interrupted,
 * is listed as such: the next run of its target re-checks it.
 */
export function createEscalationsWorkflow(db: pg.Pool, clock: Clock, configured: boolean): EngineWorkflow {
  return {
    id: 'escalations',
    title: 'Open pages',
    async run() {
      const rows = await listUnresolved(db);
      const now = new Date(clock.now());
      const findings: Finding[] = rows.map((r) => {
        const since = r.openedAt ?? r.streakSince;
        const when = `since ${formatClockIn(since, now, 'UTC')} (${formatElapsed(now.getTime() - since.getTime())})`;
        const state =
          r.state === 'open'
            ? `open ${when}`
            : r.state === 'triggering'
              ? `being sent, or its send was interrupted (re-checked at the next run)${r.lastError ? `: ${r.lastError}` : ''}`
              : `resolve being sent${r.lastError ? ` (last attempt: ${r.lastError})` : ''}`;
        return {
          code: 'runbook.escalations.open',
          severity: r.state === 'open' ? 'critical' : 'warning',
          title: `${r.system} ${r.target}: ${r.code} (${r.level})`,
          evidence:
            `${state}; dedup_key ${r.dedupKey}; ${r.requestedBy === 'auto' ? 'paged by the runbook' : 'paged by the Page on-call button'}` +
            ` — ${r.summary}`,
        };
      });
      // A refused page is a condition nobody was paged about: listed, never summed up as "no page needed".
      const refused = await listRefusedOpen(db);
      for (const r of refused) {
        findings.push({
          code: 'runbook.escalations.refused',
          severity: 'critical',
          title: `${r.system} ${r.target}: ${r.code} (${r.level}) — not paged`,
          evidence:
            `refused by PagerDuty${r.lastError ? ` (${r.lastError})` : ''}: not sent ` +
            `again for this streak, and the finding is still open — page the on-call by hand if it needs one — ${r.summary}`,
        });
      }
      const refusedText = refused.length
        ? `; ${refused.length} page${refused.length === 1 ? '' : 's'} refused by PagerDuty (not retried)`
        : '';
      return {
        findings,
        summary: !configured
          ? 'Escalation is not configured (escalation.pagerduty.routingKey): the bot pages no one'
          : rows.length
            ? `${rows.length} page${rows.length === 1 ? '' : 's'} open in PagerDuty${refusedText}`
            : refused.length
              ? `No page open in PagerDuty${refusedText}`
              : 'No page open: the bot has paged no one for a condition that still holds',
      };
    },
  };
}
