/**
 * PagerDuty v3 webhook fixtures, built on the sample payloads of platforms.md §3.7, and a sender that signs them with
 * the real algorithm (HMAC-SHA256 of the raw body, `X-PagerDuty-Signature: v1=<hex>`).
 */
import { randomUUID } from 'node:crypto';
import { signPagerDutyBody } from '../../integrations/pagerduty/verify-pagerduty-signature.js';

export interface IncidentEventOptions {
  readonly type: string;
  readonly incidentId: string;
  readonly eventId?: string;
  readonly number?: number;
  readonly title?: string;
  readonly service?: string;
  readonly status?: 'triggered' | 'acknowledged' | 'resolved';
  readonly occurredAt: string;
  readonly createdAt?: string;
  /** The agent's name (a user), or null for automation. */
  readonly agent?: string | null;
  readonly assignees?: readonly string[];
  readonly priority?: string | null;
  readonly urgency?: 'high' | 'low';
}

const STATUS_OF: Record<string, 'triggered' | 'acknowledged' | 'resolved'> = {
  'incident.triggered': 'triggered',
  'incident.acknowledged': 'acknowledged',
  'incident.unacknowledged': 'triggered',
  'incident.resolved': 'resolved',
  'incident.reopened': 'triggered',
};

const ref = (type: string, id: string, summary: string, path: string) => ({
  html_url: `https://acme.pagerduty.com/${path}/${id}`,
  id,
  self: `https://api.pagerduty.com/${path}/${id}`,
  summary,
  type,
});

/** An `incident.*` webhook whose data is the incident (platforms.md §3.7 shape). */
export function incidentEvent(o: IncidentEventOptions): Record<string, unknown> {
  const status = o.status ?? STATUS_OF[o.type] ?? 'triggered';
  return {
    event: {
      id: o.eventId ?? randomUUID(),
      event_type: o.type,
      resource_type: 'incident',
      occurred_at: o.occurredAt,
      agent: o.agent === null ? null : ref('user_reference', 'PUSR9X1', o.agent ?? 'Dana Oncall', 'users'),
      client: o.type === 'incident.triggered' ? { name: 'Prometheus Alertmanager' } : null,
      data: {
        id: o.incidentId,
        type: 'incident',
        self: `https://api.pagerduty.com/incidents/${o.incidentId}`,
        html_url: `https://acme.pagerduty.com/incidents/${o.incidentId}`,
        number: o.number ?? 4812,
        status,
        incident_key: `key-${o.incidentId}`,
        created_at: o.createdAt ?? '2026-09-01T08:15:41Z',
        title: o.title ?? 'SQLite mirror dropping updates',
        incident_type: { name: 'incident_default' },
        service: ref('service_reference', 'PSVC123', o.service ?? 'Corvo Production', 'services'),
        assignees: (o.assignees ?? ['Dana Oncall']).map((name, i) => ref('user_reference', `PUSR${i}`, name, 'users')),
        escalation_policy: ref('escalation_policy_reference', 'PEP77QZ', 'Corvo Primary', 'escalation_policies'),
        teams: [ref('team_reference', 'PTEAM01', 'Platform SRE', 'teams')],
        priority:
          o.priority === null
            ? null
            : {
                html_url: 'https://acme.pagerduty.com/account/incident_priorities',
                id: 'PPRI001',
                self: 'https://api.pagerduty.com/priorities/PPRI001',
                summary: o.priority ?? 'P1',
                type: 'priority_reference',
              },
        urgency: o.urgency ?? 'high',
        conference_bridge: null,
        resolve_reason: null,
      },
    },
  };
}

/** An `incident.annotated` webhook (data type `incident_note`). */
export function noteEvent(o: { incidentId: string; content: string; occurredAt: string; eventId?: string }) {
  return {
    event: {
      id: o.eventId ?? randomUUID(),
      event_type: 'incident.annotated',
      resource_type: 'incident',
      occurred_at: o.occurredAt,
      agent: ref('user_reference', 'PUSR9X1', 'Dana Oncall', 'users'),
      client: null,
      data: {
        incident: ref('incident_reference', o.incidentId, 'SQLite mirror dropping updates', 'incidents'),
        id: 'PNOTE1',
        content: o.content,
        trimmed: false,
        type: 'incident_note',
      },
    },
  };
}

/** Posts a webhook body signed with `secrets` (several: one `v1=` each, as during rotation). */
export async function postPagerDuty(
  baseUrl: string,
  body: string | Record<string, unknown>,
  o: { secrets?: readonly string[]; signature?: string | null; webhookId?: string } = {},
): Promise<Response> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const signature = o.signature === undefined ? signPagerDutyBody(o.secrets ?? [], raw) : o.signature;
  return fetch(`${baseUrl}/webhooks/pagerduty`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'PagerDuty-Webhook/V3.0',
      'x-webhook-id': o.webhookId ?? randomUUID(),
      ...(signature !== null ? { 'x-pagerduty-signature': signature } : {}),
    },
    body: raw,
  });
}
