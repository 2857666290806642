/**
 * A loopback fake of the PagerDuty REST API, just what the bot reads: `GET /incidents/{id}/alerts` with
 * `Authorization: Token token=<key>` (401 otherwise), answering the alerts set with {@link FakePagerDutyApi.setAlerts}.
 * Tests and the bench only.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePagerDutyApi {
  readonly url: string;
  /** Requests seen: path and whether the token was right. */
  readonly calls: readonly { path: string; authorized: boolean }[];
  /** Alerts of an incident, each with its `custom_details` (put under `body.details`, or `cef_details` when asked). */
  setAlerts(incidentId: string, details: readonly Record<string, unknown>[], o?: { cef?: boolean }): void;
  close(): Promise<void>;
}

export async function startFakePagerDutyApi(o: { token: string }): Promise<FakePagerDutyApi> {
  const alerts = new Map<string, unknown[]>();
  const calls: { path: string; authorized: boolean }[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const authorized = req.headers.authorization === `Token token=${o.token}`;
    calls.push({ path: url.pathname, authorized });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!authorized) return json(401, { error: { message: 'Unauthorized', code: 2006 } });
    const m = /^\/incidents\/([^/]+)\/alerts$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) return json(404, { error: { message: 'Not Found', code: 2100 } });
    const list = alerts.get(decodeURIComponent(m[1]!)) ?? [];
    return json(200, { alerts: list, limit: 25, offset: 0, more: false, total: null });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setAlerts(incidentId, details, opts) {
      alerts.set(
        incidentId,
        details.map((d, i) => ({
          id: `PALERT${i}`,
          type: 'alert',
          summary: String(d.summary ?? 'alert'),
          status: 'triggered',
          severity: 'critical',
          body: opts?.cef
            ? { type: 'alert_body', contexts: [], cef_details: { details: d } }
            : { type: 'alert_body', contexts: [], details: d },
        })),
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
