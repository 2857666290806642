/**
 * A real Prometheus Alertmanager (`prometheus-alertmanager` from PATH) for end-to-end tests: free loopback port,
 * temporary `--storage.path`, clustering off (`--cluster.listen-address=`), short group timings, one webhook receiver
 * with a bearer token. Alerts are posted to its `/api/v2/alerts` as Prometheus would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort, requireBinary } from '../../src/dev/local-services.js';

export interface AlertmanagerOptions {
  /** Where the webhook receiver posts (`url` of `webhook_configs`). */
  readonly webhookUrl: string;
  /** Sent as `Authorization: Bearer <token>` (`http_config.authorization`). */
  readonly bearerToken: string;
  readonly groupBy?: readonly string[];
  /** Defaults: 1s, 2s, 1h, 5m (short, so a test sees the first and the resolved notification quickly). */
  readonly groupWait?: string;
  readonly groupInterval?: string;
  readonly repeatInterval?: string;
  readonly resolveTimeout?: string;
}

/** An alert as `POST /api/v2/alerts` takes it. */
export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly startsAt?: string;
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

export interface RunningAlertmanager {
  readonly url: string;
  postAlerts(alerts: readonly PostableAlert[]): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

export async function startAlertmanager(o: AlertmanagerOptions): Promise<RunningAlertmanager> {
  const binary = requireBinary('prometheus-alertmanager');
  const dir = mkdtempSync(join(tmpdir(), 'rbb-alertmanager-'));
  const port = await getFreePort();
  const config = {
    global: { resolve_timeout: o.resolveTimeout ?? '5m' },
    route: {
      receiver: 'runbook-bot',
      group_by: o.groupBy ?? ['alertname', 'service'],
      group_wait: o.groupWait ?? '1s',
      group_interval: o.groupInterval ?? '2s',
      repeat_interval: o.repeatInterval ?? '1h',
    },
    receivers: [
      {
        name: 'runbook-bot',
        webhook_configs: [
          {
            url: o.webhookUrl,
            send_resolved: true,
            max_alerts: 50,
            http_config: { authorization: { type: 'Bearer', credentials: o.bearerToken } },
          },
        ],
      },
    ],
  };
  // JSON is YAML.
  writeFileSync(join(dir, 'alertmanager.yml'), JSON.stringify(config, null, 2));
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`alertmanager exited during start-up. Output:\n${out.slice(-3000)}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`alertmanager did not become ready. Output:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async postAlerts(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!res.ok) throw new Error(`alertmanager refused the alerts: ${res.status} ${await res.text()}`);
    },
    output: () => out,
    stop,
  };
}
