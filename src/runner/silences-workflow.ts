import type pg from 'pg';
import { formatClock } from '../core/incident.js';
import type { Finding } from '../core/report.js';
import { listActiveSilences } from '../alerts/incident-silences.js';
import type { EngineWorkflow } from './run-diagnostic.js';

/**
 * `/runbook silences`: the active Alertmanager silences the bot created, each with its matchers, end, who asked and
 * its incident, and an Unsilence button: the same action as the one on its incident's root (anyone may press it;
 * the line about it goes into the incident's thread).
 */
export function createSilencesWorkflow(db: pg.Pool): EngineWorkflow {
  return {
    id: 'silences',
    title: 'Active silences',
    async run() {
      const silences = await listActiveSilences(db);
      const findings: Finding[] = silences.map((s) => ({
        code: 'runbook.silences.active',
        severity: 'ok',
        title: `Silenced until ${formatClock(s.endsAt.toISOString())}: ${s.matchers
          .map((m) => `${m.name}="${m.value}"`)
          .join(', ')}`,
        evidence:
          `by ${s.by}, incident ${s.incidentId} (${s.title}); Alertmanager silence ${s.silenceId ?? '?'}` +
          ' — Unsilence here or on the incident’s root',
        actions: [
          {
            remediation: 'unsilence',
            label: 'Unsilence',
            params: {},
            level: 'none',
            destructive: false,
            incident: { action: 'unsilence', target: `${s.incidentId}--${s.recordId}` },
          },
        ],
      }));
      return {
        findings,
        summary: silences.length
          ? `${silences.length} active silence${silences.length === 1 ? '' : 's'} created by the bot`
          : 'No active silences created by the bot',
      };
    },
  };
}
