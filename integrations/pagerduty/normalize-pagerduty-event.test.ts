import { describe, expect, it } from 'vitest';
import { normalizePagerDutyEvent } from './normalize-pagerduty-event.js';
import { PagerDutyWebhookSchema } from './schemas.js';

// The sample payloads of platforms.md §3.7 (trimmed to what differs between them).
const triggered = {
  event: {
    id: '01F3Q8ZK2V7TQ9R0JX4M5N6P7A',
    event_type: 'incident.triggered',
    resource_type: 'incident',
    occurred_at: '2026-09-01T08:15:42.311Z',
    agent: {
      html_url: 'https://acme.pagerduty.com/services/PSVC123',
      id: 'PSVC123',
      self: 'https://api.pagerduty.com/services/PSVC123',
      summary: 'checkout-api',
      type: 'service_reference',
    },
    client: { name: 'Prometheus Alertmanager' },
    data: {
      id: 'Q1ABCD2EFGH3IJ',
      type: 'incident',
      self: 'https://api.pagerduty.com/incidents/Q1ABCD2EFGH3IJ',
      html_url: 'https://acme.pagerduty.com/incidents/Q1ABCD2EFGH3IJ',
      number: 4812,
      status: 'triggered',
      incident_key: '6f1c0e6a1b2d4c35a9b8e7d6c5b4a392',
      created_at: '2026-09-01T08:15:41Z',
      title: '[FIRING:1] HighErrorRate checkout-api (prod)',
      incident_type: { name: 'incident_default' },
      service: { id: 'PSVC123', summary: 'checkout-api', type: 'service_reference' },
      assignees: [{ id: 'PUSR9X1', summary: 'Dana Oncall', type: 'user_reference' }],
      escalation_policy: { id: 'PEP77QZ', summary: 'Checkout Primary', type: 'escalation_policy_reference' },
      teams: [{ id: 'PTEAM01', summary: 'Payments SRE', type: 'team_reference' }],
      priority: { id: 'PPRI001', summary: 'P1', type: 'priority_reference' },
      urgency: 'high',
      conference_bridge: null,
      resolve_reason: null,
    },
  },
};
const resolved = {
  event: {
    ...triggered.event,
    id: '01F3QB4W9C2D7E8F1G0H3J4K5L',
    event_type: 'incident.resolved',
    occurred_at: '2026-09-01T08:47:05.902Z',
    agent: { id: 'PUSR9X1', summary: 'Dana Oncall', type: 'user_reference' },
    client: null,
    data: { ...triggered.event.data, status: 'resolved', assignees: [] },
  },
};

const normalize = (body: unknown) => normalizePagerDutyEvent(PagerDutyWebhookSchema.parse(body));

describe('normalizePagerDutyEvent', () => {
  it('turns incident.triggered into an opening event with the full snapshot and routing labels', () => {
    const n = normalize(triggered);
    expect(n).toEqual({
      kind: 'alert',
      event: {
        source: 'pagerduty',
        eventId: 'pd:01F3Q8ZK2V7TQ9R0JX4M5N6P7A',
        externalId: 'Q1ABCD2EFGH3IJ',
        type: 'incident.triggered',
        occurredAt: '2026-09-01T08:15:42.311Z',
        actor: 'checkout-api',
        snapshot: {
          status: 'triggered',
          title: '[FIRING:1] HighErrorRate checkout-api (prod)',
          number: 4812,
          priority: 'P1',
          urgency: 'high',
          service: 'checkout-api',
          assignees: ['Dana Oncall'],
          url: 'https://acme.pagerduty.com/incidents/Q1ABCD2EFGH3IJ',
          startedAt: '2026-09-01T08:15:41.000Z',
        },
        note: 'Triggered (P1, high urgency)',
        opens: true,
        labels: {
          title: '[FIRING:1] HighErrorRate checkout-api (prod)',
          service: 'checkout-api',
          priority: 'P1',
          urgency: 'high',
          incident_type: 'incident_default',
        },
      },
    });
  });

  it('says who resolved it and after how long', () => {
    const n = normalize(resolved);
    expect(n.kind).toBe('alert');
    if (n.kind !== 'alert') return;
    expect(n.event.snapshot).toMatchObject({
      status: 'resolved',
      resolvedAt: '2026-09-01T08:47:05.902Z',
      assignees: [],
    });
    expect(n.event.note).toBe('Resolved by Dana Oncall after 31m 25s');
    expect(n.event.opens).toBe(false);
  });

  it('writes one line per change type', () => {
    const as = (event_type: string, extra: Record<string, unknown> = {}) => {
      const n = normalize({ event: { ...resolved.event, event_type, data: { ...resolved.event.data, ...extra } } });
      return n.kind === 'alert' ? n.event.note : n.kind;
    };
    expect(as('incident.acknowledged', { status: 'acknowledged' })).toBe('Acknowledged by Dana Oncall');
    expect(as('incident.unacknowledged', { status: 'triggered' })).toMatch(/^Unacknowledged/);
    expect(as('incident.reopened', { status: 'triggered' })).toBe('Reopened by Dana Oncall');
    expect(as('incident.reassigned', { status: 'triggered', assignees: [{ summary: 'Sam' }] })).toBe(
      'Reassigned to Sam',
    );
    expect(as('incident.escalated', { status: 'triggered', assignees: [{ summary: 'Erin' }] })).toBe(
      'Escalated to Erin',
    );
    expect(as('incident.priority_updated', { status: 'triggered', priority: { summary: 'P3' } })).toBe(
      'Priority set to P3 by Dana Oncall',
    );
    expect(as('incident.priority_updated', { status: 'triggered', priority: null })).toBe(
      'Priority removed by Dana Oncall',
    );
    expect(as('incident.delegated', { status: 'triggered' })).toMatch(/^Delegated/);
  });

  it('turns notes and responder requests into notes on an incident reference', () => {
    const note = normalize({
      event: {
        id: 'n1',
        event_type: 'incident.annotated',
        occurred_at: '2026-09-01T08:20:00Z',
        agent: { summary: 'Dana Oncall' },
        data: {
          incident: { id: 'Q1ABCD2EFGH3IJ', summary: 'HighErrorRate', html_url: 'https://x/incidents/Q1' },
          id: 'PNOTE',
          content: 'Rolled back\nthe deploy',
          trimmed: false,
          type: 'incident_note',
        },
      },
    });
    expect(note).toMatchObject({
      kind: 'alert',
      event: {
        externalId: 'Q1ABCD2EFGH3IJ',
        reference: { title: 'HighErrorRate', url: 'https://x/incidents/Q1' },
        note: 'Note by Dana Oncall: Rolled back the deploy',
        opens: false,
      },
    });
    const responder = normalize({
      event: {
        id: 'r1',
        event_type: 'incident.responder.added',
        occurred_at: '2026-09-01T08:21:00Z',
        data: {
          incident: { id: 'Q1ABCD2EFGH3IJ', summary: 'HighErrorRate' },
          user: { summary: 'Maeve' },
          message: 'Please help',
          state: 'pending',
          type: 'incident_responder',
        },
      },
    });
    expect(responder.kind === 'alert' && responder.event.note).toBe('Responder requested: Maeve — “Please help”');
  });

  it('ignores pings, service events and unknown types; refuses known types without their data', () => {
    expect(normalize({ event: { id: '01ABC', event_type: 'pagey.ping' } })).toEqual({
      kind: 'ignored',
      reason: 'ping',
    });
    expect(normalize({ event: { id: 's', event_type: 'service.updated', data: { type: 'service' } } }).kind).toBe(
      'ignored',
    );
    expect(
      normalize({
        event: { id: 'w', event_type: 'incident.workflow.started', occurred_at: '2026-09-01T08:00:00Z', data: {} },
      }).kind,
    ).toBe('ignored');
    expect(
      normalize({ event: { id: 'x', event_type: 'incident.triggered', occurred_at: '2026-09-01T08:00:00Z', data: {} } })
        .kind,
    ).toBe('malformed');
    expect(normalize({ event: { ...triggered.event, occurred_at: 'yesterday' } }).kind).toBe('malformed');
  });

  it('records unknown incident types that carry the incident, without a thread note', () => {
    const n = normalize({ event: { ...triggered.event, event_type: 'incident.custom_field_values.updated' } });
    expect(n.kind === 'alert' && n.event.note).toBeUndefined();
    expect(n.kind === 'alert' && n.event.snapshot?.status).toBe('triggered');
  });
});
