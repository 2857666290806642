import { createHash } from 'node:crypto';
import type { IncidentActionKind, IncidentCard } from '../core/incident.js';
import type { IncidentRecord, IncidentThreadRecord } from './incident-store.js';

/** "Corvo prod: health, sqlite-diverged" (what the thread runs), or undefined when nothing runs. */
function runbookOf(i: IncidentRecord, displayNameOf: (system: string) => string): string | undefined {
  if (!i.system) return undefined;
  const name = displayNameOf(i.system);
  if (!i.target) return `${name} (no target: add \`target\` to the alerts rule)`;
  return `${name} ${i.target}${i.workflows.length ? `: ${i.workflows.join(', ')}` : ''}`;
}

/** What the root shows beyond the stored incident: its buttons and the bot's active silence. */
export interface IncidentCardExtras {
  readonly actions?: readonly IncidentActionKind[];
  readonly silence?: { readonly by: string; readonly until: string; readonly recordId: string };
}

/** The root message of an incident's thread, from its stored state. Pure. */
export function createIncidentCard(
  i: IncidentRecord,
  thread: Pick<IncidentThreadRecord, 'replacedRootIds'>,
  displayNameOf: (system: string) => string,
  extras: IncidentCardExtras = {},
): IncidentCard {
  const runbook = runbookOf(i, displayNameOf);
  return {
    incidentId: i.id,
    source: i.source,
    status: i.status,
    title: i.title,
    ...(i.number !== null ? { number: i.number } : {}),
    ...(i.priority ? { priority: i.priority } : {}),
    ...(i.urgency ? { urgency: i.urgency } : {}),
    ...(i.service ? { service: i.service } : {}),
    assignees: i.assignees,
    ...(i.url ? { url: i.url } : {}),
    ...(i.status === 'acknowledged' && i.acknowledgedBy ? { acknowledgedBy: i.acknowledgedBy } : {}),
    ...(i.status === 'resolved' && i.resolvedBy ? { resolvedBy: i.resolvedBy } : {}),
    ...(i.status === 'resolved' && i.resolvedAt
      ? { durationMs: Math.max(0, i.resolvedAt.getTime() - i.startedAt.getTime()) }
      : {}),
    ...(runbook ? { runbook } : {}),
    ...(thread.replacedRootIds.length > 0 ? { replacesDeletedRoot: true } : {}),
    ...(extras.actions && extras.actions.length > 0 ? { actions: extras.actions } : {}),
    ...(extras.silence ? { silence: extras.silence } : {}),
  };
}

/** A stable hash of what a message shows: equal hashes mean nothing to update. */
export function hashMessage(message: unknown): string {
  return createHash('sha256').update(JSON.stringify(message)).digest('hex').slice(0, 32);
}
