/**
 * Zod schema of the Alertmanager webhook body, `version: "4"` (platforms.md §4.1; `prometheus/alertmanager`
 * `notify/webhook/webhook.go`, `template/template.go`). All label and annotation values are strings.
 */
import { z } from 'zod';
import { labelFingerprint } from './label-fingerprint.js';

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

/**
 * Alertmanager before 0.19 sent alerts without their own `status` and `fingerprint` (prometheus-msteams's testdata
 * keeps one such notification): each takes the notification's status, and the fingerprint Alertmanager would have
 * computed from its labels. Anything not of that shape is left for the schema to refuse.
 */
function fillPre019Alerts(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { alerts?: unknown }).alerts)) return body;
  const { status, alerts } = body as { status?: unknown; alerts: unknown[] };
  return {
    ...body,
    alerts: alerts.map((alert) => {
      if (typeof alert !== 'object' || alert === null) return alert;
      const a = alert as { status?: unknown; fingerprint?: unknown; labels?: unknown };
      const labels = KeyValues.safeParse(a.labels);
      return {
        ...a,
        ...(a.status === undefined ? { status } : {}),
        ...(a.fingerprint === undefined && labels.success ? { fingerprint: labelFingerprint(labels.data) } : {}),
      };
    }),
  };
}

const AlertmanagerWebhookObjectSchema = z
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
export const AlertmanagerWebhookSchema = z.preprocess(fillPre019Alerts, AlertmanagerWebhookObjectSchema);
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhookSchema>;
