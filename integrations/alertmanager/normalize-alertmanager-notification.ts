import { createHash } from 'node:crypto';
import type { AlertEvent, IncidentSnapshot } from '../../src/core/alert.js';
import { formatDuration } from '../../src/core/incident.js';
import type { AlertmanagerWebhook } from './schemas.js';

/** Severity labels that page someone: urgency `high`. */
const HIGH_URGENCY = new Set(['critical', 'page', 'error', 'emergency', 'high']);

function time(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  // Alertmanager sends `0001-01-01T00:00:00Z` as "no end time".
  return Number.isNaN(ms) || ms <= 0 ? undefined : ms;
}

/**
 * The dedupe key of a notification: group key, status, and each alert's fingerprint with its own status and start
 * time. A `repeat_interval` resend of the same state maps onto the same key; an alert that fires again later (new
 * `startsAt`) does not.
 */
export function alertmanagerEventId(n: AlertmanagerWebhook): string {
  const alerts = n.alerts.map((a) => `${a.fingerprint}:${a.status}:${a.startsAt}`).sort();
  const hash = createHash('sha256')
    .update([n.groupKey, n.status, ...alerts].join('\n'))
    .digest('hex');
  return `am:${hash.slice(0, 40)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Turns an Alertmanager v4 notification into the bot's {@link AlertEvent}: one incident per `groupKey`, a full
 * snapshot per notification (firing → triggered, resolved → resolved), ordered by the latest alert start or end
 * time it reports. Pure.
 */
export function normalizeAlertmanagerNotification(n: AlertmanagerWebhook): AlertEvent {
  const firing = n.alerts.filter((a) => a.status === 'firing');
  const resolved = n.alerts.filter((a) => a.status === 'resolved');
  const starts = n.alerts.map((a) => time(a.startsAt)).filter((t): t is number => t !== undefined);
  const ends = resolved.map((a) => time(a.endsAt)).filter((t): t is number => t !== undefined);
  const startedAt = starts.length ? Math.min(...starts) : Date.now();
  const moments = [
    ...firing.map((a) => time(a.startsAt)),
    ...resolved.map((a) => time(a.endsAt) ?? time(a.startsAt)),
  ].filter((t): t is number => t !== undefined);
  const occurredAt = moments.length ? Math.max(...moments) : startedAt;

  const labels = { ...n.groupLabels, ...n.commonLabels };
  const annotation = (key: string) =>
    n.commonAnnotations[key] ?? n.alerts.find((a) => a.annotations[key])?.annotations[key];
  const alertname = labels.alertname ?? 'Alert';
  const summary = annotation('summary');
  const grouping = Object.entries(n.groupLabels)
    .filter(([k]) => k !== 'alertname')
    .map(([, v]) => v)
    .join(' ');
  const title = summary ? `${alertname}: ${summary}` : `${alertname}${grouping ? ` ${grouping}` : ''}`;
  const severity = labels.severity;
  const service = labels.service ?? labels.job;
  const runbookUrl = annotation('runbook_url');
  const url = /^https?:\/\//.test(n.externalURL)
    ? `${n.externalURL.replace(/\/+$/, '')}/#/alerts?receiver=${encodeURIComponent(n.receiver)}`
    : undefined;

  const status = n.status === 'firing' ? 'triggered' : 'resolved';
  const resolvedAt = status === 'resolved' ? (ends.length ? Math.max(...ends) : occurredAt) : undefined;
  const snapshot: IncidentSnapshot = {
    status,
    title,
    ...(severity ? { priority: severity } : {}),
    ...(severity ? { urgency: HIGH_URGENCY.has(severity.toLowerCase()) ? 'high' : 'low' } : {}),
    ...(service ? { service } : {}),
    assignees: [],
    ...(url ? { url } : {}),
    startedAt: new Date(startedAt).toISOString(),
    ...(resolvedAt !== undefined ? { resolvedAt: new Date(resolvedAt).toISOString() } : {}),
  };
  const reason = n.notification_reason ? ` (${n.notification_reason})` : '';
  const note =
    status === 'resolved'
      ? `All alerts resolved after ${formatDuration((resolvedAt ?? occurredAt) - startedAt)}${reason}`
      : `${plural(firing.length + (n.truncatedAlerts ?? 0), 'alert')} firing` +
        `${resolved.length ? `, ${resolved.length} resolved` : ''}${reason}`;

  return {
    source: 'alertmanager',
    eventId: alertmanagerEventId(n),
    externalId: n.groupKey,
    type: `alertmanager.${n.status}`,
    occurredAt: new Date(occurredAt).toISOString(),
    snapshot,
    note,
    opens: status === 'triggered',
    labels: {
      ...labels,
      title,
      alertname,
      ...(service ? { service } : {}),
      ...(runbookUrl ? { runbook_url: runbookUrl } : {}),
    },
  };
}
