import type pg from 'pg';
import { formatDuration } from '../core/incident.js';
import { listRecentIncidents, type IncidentListEntry } from '../alerts/incident-store.js';
import { latestIncidentActions, type IncidentActionEntry } from '../alerts/incident-actions.js';
import type { EngineWorkflow } from './run-diagnostic.js';

const SOURCE = { pagerduty: 'PagerDuty', alertmanager: 'Alertmanager' } as const;

/** One line per incident: when, state, priority, title, source and link, and where it lives in chat. */
export function describeIncidentLine(e: IncidentListEntry, lastAction?: IncidentActionEntry): string {
  const i = e.incident;
  const when = `${i.firstSeenAt.toISOString().slice(0, 16).replace('T', ' ')}Z`;
  const state =
    i.status === 'resolved' && i.resolvedAt
      ? `RESOLVED after ${formatDuration(i.resolvedAt.getTime() - i.startedAt.getTime())}`
      : i.status.toUpperCase();
  const what = `${i.priority ? `${i.priority} ` : ''}${i.title}${i.service ? ` — ${i.service}` : ''}`;
  const source = `${SOURCE[i.source]}${i.number !== null ? ` #${i.number}` : ''}`;
  const where = e.threads.length
    ? e.threads
        .map((t) =>
          t.suppressed
            ? `in the storm summary of ${t.channelId}`
            : t.rootMessageId
              ? `thread in ${t.channelId}`
              : `thread pending in ${t.channelId}`,
        )
        .join(', ')
    : i.route === 'unrouted'
      ? 'unrouted (no rule matched and no alerts.defaultChannel)'
      : 'no chat destination';
  const action = lastAction
    ? ` · last action: ${lastAction.action} by ${lastAction.actorName ?? lastAction.actor} from ${lastAction.platform} (${lastAction.state})`
    : '';
  return `${when} [${state}] ${what} (${source}) ${i.url ?? ''} · ${where}${action}`.replace(/ {2,}/g, ' ');
}

/** `/runbook incidents [n]`: the most recent incidents with their state and link, storm-suppressed ones included. */
export function createIncidentsWorkflow(db: pg.Pool): EngineWorkflow {
  return {
    id: 'incidents',
    title: 'Recent incidents',
    async run(invocation) {
      const n = Math.min(Math.max(Number(invocation.args.n ?? 20) || 20, 1), 100);
      const entries = await listRecentIncidents(db, n);
      const actions = await latestIncidentActions(
        db,
        entries.map((e) => e.incident.id),
      );
      const open = entries.filter((e) => e.incident.status !== 'resolved').length;
      // Listed as notes, not findings: an incident record is not a diagnosis of this bot's run.
      return {
        findings: [],
        notes: entries.map((e) => describeIncidentLine(e, actions.get(e.incident.id))),
        summary: entries.length
          ? `Last ${entries.length} incidents, ${open} still open`
          : 'No incidents recorded yet (see README § Alerts to connect PagerDuty or Alertmanager)',
      };
    },
  };
}
