import { z } from 'zod';
import { Secret } from '../core/secret.js';

const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v ? new Secret(v) : undefined));

const booleanFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

/**
 * Every environment variable the bot reads (CONTRACT.md § Environment). This is the only module that touches
 * `process.env`; everything else receives the parsed {@link Env}.
 */
export const EnvSchema = z.object({
  /** Web port. Default 3000. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /**
   * Redis for BullMQ and short-lived state (dedupe keys, locks, pacing). Required unless `REDIS_SENTINELS` is set;
   * with Sentinel it is ignored (a start log line says so).
   */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional()
    .transform((v) => (v ? new Secret(v) : undefined)),
  /**
   * Redis Sentinel: comma-separated `host:port` of a few sentinels (`10.0.0.1:26379,10.0.0.2:26379`). Set: the bot
   * asks them for the current master of `REDIS_SENTINEL_NAME` and follows failovers; `REDIS_URL` is not used.
   */
  REDIS_SENTINELS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const items = (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const out: { host: string; port: number }[] = [];
      for (const item of items) {
        const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(item);
        const port = m ? Number(m[2]) : NaN;
        if (!m || port < 1 || port > 65535) {
          ctx.addIssue({ code: 'custom', message: `"${item}" is not host:port (e.g. 10.0.0.1:26379)` });
          continue;
        }
        out.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
      }
      return out;
    }),
  /** The master name the sentinels monitor (`sentinel monitor <name> …`); required with `REDIS_SENTINELS`. */
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ., _ and - only')
    .optional(),
  /** Password of the sentinels themselves (`requirepass` in sentinel.conf), if any. */
  REDIS_SENTINEL_PASSWORD: optionalSecret,
  /** Password of the Redis master and replicas behind the sentinels, if any (Sentinel mode only). */
  REDIS_PASSWORD: optionalSecret,
  /** Postgres for approvals, audit, incident threads, conversation references. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .transform((v) => new Secret(v)),
  /** Path to the YAML config. Default `./runbook-bot.yaml`. */
  RUNBOOK_BOT_CONFIG: z.string().min(1).default('./runbook-bot.yaml'),
  /** Slack is on when both are set. */
  SLACK_SIGNING_SECRET: optionalSecret,
  SLACK_BOT_TOKEN: optionalSecret,
  /** Slack Web API base URL; tests point it at a local fake. */
  SLACK_API_URL: z.url().default('https://slack.com/api/'),
  /**
   * App-level token (`xapp-…`, scope `connections:write`) for Socket Mode; used only with `SLACK_SOCKET_MODE=true`.
   */
  SLACK_APP_TOKEN: optionalSecret,
  /**
   * `true`: `web` receives slash commands and clicks over Socket Mode (`apps.connections.open` at `SLACK_API_URL`)
   * instead of `POST /slack/events`, which keeps working when `SLACK_SIGNING_SECRET` is set. Default false.
   */
  SLACK_SOCKET_MODE: booleanFlag,
  MICROSOFT_APP_ID: z.string().optional(),
  MICROSOFT_APP_PASSWORD: optionalSecret,
  MICROSOFT_APP_TYPE: z.string().optional(),
  MICROSOFT_APP_TENANT_ID: z.string().optional(),
  TEAMS_ALLOW_UNAUTHENTICATED: booleanFlag,
  /** Comma-separated PagerDuty v3 webhook secrets (two during rotation). */
  PAGERDUTY_WEBHOOK_SECRETS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => new Secret(s)),
    ),
  PAGERDUTY_API_TOKEN: optionalSecret,
  PAGERDUTY_API_URL: z.url().default('https://api.pagerduty.com'),
  /** PagerDuty Events API v2 base (pages sent by `escalation.pagerduty`). Default `https://events.pagerduty.com`. */
  PAGERDUTY_EVENTS_URL: z.url().default('https://events.pagerduty.com'),
  ALERTMANAGER_BEARER_TOKEN: optionalSecret,
  /** Alertmanager's base URL for silences (`http://alertmanager:9093`); unset: no silence buttons. */
  ALERTMANAGER_URL: z.url().optional(),
  /** How long a resolved chat user → PagerDuty user match is trusted before it is looked up again, s. Default 3600. */
  IDENTITY_REFRESH_S: z.coerce.number().int().min(10).default(3600),
  /** pino level. Default `info`. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest accepted request body, bytes. Default 1 MiB. */
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /**
   * Over MAX_BODY_BYTES, up to this many bytes of a body are read and thrown away so that the sender reads a 413
   * rather than a reset connection (Alertmanager retries connection errors, not 4xx). Default 64 MiB.
   */
  MAX_DISCARD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  /** All request headers must arrive within this, ms; slower connections get 408 and are closed. Default 10 000. */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** The whole request (headers and body) must arrive within this, ms; at least the headers timeout. Default 15 000. */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  /** An idle keep-alive connection is closed after this, ms. Default 5 000. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  /** Open connections the web process accepts at most; more are closed at once. Default 512. */
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(512),
  /** Prefix of every BullMQ key, so that several deployments (or test runs) can share one Redis. Default `rbb`. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('rbb'),
  /** Worker concurrency per queue. Default 8. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  /** BullMQ job lock, ms: a worker that stops renewing it for this long is considered dead. Default 30 000. */
  WORKER_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  /** How often workers look for jobs whose worker died, ms. Default 30 000. */
  WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).default(30_000),
});

export type Env = z.infer<typeof EnvSchema>;

/** The schema with its cross-field checks (one place, so every problem is listed together). */
const CheckedEnvSchema = EnvSchema.superRefine((env, ctx) => {
  if (env.REDIS_SENTINELS.length === 0 && !env.REDIS_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_URL'],
      message: 'required (redis://[user:password@]host:port), unless REDIS_SENTINELS and REDIS_SENTINEL_NAME are set',
    });
  }
  if (env.REDIS_SENTINELS.length > 0 && !env.REDIS_SENTINEL_NAME) {
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_SENTINEL_NAME'],
      message: 'REDIS_SENTINELS is set: name the master the sentinels monitor (sentinel monitor <name> …)',
    });
  }
  if (env.REDIS_SENTINEL_NAME && env.REDIS_SENTINELS.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_SENTINELS'],
      message: 'REDIS_SENTINEL_NAME is set: list the sentinels as host:port,host:port',
    });
  }
  if (env.HTTP_REQUEST_TIMEOUT_MS < env.HTTP_HEADERS_TIMEOUT_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['HTTP_REQUEST_TIMEOUT_MS'],
      message: 'must be at least HTTP_HEADERS_TIMEOUT_MS (the request includes its headers)',
    });
  }
  if (env.SLACK_SOCKET_MODE && !env.SLACK_APP_TOKEN?.reveal().startsWith('xapp-')) {
    ctx.addIssue({
      code: 'custom',
      path: ['SLACK_APP_TOKEN'],
      message: 'SLACK_SOCKET_MODE=true needs an app-level token (xapp-…, scope connections:write)',
    });
  }
  if (env.SLACK_SOCKET_MODE && !env.SLACK_BOT_TOKEN) {
    ctx.addIssue({
      code: 'custom',
      path: ['SLACK_BOT_TOKEN'],
      message: 'SLACK_SOCKET_MODE=true needs the bot token too',
    });
  }
  if (env.MAX_DISCARD_BYTES < env.MAX_BODY_BYTES) {
    ctx.addIssue({ code: 'custom', path: ['MAX_DISCARD_BYTES'], message: 'must be at least MAX_BODY_BYTES' });
  }
});

/** A configuration problem found at start; the message lists every problem, each naming the variable. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Parses the environment once, listing every problem (never the values: some are secrets). */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = CheckedEnvSchema.safeParse(source);
  if (result.success) return result.data;
  throw new ConfigError(
    'invalid environment',
    result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
  );
}

/** Slack is on when the bot token is set with a way in: the signing secret (HTTP) or Socket Mode. */
export function isSlackEnabled(env: Env): boolean {
  return env.SLACK_BOT_TOKEN !== undefined && (env.SLACK_SIGNING_SECRET !== undefined || isSlackSocketMode(env));
}

/** Slack reaches `web` over Socket Mode (`SLACK_SOCKET_MODE=true` with an app-level token). */
export function isSlackSocketMode(env: Env): boolean {
  return env.SLACK_SOCKET_MODE && env.SLACK_APP_TOKEN !== undefined;
}

/** Where Redis is: one server (`REDIS_URL`), or a master found through Sentinel. */
export type RedisTarget =
  | { readonly kind: 'url'; readonly url: Secret }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly { readonly host: string; readonly port: number }[];
      readonly name: string;
      readonly sentinelPassword?: Secret;
      readonly password?: Secret;
    };

/** The Redis the processes use: Sentinel when `REDIS_SENTINELS` is set, else `REDIS_URL` (parseEnv checked one is). */
export function redisTargetOf(env: Env): RedisTarget {
  if (env.REDIS_SENTINELS.length > 0 && env.REDIS_SENTINEL_NAME) {
    return {
      kind: 'sentinel',
      sentinels: env.REDIS_SENTINELS,
      name: env.REDIS_SENTINEL_NAME,
      ...(env.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.REDIS_SENTINEL_PASSWORD } : {}),
      ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
    };
  }
  if (!env.REDIS_URL) throw new ConfigError('invalid environment', ['REDIS_URL: required']);
  return { kind: 'url', url: env.REDIS_URL };
}
