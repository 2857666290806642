import type pg from 'pg';
import { formatClock } from '../core/incident.js';
import { listActiveSilences } from '../alerts/incident-silences.js';
import type { EngineWorkflow } from './run-diagnostic.js';

/**
 * `/runbook silences`: the active Alertmanager silences the bot created, each with its matchers, end, who asked and
 * its incident. Each one's Unsilence button is on its incident's root (the thread where it was made).
 */
export function createSilencesWorkflow(db: pg.Pool): EngineWorkflow {
  return {
    id: 'silences',
    title: 'Active silences',
    async run() {
      const silences = await listActiveSilences(db);
      return {
        findings: [],
        notes: silences.map(
          (s) =>
            `${s.matchers.map((m) => `${m.name}="${m.value}"`).join(', ')} until ${formatClock(s.endsAt.toISOString())}` +
            ` — by ${s.by}, incident ${s.incidentId} (${s.title}); Alertmanager silence ${s.silenceId ?? '?'}` +
            ` — Unsilence is on the incident's root`,
        ),
        summary: silences.length
          ? `${silences.length} active silence${silences.length === 1 ? '' : 's'} created by the bot`
          : 'No active silences created by the bot',
      };
    },
  };
}
