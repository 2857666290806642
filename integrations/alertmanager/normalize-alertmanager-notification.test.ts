import { describe, expect, it } from 'vitest';
import { alertmanagerEventId, normalizeAlertmanagerNotification } from './normalize-alertmanager-notification.js';
import { AlertmanagerWebhookSchema } from './schemas.js';
import { verifyBearerToken } from './verify-bearer-token.js';

// The sample of platforms.md §4.4.
const firing = AlertmanagerWebhookSchema.parse({
  version: '4',
  groupKey: '{}/{severity="critical"}:{alertname="HighErrorRate", service="checkout-api"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'chatops-bot',
  notification_reason: 'first notification',
  groupLabels: { alertname: 'HighErrorRate', service: 'checkout-api' },
  commonLabels: { alertname: 'HighErrorRate', env: 'prod', service: 'checkout-api', severity: 'critical' },
  commonAnnotations: {
    runbook_url: 'https://runbooks.example.com/checkout/high-error-rate',
    summary: '5xx ratio above 5% for checkout-api',
  },
  externalURL: 'http://alertmanager.monitoring:9093',
  alerts: [
    {
      status: 'firing',
      labels: {
        alertname: 'HighErrorRate',
        env: 'prod',
        instance: '10.2.3.4:8080',
        pod: 'checkout-api-7c9f6d5b8-x2k4p',
        service: 'checkout-api',
        severity: 'critical',
      },
      annotations: {
        description: '5xx ratio is 7.3% (threshold 5%) over 5m',
        runbook_url: 'https://runbooks.example.com/checkout/high-error-rate',
        summary: '5xx ratio above 5% for checkout-api',
      },
      startsAt: '2026-09-01T08:14:30.123Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.monitoring:9090/graph?g0.expr=x',
      fingerprint: 'a3f9c2e41b7d6e08',
    },
  ],
});
const resolved = AlertmanagerWebhookSchema.parse({
  ...firing,
  status: 'resolved',
  notification_reason: 'all alerts resolved',
  alerts: [{ ...firing.alerts[0], status: 'resolved', endsAt: '2026-09-01T08:44:30.123Z' }],
});

describe('normalizeAlertmanagerNotification', () => {
  it('makes one incident per groupKey from a firing notification', () => {
    const e = normalizeAlertmanagerNotification(firing);
    expect(e).toMatchObject({
      source: 'alertmanager',
      externalId: firing.groupKey,
      type: 'alertmanager.firing',
      occurredAt: '2026-09-01T08:14:30.123Z',
      opens: true,
      note: '1 alert firing (first notification)',
      snapshot: {
        status: 'triggered',
        title: 'HighErrorRate: 5xx ratio above 5% for checkout-api',
        priority: 'critical',
        urgency: 'high',
        service: 'checkout-api',
        assignees: [],
        url: 'http://alertmanager.monitoring:9093/#/alerts?receiver=chatops-bot',
        startedAt: '2026-09-01T08:14:30.123Z',
      },
      labels: {
        alertname: 'HighErrorRate',
        env: 'prod',
        severity: 'critical',
        service: 'checkout-api',
        runbook_url: 'https://runbooks.example.com/checkout/high-error-rate',
      },
    });
  });

  it('resolves with the duration, ordered after the firing', () => {
    const e = normalizeAlertmanagerNotification(resolved);
    expect(e.snapshot).toMatchObject({ status: 'resolved', resolvedAt: '2026-09-01T08:44:30.123Z' });
    expect(e.note).toBe('All alerts resolved after 30m (all alerts resolved)');
    expect(Date.parse(e.occurredAt)).toBeGreaterThan(Date.parse(normalizeAlertmanagerNotification(firing).occurredAt));
  });

  it('dedupes repeats on groupKey + status + fingerprints, not on a new firing of the same alert', () => {
    const repeat = AlertmanagerWebhookSchema.parse({ ...firing, notification_reason: 'repeat interval elapsed' });
    expect(alertmanagerEventId(repeat)).toBe(alertmanagerEventId(firing));
    expect(alertmanagerEventId(resolved)).not.toBe(alertmanagerEventId(firing));
    const more = AlertmanagerWebhookSchema.parse({
      ...firing,
      alerts: [...firing.alerts, { ...firing.alerts[0], fingerprint: 'b000000000000001' }],
    });
    expect(alertmanagerEventId(more)).not.toBe(alertmanagerEventId(firing));
    const reordered = AlertmanagerWebhookSchema.parse({ ...more, alerts: [...more.alerts].reverse() });
    expect(alertmanagerEventId(reordered)).toBe(alertmanagerEventId(more));
    const again = AlertmanagerWebhookSchema.parse({
      ...firing,
      alerts: [{ ...firing.alerts[0], startsAt: '2026-09-01T10:00:00Z' }],
    });
    expect(alertmanagerEventId(again)).not.toBe(alertmanagerEventId(firing));
  });

  it('refuses what is not a v4 notification', () => {
    expect(AlertmanagerWebhookSchema.safeParse({ ...firing, version: '3' }).success).toBe(false);
    expect(AlertmanagerWebhookSchema.safeParse({ ...firing, alerts: [] }).success).toBe(false);
    expect(AlertmanagerWebhookSchema.safeParse({ ...firing, status: 'pending' }).success).toBe(false);
  });
});

describe('verifyBearerToken', () => {
  it('accepts exactly the configured token, case-insensitive scheme', () => {
    expect(verifyBearerToken('Bearer s3cret', 's3cret')).toEqual({ ok: true });
    expect(verifyBearerToken('bearer s3cret', 's3cret')).toEqual({ ok: true });
    expect(verifyBearerToken('Bearer s3cre', 's3cret').ok).toBe(false);
    expect(verifyBearerToken('Bearer s3cretx', 's3cret').ok).toBe(false);
    expect(verifyBearerToken('Basic czNjcmV0', 's3cret').ok).toBe(false);
    expect(verifyBearerToken(undefined, 's3cret').ok).toBe(false);
    expect(verifyBearerToken('Bearer anything', undefined).ok).toBe(false);
  });
});
