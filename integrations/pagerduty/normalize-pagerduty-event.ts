import type { AlertEvent, IncidentSnapshot } from '../../src/core/alert.js';
import { formatDuration } from '../../src/core/incident.js';
import {
  PagerDutyIncidentChildSchema,
  PagerDutyIncidentSchema,
  type PagerDutyIncident,
  type PagerDutyIncidentChild,
  type PagerDutyWebhook,
} from './schemas.js';

/** What a verified webhook means to the bot. */
export type NormalizedPagerDutyEvent =
  | { readonly kind: 'alert'; readonly event: AlertEvent }
  /** Answered 2xx and otherwise ignored: `pagey.ping`, `service.*`, types the bot does not know. */
  | { readonly kind: 'ignored'; readonly reason: string }
  /** Answered 400: a known type whose data does not have the shape PagerDuty documents. */
  | { readonly kind: 'malformed'; readonly reason: string };

/** `incident.*` types whose `data` is the incident itself (a full snapshot). */
const SNAPSHOT_TYPES = new Set([
  'incident.triggered',
  'incident.acknowledged',
  'incident.unacknowledged',
  'incident.resolved',
  'incident.reopened',
  'incident.reassigned',
  'incident.escalated',
  'incident.delegated',
  'incident.priority_updated',
  'incident.service_updated',
  'incident.incident_type.changed',
]);

/** `incident.*` types whose `data` references the incident (a note, a responder, a status update). */
const CHILD_TYPES = new Set([
  'incident.annotated',
  'incident.responder.added',
  'incident.responder.replied',
  'incident.status_update_published',
]);

/** Longest note text kept (a PagerDuty note can be long; the thread gets a line). */
const MAX_NOTE = 500;

function names(refs: readonly { summary?: string | null }[]): string[] {
  return refs.map((r) => r.summary ?? '').filter((s) => s !== '');
}

function cut(text: string, max = MAX_NOTE): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function snapshotOf(data: PagerDutyIncident, occurredAt: string): IncidentSnapshot {
  return {
    status: data.status,
    title: data.title || `PagerDuty incident ${data.id}`,
    ...(typeof data.number === 'number' ? { number: data.number } : {}),
    ...(data.priority?.summary ? { priority: data.priority.summary } : {}),
    ...(data.urgency ? { urgency: data.urgency } : {}),
    ...(data.service?.summary ? { service: data.service.summary } : {}),
    assignees: names(data.assignees),
    ...(data.html_url ? { url: data.html_url } : {}),
    startedAt: validTime(data.created_at) ?? occurredAt,
    ...(data.status === 'resolved' ? { resolvedAt: occurredAt } : {}),
  };
}

function validTime(value: string | undefined | null): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function by(actor: string | undefined): string {
  return actor ? ` by ${actor}` : '';
}

function snapshotNote(type: string, s: IncidentSnapshot, actor: string | undefined, occurredAt: string): string {
  switch (type) {
    case 'incident.triggered':
      return `Triggered${s.priority ? ` (${s.priority}${s.urgency ? `, ${s.urgency} urgency` : ''})` : ''}`;
    case 'incident.acknowledged':
      return `Acknowledged${by(actor)}`;
    case 'incident.unacknowledged':
      return 'Unacknowledged: the acknowledgement timed out, the incident is triggered again';
    case 'incident.resolved': {
      const ms = Date.parse(occurredAt) - Date.parse(s.startedAt);
      return `Resolved${by(actor)}${Number.isFinite(ms) && ms >= 0 ? ` after ${formatDuration(ms)}` : ''}`;
    }
    case 'incident.reopened':
      return `Reopened${by(actor)}`;
    case 'incident.reassigned':
      return s.assignees.length ? `Reassigned to ${s.assignees.join(', ')}` : `Unassigned${by(actor)}`;
    case 'incident.escalated':
      return s.assignees.length ? `Escalated to ${s.assignees.join(', ')}` : 'Escalated';
    case 'incident.delegated':
      return `Delegated to another escalation policy${by(actor)}`;
    case 'incident.priority_updated':
      return s.priority ? `Priority set to ${s.priority}${by(actor)}` : `Priority removed${by(actor)}`;
    case 'incident.service_updated':
      return `Moved to service ${s.service ?? '(unknown)'}${by(actor)}`;
    case 'incident.incident_type.changed':
      return `Incident type changed${by(actor)}`;
    default:
      return `${type.replace(/^incident\./, '').replace(/[._]/g, ' ')}${by(actor)}`;
  }
}

function childNote(type: string, d: PagerDutyIncidentChild, actor: string | undefined): string {
  switch (type) {
    case 'incident.annotated':
      return `Note${by(actor)}: ${cut(d.content ?? '')}`;
    case 'incident.responder.added':
      return `Responder requested: ${d.user?.summary ?? 'someone'}${d.message ? ` — “${cut(d.message, 200)}”` : ''}`;
    case 'incident.responder.replied':
      return `${d.user?.summary ?? 'A responder'} replied: ${d.state ?? 'answered'}`;
    case 'incident.status_update_published':
      return `Status update${by(actor)}: ${cut(d.message ?? '')}`;
    default:
      return type;
  }
}

/**
 * Turns a verified PagerDuty v3 webhook into the bot's {@link AlertEvent}. Every `incident.*` type the bot knows is
 * handled (a snapshot and/or a thread note); `pagey.ping`, service events and unknown types are ignored. Pure.
 */
export function normalizePagerDutyEvent(webhook: PagerDutyWebhook): NormalizedPagerDutyEvent {
  const e = webhook.event;
  const type = e.event_type;
  if (type === 'pagey.ping') return { kind: 'ignored', reason: 'ping' };
  if (!type.startsWith('incident.')) return { kind: 'ignored', reason: 'not an incident event' };
  const occurredAt = validTime(e.occurred_at);
  if (!occurredAt) return { kind: 'malformed', reason: 'occurred_at missing or not a time' };
  const actor = e.agent?.summary ?? undefined;
  // The agent's id recognises the echo of the bot's own REST write (platforms-2.md §1.5).
  const actorId = e.agent?.type === 'user_reference' ? e.agent.id : undefined;
  const base = {
    source: 'pagerduty' as const,
    eventId: `pd:${e.id}`,
    type,
    occurredAt,
    ...(actor ? { actor } : {}),
    ...(actorId ? { actorId } : {}),
  };

  const asIncident = PagerDutyIncidentSchema.safeParse(e.data);
  if (asIncident.success) {
    const data = asIncident.data;
    const snapshot = snapshotOf(data, occurredAt);
    const labels: Record<string, string> = { title: snapshot.title };
    if (snapshot.service) labels.service = snapshot.service;
    if (snapshot.priority) labels.priority = snapshot.priority;
    if (snapshot.urgency) labels.urgency = snapshot.urgency;
    if (data.incident_type?.name) labels.incident_type = data.incident_type.name;
    return {
      kind: 'alert',
      event: {
        ...base,
        externalId: data.id,
        snapshot,
        // Types the bot does not know are recorded and applied, but get no line in the thread.
        ...(SNAPSHOT_TYPES.has(type) ? { note: snapshotNote(type, snapshot, actor, occurredAt) } : {}),
        opens: type === 'incident.triggered',
        labels,
      },
    };
  }
  if (SNAPSHOT_TYPES.has(type)) return { kind: 'malformed', reason: `${type} without incident data` };

  const asChild = PagerDutyIncidentChildSchema.safeParse(e.data);
  if (asChild.success) {
    const d = asChild.data;
    const title = d.incident.summary ?? `PagerDuty incident ${d.incident.id}`;
    return {
      kind: 'alert',
      event: {
        ...base,
        externalId: d.incident.id,
        reference: { title, ...(d.incident.html_url ? { url: d.incident.html_url } : {}) },
        ...(CHILD_TYPES.has(type) ? { note: childNote(type, d, actor) } : {}),
        opens: false,
        labels: { title },
      },
    };
  }
  if (CHILD_TYPES.has(type)) return { kind: 'malformed', reason: `${type} without an incident reference` };
  return { kind: 'ignored', reason: 'incident event type without an incident' };
}
