/**
 * Zod schemas of PagerDuty v3 webhooks (platforms.md §3.1-3.3, PagerDuty `docs/webhooks/01-Overview.md`) and of the
 * REST answer we read for alert details (§3.6). Lenient on purpose: unknown keys pass through and everything the
 * bot does not need is optional, because a 4xx makes PagerDuty drop the webhook and three drops in a row disable
 * the subscription for 24 h.
 */
import { z } from 'zod';

/** `{ id, type, summary, self, html_url }` — a user, service, escalation policy, priority, team… */
export const ReferenceSchema = z
  .object({
    id: z.string().max(200).optional(),
    type: z.string().max(100).optional(),
    summary: z.string().max(2000).nullable().optional(),
    self: z.string().max(2000).nullable().optional(),
    html_url: z.string().max(2000).nullable().optional(),
  })
  .passthrough();
export type Reference = z.infer<typeof ReferenceSchema>;

/** The envelope: one event per delivery, never batched. */
export const PagerDutyWebhookSchema = z.object({
  event: z
    .object({
      id: z.string().min(1).max(200),
      event_type: z.string().min(1).max(200),
      resource_type: z.string().max(100).optional(),
      occurred_at: z.string().max(100).optional(),
      agent: ReferenceSchema.nullable().optional(),
      client: z
        .object({ name: z.string().max(500).optional(), url: z.string().max(2000).nullable().optional() })
        .passthrough()
        .nullable()
        .optional(),
      data: z.unknown().optional(),
    })
    .passthrough(),
});
export type PagerDutyWebhook = z.infer<typeof PagerDutyWebhookSchema>;

/** Just the event's id and type: enough to answer a redelivery (the body is already verified) before the rest. */
export const PagerDutyWebhookHeadSchema = z.object({
  event: z.object({ id: z.string().min(1).max(200), event_type: z.string().min(1).max(200) }),
});

/** `data` of incident.triggered/acknowledged/unacknowledged/resolved/reopened/reassigned/escalated/… (§3.2). */
export const PagerDutyIncidentSchema = z
  .object({
    id: z.string().min(1).max(200),
    type: z.literal('incident'),
    html_url: z.string().max(2000).nullable().optional(),
    number: z.number().int().nullable().optional(),
    status: z.enum(['triggered', 'acknowledged', 'resolved']),
    incident_key: z.string().max(1000).nullable().optional(),
    created_at: z.string().max(100).optional(),
    reopened_at: z.string().max(100).nullable().optional(),
    title: z.string().max(5000).default(''),
    incident_type: z
      .object({ name: z.string().max(200) })
      .passthrough()
      .nullable()
      .optional(),
    service: ReferenceSchema.nullable().optional(),
    assignees: z.array(ReferenceSchema).max(500).default([]),
    escalation_policy: ReferenceSchema.nullable().optional(),
    teams: z.array(ReferenceSchema).max(500).optional(),
    priority: ReferenceSchema.nullable().optional(),
    urgency: z.string().max(50).nullable().optional(),
    conference_bridge: z.unknown().optional(),
    resolve_reason: z.unknown().optional(),
  })
  .passthrough();
export type PagerDutyIncident = z.infer<typeof PagerDutyIncidentSchema>;

/** `data` of the incident.* types that carry an incident reference instead of the incident (notes, responders…). */
export const PagerDutyIncidentChildSchema = z
  .object({
    type: z.string().max(100).optional(),
    incident: ReferenceSchema.extend({ id: z.string().min(1).max(200) }),
    /** incident_note */
    content: z.string().max(100_000).optional(),
    /** incident_status_update, incident_responder */
    message: z.string().max(100_000).nullable().optional(),
    /** incident_responder */
    user: ReferenceSchema.nullable().optional(),
    state: z.string().max(100).nullable().optional(),
  })
  .passthrough();
export type PagerDutyIncidentChild = z.infer<typeof PagerDutyIncidentChildSchema>;

/** One alert of `GET /incidents/{id}/alerts` (only what we read). */
export const PagerDutyAlertSchema = z
  .object({
    id: z.string().optional(),
    summary: z.string().nullable().optional(),
    body: z
      .object({
        details: z.unknown().optional(),
        cef_details: z.object({ details: z.unknown().optional() }).passthrough().nullable().optional(),
      })
      .passthrough()
      .nullable()
      .optional(),
  })
  .passthrough();

/** `GET /incidents/{id}/alerts` answer. */
export const PagerDutyAlertsResponseSchema = z.object({ alerts: z.array(PagerDutyAlertSchema) }).passthrough();
