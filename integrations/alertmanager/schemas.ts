/**
 * Zod schema of the Alertmanager webhook body, `version: "4"` (platforms.md §4.1; `prometheus/alertmanager`
 * `notify/webhook/webhook.go`, `template/template.go`). All label and annotation values are strings.
 */
import { z } from 'zod';

const KeyValues = z.record(z.string().max(500), z.string().max(20_000));

export const AlertmanagerAlertSchema = z
  .object({
    status: z.enum(['firing', 'resolved']),
    labels: KeyValues,
    annotations: KeyValues.default({}),
    startsAt: z.string().max(100),
    /** `0001-01-01T00:00:00Z` while firing (Alertmanager hides a future end time). */
    endsAt: z.string().max(100).optional(),
    generatorURL: z.string().max(5000).optional(),
    /** 16 hex chars: hash of the label set, the stable id of an alert. */
    fingerprint: z.string().min(1).max(100),
  })
  .passthrough();
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlertSchema>;

export const AlertmanagerWebhookSchema = z
  .object({
    version: z.literal('4'),
    /** `<route key>:<group label set>`: one incident thread per group key. */
    groupKey: z.string().min(1).max(10_000),
    truncatedAlerts: z.number().int().min(0).optional(),
    status: z.enum(['firing', 'resolved']),
    receiver: z.string().max(1000),
    groupLabels: KeyValues.default({}),
    commonLabels: KeyValues.default({}),
    commonAnnotations: KeyValues.default({}),
    externalURL: z.string().max(5000).default(''),
    notification_reason: z.string().max(200).optional(),
    alerts: z.array(AlertmanagerAlertSchema).min(1).max(10_000),
  })
  .passthrough();
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhookSchema>;
