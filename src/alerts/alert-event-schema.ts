import { z } from 'zod';
import type { AlertEvent } from '../core/alert.js';

const Status = z.enum(['triggered', 'acknowledged', 'resolved']);

/** An {@link AlertEvent} as stored in `alert_events.event` and read back by the worker (zod at the boundary). */
export const AlertEventSchema = z.object({
  source: z.enum(['pagerduty', 'alertmanager']),
  eventId: z.string().min(1).max(300),
  externalId: z.string().min(1).max(10_000),
  type: z.string().min(1).max(200),
  occurredAt: z.string().min(1),
  actor: z.string().max(1000).optional(),
  actorId: z.string().max(200).optional(),
  snapshot: z
    .object({
      status: Status,
      title: z.string().max(5000),
      number: z.number().int().optional(),
      priority: z.string().max(500).optional(),
      urgency: z.string().max(100).optional(),
      service: z.string().max(2000).optional(),
      assignees: z.array(z.string().max(1000)).max(500),
      url: z.string().max(5000).optional(),
      startedAt: z.string(),
      resolvedAt: z.string().optional(),
    })
    .optional(),
  reference: z.object({ title: z.string().max(5000), url: z.string().max(5000).optional() }).optional(),
  note: z.string().max(5000).optional(),
  opens: z.boolean(),
  labels: z.record(z.string().max(500), z.string().max(20_000)),
}) satisfies z.ZodType<AlertEvent>;
