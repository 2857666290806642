import { describe, expect, it } from 'vitest';
import { labelFingerprint } from './label-fingerprint.js';
import { AlertmanagerWebhookSchema } from './schemas.js';

describe('labelFingerprint', () => {
  it("matches the fingerprint a real Alertmanager sent (pythonwebhook's captured notification)", () => {
    const labels = {
      alertname: 'Deployment',
      app_kubernetes_io_instance: 'eric-oss-common-base',
      app_kubernetes_io_managed_by: 'Helm',
      app_kubernetes_io_name: 'eric-pm-kube-state-metrics',
      app_kubernetes_io_version: '2.1.0_10',
      chart: 'eric-pm-kube-state-metrics-2.1.0_10',
      deployment: 'eric-log-transformer',
      instance: '192.168.69.53:8080',
      job: 'eric-pm-kube-state-metrics',
      kubernetes_name: 'eric-pm-kube-state-metrics',
      kubernetes_namespace: 'eric-eo-cm-ci406',
      namespace: 'eric-eo-cm-ci406',
      severity: 'Warning',
    };
    expect(labelFingerprint(labels)).toBe('fbab788ec4c1018b');
    // Order of the keys does not matter; names are sorted by bytes.
    expect(labelFingerprint(Object.fromEntries(Object.entries(labels).reverse()))).toBe('fbab788ec4c1018b');
  });

  it("matches zulip's fixture, and an empty set is FNV-1a's offset", () => {
    expect(labelFingerprint({ alertname: 'High CPU Temperature', host: 'andromeda', severity: 'critical' })).toBe(
      'a1bc48475b20e73d',
    );
    expect(labelFingerprint({})).toBe('cbf29ce484222325');
  });
});

describe('AlertmanagerWebhookSchema: notifications from Alertmanager before 0.19', () => {
  const old = {
    version: '4',
    groupKey: '{}:{alertname="high_memory_load"}',
    status: 'firing',
    receiver: 'teams_proxy',
    alerts: [{ labels: { alertname: 'high_memory_load' }, annotations: {}, startsAt: '2020-01-01T00:00:00Z' }],
  };

  it('gives each alert the notification status and the fingerprint Alertmanager would compute', () => {
    const parsed = AlertmanagerWebhookSchema.parse(old);
    expect(parsed.alerts[0]).toMatchObject({
      status: 'firing',
      fingerprint: labelFingerprint({ alertname: 'high_memory_load' }),
    });
  });

  it('still refuses what is not a notification', () => {
    expect(AlertmanagerWebhookSchema.safeParse({ ...old, status: 'pending' }).success).toBe(false);
    expect(AlertmanagerWebhookSchema.safeParse({ ...old, alerts: [{ labels: 'x' }] }).success).toBe(false);
    expect(AlertmanagerWebhookSchema.safeParse(null).success).toBe(false);
  });
});
