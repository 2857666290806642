/** `npm run check`, Alertmanager part: `ALERTMANAGER_URL` answers `GET /api/v2/status` and says its version. */
import { z } from 'zod';
import { describeError, displayUrl, fail, ok, type CheckLine } from '../../src/core/setup-check.js';

/** The part of `GET /api/v2/status` we read (Alertmanager 0.25 `alertmanagerStatus`). */
const StatusSchema = z.object({
  versionInfo: z.object({ version: z.string().max(100) }).passthrough(),
  cluster: z
    .object({ status: z.string().max(50) })
    .passthrough()
    .optional(),
  uptime: z.string().max(100).optional(),
});

export async function checkAlertmanagerSetup(o: { url?: string; timeoutMs?: number }): Promise<CheckLine[]> {
  if (!o.url) return [ok('alertmanager', 'no ALERTMANAGER_URL: no silence buttons (by choice)')];
  const url = `${o.url.replace(/\/+$/, '')}/api/v2/status`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(o.timeoutMs ?? 8000),
    });
  } catch (err) {
    return [
      fail(
        'alertmanager',
        `not reachable: ${describeError((err as Error).cause ?? err)}`,
        `ALERTMANAGER_URL (${displayUrl(o.url)}): Alertmanager's base URL, e.g. http://alertmanager:9093`,
      ),
    ];
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    return [
      fail(
        'alertmanager',
        `GET /api/v2/status answered ${res.status}`,
        res.status === 401 || res.status === 403
          ? 'Alertmanager asks for credentials the bot does not send: allow the bot in its --web.config.file'
          : `ALERTMANAGER_URL (${displayUrl(o.url)}): the base URL, without /api/v2`,
      ),
    ];
  }
  const parsed = StatusSchema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) {
    return [
      fail(
        'alertmanager',
        'GET /api/v2/status did not answer like Alertmanager',
        `ALERTMANAGER_URL (${displayUrl(o.url)})`,
      ),
    ];
  }
  const s = parsed.data;
  return [
    ok(
      'alertmanager',
      `Alertmanager ${s.versionInfo.version}${s.cluster ? `, cluster ${s.cluster.status}` : ''} at ${displayUrl(o.url)}`,
    ),
  ];
}
