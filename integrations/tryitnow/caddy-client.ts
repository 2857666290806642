import type { Dispatcher } from 'undici';
import type { ClientDeps } from '../../src/core/system.js';
import { TargetError } from '../../src/core/target-error.js';
import { chatSafe, createHttpSender, parseJsonAnswer, type CallOptions, type HttpAnswer } from './http.js';
import { CaddyErrorSchema, CaddyRoutesSchema, DEMO_ROUTE_PREFIX, type CaddyRoute } from './schemas.js';
import { encodePathSegment } from '../shared/path-segment.js';

/** What the Caddy client needs of the instance config. */
export interface TryItNowCaddyConfig {
  readonly caddyAdminUrl: string;
  readonly timeoutMs?: number;
}

export interface CaddyClientDeps extends ClientDeps {
  readonly dispatcher?: Dispatcher;
}

/** The `demo` server's routes, or the fact that there is no such server. */
export interface DemoRoutes {
  /** False when Caddy has no `apps.http.servers.demo` (e.g. after the runbook's recovery step deleted it). */
  readonly serverExists: boolean;
  readonly routes: readonly CaddyRoute[];
}

/**
 * Caddy's admin API (`CADDY_ADMIN_URL`, default `:2019`), as Try It Now uses it: one server `demo`, routes tagged
 * `"@id": "demo-route-<id>"` (`reference/targets.md` §5.2). Throws only {@link TargetError}.
 */
export interface CaddyAdminClient {
  /**
   * `GET /config/apps/http/servers/demo/routes`. Caddy answers 400 "invalid traversal path" when the server does
   * not exist: that is `serverExists: false`, not an error.
   */
  demoRoutes(o?: CallOptions): Promise<DemoRoutes>;
  /**
   * `DELETE /id/<id>`: Caddy resolves the `@id` to its config path and removes that object (caddy `admin.go:
   * handleConfigID`). An unknown id is a 404 `unknown object ID`: code `ROUTE_NOT_FOUND`.
   */
  clearRoute(id: string, o?: CallOptions): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 5000;
const SYSTEM = 'Caddy admin API';
/** Route ids the bot may delete: Try It Now's own, never another object of the config. */
export const DEMO_ROUTE_ID = /^demo-route-[A-Za-z0-9._-]{1,200}$/;

export function createCaddyAdminClient(config: TryItNowCaddyConfig, deps: CaddyClientDeps): CaddyAdminClient {
  const timeoutMs = config.timeoutMs ?? deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const http = createHttpSender({
    baseUrl: config.caddyAdminUrl,
    system: SYSTEM,
    timeoutMs,
    dispatcher: deps.dispatcher,
  });

  return {
    demoRoutes: async (o) => {
      const answer = await http.send({ method: 'GET', path: '/config/apps/http/servers/demo/routes' }, o);
      if (answer.status === 400 && /invalid traversal path/.test(caddyMessage(answer) ?? '')) {
        return { serverExists: false, routes: [] };
      }
      if (answer.status !== 200) throw caddyError(answer);
      return { serverExists: true, routes: parseJsonAnswer(CaddyRoutesSchema, answer) };
    },
    clearRoute: async (id, o) => {
      if (!DEMO_ROUTE_ID.test(id)) {
        throw new TargetError(
          'api-error',
          `DELETE /id/{id} not sent: "${chatSafe(id).slice(0, 80)}" is not a Try It Now route id (${DEMO_ROUTE_PREFIX}<id>)`,
          { code: 'VALIDATION_ERROR' },
        );
      }
      const answer = await http.send(
        { method: 'DELETE', path: `/id/${encodePathSegment(id, 'route id', 'DELETE /id/{id}')}`, label: `/id/${id}` },
        o,
      );
      if (answer.status === 404) {
        throw new TargetError('api-error', `${answer.endpoint}: Caddy has no object with @id ${id}`, {
          status: 404,
          code: 'ROUTE_NOT_FOUND',
        });
      }
      if (answer.status !== 200) throw caddyError(answer);
    },
    close: () => http.close(),
  };
}

function caddyMessage(answer: HttpAnswer): string | undefined {
  try {
    const parsed = CaddyErrorSchema.safeParse(JSON.parse(answer.text));
    return parsed.success ? parsed.data.error : undefined;
  } catch {
    return undefined;
  }
}

function caddyError(answer: HttpAnswer): TargetError {
  const message = caddyMessage(answer);
  const detail = message ? `${answer.status}: ${chatSafe(message)}` : `HTTP ${answer.status}`;
  if (answer.status === 403) {
    // Caddy checks the Host (and Origin) header against admin.origins to stop DNS rebinding.
    return new TargetError(
      'forbidden',
      `${answer.endpoint}: Caddy refused the request (${detail}); its admin "origins" must allow the host in caddyAdminUrl`,
      { status: 403 },
    );
  }
  return new TargetError('api-error', `${answer.endpoint}: the ${SYSTEM} answered ${detail}`, {
    status: answer.status,
  });
}
