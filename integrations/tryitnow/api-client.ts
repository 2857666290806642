import type { Dispatcher } from 'undici';
import type { ClientDeps } from '../../src/core/system.js';
import { TargetError } from '../../src/core/target-error.js';
import type { Secret } from '../../src/core/secret.js';
import { chatSafe, createHttpSender, parseJsonAnswer, type CallOptions, type HttpAnswer } from './http.js';
import { ApiErrorEnvelopeSchema, ApiHealthSchema, PoolStatsSchema, type ApiHealth, type PoolStats } from './schemas.js';

/** What the API client needs of the instance config. */
export interface TryItNowApiConfig {
  readonly url: string;
  readonly apiKey?: Secret;
  readonly timeoutMs?: number;
}

export interface TryItNowApiClientDeps extends ClientDeps {
  /** HTTP dispatcher (tests, proxies); default an own keep-alive agent, destroyed by `close`. */
  readonly dispatcher?: Dispatcher;
}

/**
 * Typed client of the Try It Now HTTP API (`reference/targets.md` §5.2). Throws only {@link TargetError}, whose
 * message is safe for chat.
 */
export interface TryItNowApiClient {
  /**
   * `GET /health` (no auth). Both answers are returned: 200 `{"status":"ok","mode"}` and 503
   * `{"status":"unhealthy","error":"store unavailable"}` (the API's Valkey ping failed). `httpStatus` tells which.
   */
  health(o?: CallOptions): Promise<ApiHealth & { readonly httpStatus: number }>;
  /** `GET /api/v1/pool/stats` (key). */
  poolStats(o?: CallOptions): Promise<PoolStats>;
  /**
   * `GET /metrics` (key — the runbook does not say so, but the API middleware guards `/metrics` too). Asks for the
   * classic text format (`Accept: text/plain`), so client_golang does not answer OpenMetrics.
   */
  metricsText(o?: CallOptions): Promise<string>;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 5000;
const SYSTEM = 'Try It Now API';

export function createTryItNowApiClient(config: TryItNowApiConfig, deps: TryItNowApiClientDeps): TryItNowApiClient {
  const timeoutMs = config.timeoutMs ?? deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const http = createHttpSender({
    baseUrl: config.url,
    system: SYSTEM,
    timeoutMs,
    dispatcher: deps.dispatcher,
    // The one place the key is revealed: the header sent to the API it belongs to.
    headers: (): Record<string, string> => (config.apiKey ? { 'x-api-key': config.apiKey.reveal() } : {}),
  });

  function fail(answer: HttpAnswer): TargetError {
    return httpError(answer, config.apiKey !== undefined);
  }

  return {
    health: async (o) => {
      const answer = await http.send({ method: 'GET', path: '/health', anonymous: true }, o);
      if (answer.status !== 200 && answer.status !== 503) throw fail(answer);
      return { ...parseJsonAnswer(ApiHealthSchema, answer), httpStatus: answer.status };
    },
    poolStats: async (o) => {
      const answer = await http.send({ method: 'GET', path: '/api/v1/pool/stats' }, o);
      if (answer.status !== 200) throw fail(answer);
      return parseJsonAnswer(PoolStatsSchema, answer);
    },
    metricsText: async (o) => {
      const answer = await http.send({ method: 'GET', path: '/metrics', accept: 'text/plain;version=0.0.4' }, o);
      if (answer.status !== 200) throw fail(answer);
      if (/html/i.test(answer.contentType)) {
        throw new TargetError('bad-response', `${answer.endpoint} returned HTML instead of metrics`, { status: 200 });
      }
      return answer.text;
    },
    close: () => http.close(),
  };
}

/** A non-2xx answer, read through the `{error, code, details}` envelope. */
function httpError(answer: HttpAnswer, hasKey: boolean): TargetError {
  const { status, endpoint } = answer;
  let envelope: { error: string; code: string } | undefined;
  try {
    const parsed = ApiErrorEnvelopeSchema.safeParse(JSON.parse(answer.text));
    envelope = parsed.success ? parsed.data : undefined;
  } catch {
    envelope = undefined;
  }
  const code = envelope?.code;
  const detail = envelope ? `${status} ${code}: ${chatSafe(envelope.error)}` : `HTTP ${status}`;
  if (status === 401) {
    return new TargetError(
      'unauthorized',
      hasKey
        ? `${endpoint}: the ${SYSTEM} rejected the API key (${detail})`
        : `${endpoint}: the ${SYSTEM} requires an API key (its API_KEY is set) and none is configured (${detail})`,
      { status, code },
    );
  }
  if (status === 403)
    return new TargetError('forbidden', `${endpoint}: the ${SYSTEM} refused (${detail})`, { status, code });
  if (status === 429)
    return new TargetError('rate-limited', `${endpoint}: the ${SYSTEM} is rate-limiting (${detail})`, { status, code });
  return new TargetError('api-error', `${endpoint}: the ${SYSTEM} answered ${detail}`, { status, code });
}
