import { SocketModeClient } from '@slack/socket-mode';
import { z } from 'zod';
import type { Logger } from '../../src/core/logger.js';
import type { Secret } from '../../src/core/secret.js';
import { createBoltLogger } from './bolt-logger.js';
import type { SlackEnvelope, SlackIngressResult } from './slack-ingress.js';

export interface SlackSocketModeOptions {
  /** App-level token (`xapp-…`, scope `connections:write`). */
  readonly appToken: Secret;
  /** Slack Web API base URL, where `apps.connections.open` is called (tests: the fake). */
  readonly apiUrl: string;
  readonly logger: Logger;
  /** The ingress's `receiveEnvelope`: queues, then acknowledges. */
  readonly onEnvelope: (e: SlackEnvelope) => Promise<SlackIngressResult>;
  /** Counted by the caller (metrics): a reconnect and its cause, an envelope and what became of it. */
  readonly onReconnect?: (cause: SocketReconnectCause) => void;
  readonly onEnvelopeDone?: (type: string, outcome: SlackIngressResult | 'failed') => void;
  readonly onConnectedChange?: (connected: boolean) => void;
  /** First reconnect delay, ms, doubled per consecutive failure up to `maxBackoffMs`. Default 250. */
  readonly minBackoffMs?: number;
  /** Longest wait between reconnect attempts, ms. Default 30 000. */
  readonly maxBackoffMs?: number;
  /** Ping interval × 3 after which the socket is considered dead, ms (the SDK's `clientPingTimeout`). Default 5000. */
  readonly clientPingTimeoutMs?: number;
}

/** Why a connection is being replaced (metric label). */
export type SocketReconnectCause =
  'refresh_requested' | 'warning' | 'link_disabled' | 'too_many_websockets' | 'disconnect' | 'dropped' | 'open_failed';

/** `{"type":"disconnect","reason":…}` (platforms-2.md §4.1); other messages are the SDK's to read. */
const DisconnectSchema = z.object({ type: z.literal('disconnect'), reason: z.string().max(100).optional() });

const KNOWN_REASONS = new Set(['refresh_requested', 'warning', 'link_disabled', 'too_many_websockets']);

/** Envelope types Slack sends (platforms-2.md §4.1); anything else is counted as `other` (bounded metric labels). */
const ENVELOPE_TYPES = new Set(['slash_commands', 'interactive', 'events_api']);

/** How long a new connection may take to say `hello` before it is given up and replaced, ms. */
const HELLO_TIMEOUT_MS = 15_000;

/**
 * One Socket Mode connection held by this `web` process, kept open: `@slack/socket-mode` speaks the protocol (hello,
 * pings, acks), this decides when to reconnect. The SDK's own loop is off because it gives up for good on an HTTP
 * error from `apps.connections.open` and waits 5 s before replacing a refreshed connection (platforms-2.md §4.2);
 * here every loss — a `disconnect` message, a dropped socket, a failing `apps.connections.open` — leads to a new
 * connection, at once the first time and then with doubling backoff.
 */
export function createSlackSocketMode(o: SlackSocketModeOptions) {
  const log = o.logger.child({ platform: 'slack', transport: 'socket-mode' });
  const minMs = o.minBackoffMs ?? 250;
  const maxMs = o.maxBackoffMs ?? 30_000;
  let current: SocketModeClient | undefined;
  let connected = false;
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  /** The reason of the last `disconnect` message on the current connection: the cause of the next reconnect. */
  let lastReason: SocketReconnectCause | undefined;

  const setConnected = (v: boolean) => {
    if (connected === v) return;
    connected = v;
    o.onConnectedChange?.(v);
  };

  const scheduleReconnect = (client: SocketModeClient, cause: SocketReconnectCause) => {
    if (stopped || client !== current || timer) return;
    setConnected(false);
    const delay = failures === 0 ? 0 : Math.min(maxMs, minMs * 2 ** (failures - 1));
    failures += 1;
    o.onReconnect?.(cause);
    log.info({ cause, delayMs: delay }, 'slack socket mode reconnecting');
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
    timer.unref();
  };

  const connect = async (): Promise<void> => {
    if (stopped) return;
    const previous = current;
    const client = new SocketModeClient({
      appToken: o.appToken.reveal(),
      logger: createBoltLogger(log),
      autoReconnectEnabled: false,
      clientPingTimeout: o.clientPingTimeoutMs ?? 5000,
      // One attempt per call: the backoff above decides when to try again.
      clientOptions: { slackApiUrl: o.apiUrl, retryConfig: { retries: 0 }, timeout: HELLO_TIMEOUT_MS },
    });
    current = client;
    lastReason = undefined;
    if (previous) void previous.disconnect().catch(() => {});
    client.on('ws_message', (data: unknown) => {
      const text = typeof data === 'string' ? data : data instanceof ArrayBuffer ? Buffer.from(data).toString() : '';
      if (!text.includes('"disconnect"')) return;
      let parsed: z.infer<typeof DisconnectSchema> | undefined;
      try {
        parsed = DisconnectSchema.safeParse(JSON.parse(text)).data;
      } catch {
        return;
      }
      if (!parsed) return;
      const reason = parsed.reason && KNOWN_REASONS.has(parsed.reason) ? parsed.reason : 'disconnect';
      lastReason = reason as SocketReconnectCause;
      if (reason === 'link_disabled') {
        log.warn(
          {},
          'Slack disabled Socket Mode for this app (app settings → Socket Mode): reconnecting with backoff; turn it back on, or unset SLACK_SOCKET_MODE and use /slack/events',
        );
      } else if (reason === 'too_many_websockets') {
        log.warn({}, 'Slack refused the connection: more than 10 Socket Mode connections for this app');
      } else {
        log.info({ reason }, 'slack socket mode disconnect requested');
      }
    });
    client.on('connected', () => {
      // A connection that came up after it was given up (or after stop): close it, it is not ours any more.
      if (client !== current) {
        void client.disconnect().catch(() => {});
        return;
      }
      failures = 0;
      setConnected(true);
      log.info({}, 'slack socket mode connected');
    });
    client.on('disconnected', () => scheduleReconnect(client, lastReason ?? 'dropped'));
    client.on(
      'slack_event',
      (e: {
        ack: (r?: object) => Promise<void>;
        type: string;
        body: unknown;
        retry_num?: number;
        retry_reason?: string;
      }) => {
        const type = ENVELOPE_TYPES.has(e.type) ? e.type : 'other';
        o.onEnvelope({
          type: String(e.type).slice(0, 40),
          body: e.body,
          ack: (payload) => e.ack(payload),
          ...(typeof e.retry_num === 'number' ? { retryNum: e.retry_num } : {}),
          ...(typeof e.retry_reason === 'string' ? { retryReason: e.retry_reason.slice(0, 100) } : {}),
        }).then(
          (outcome) => o.onEnvelopeDone?.(type, outcome),
          (err: Error) => {
            o.onEnvelopeDone?.(type, 'failed');
            // Not acknowledged: Slack retries events_api envelopes, and the user sees a failed command or click.
            log.error({ err: { name: err.name, message: err.message.split('\n')[0] }, type }, 'slack envelope failed');
          },
        );
      },
    );
    // A socket that opens but never says hello would otherwise wait for ever.
    const helloTimer = setTimeout(() => {
      log.warn({}, 'slack socket mode: no hello in time; replacing the connection');
      void client.disconnect().catch(() => {});
    }, HELLO_TIMEOUT_MS);
    helloTimer.unref();
    try {
      await client.start();
    } catch (err) {
      const e = err as Error & { data?: { error?: string } };
      const code = e.data?.error;
      log.warn(
        {
          err: { name: e.name, message: (code ?? e.message ?? '').split('\n')[0]!.slice(0, 200) },
          ...(code === 'invalid_auth' || code === 'not_authed'
            ? { fix: 'SLACK_APP_TOKEN: an app-level token (xapp-…) with connections:write' }
            : {}),
        },
        'slack socket mode connection failed',
      );
      // A failed WebSocket handshake also emits `disconnected`; whichever comes first schedules the retry.
      scheduleReconnect(client, lastReason ?? 'open_failed');
    } finally {
      clearTimeout(helloTimer);
    }
  };

  return {
    /** Starts connecting (and keeps reconnecting until `stop`); resolves after the first attempt. */
    start: () => connect(),
    /** True while a connection has said hello and not dropped since. */
    isConnected: () => connected,
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const c = current;
      current = undefined;
      setConnected(false);
      await c?.disconnect().catch(() => {});
    },
  };
}

export type SlackSocketMode = ReturnType<typeof createSlackSocketMode>;
