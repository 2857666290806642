import { connect, type ConnectionOptions, type JetStreamManager, type MsgRequest, type NatsConnection } from 'nats';
import type { Dispatcher } from 'undici';
import type { ClientDeps } from '../../src/core/system.js';
import { TargetError } from '../../src/core/target-error.js';
import type { ServiceAddress } from './config.js';
import {
  chatSafe,
  createHttpSender,
  describeSocketError,
  errorCode,
  parseJsonAnswer,
  type CallOptions,
} from './http.js';
import { NatsConnectionsSchema, NatsHealthzSchema, type NatsConnections, type NatsHealthz } from './schemas.js';

/** What the NATS client needs of the instance config. */
export interface TryItNowNatsConfig {
  readonly natsUrl: ServiceAddress;
  readonly natsMonitorUrl: string;
  /** The server's `NATS_STREAM_NAME` (default `PROVISIONING`). */
  readonly streamName: string;
  readonly timeoutMs?: number;
}

export interface TryItNowNatsClientDeps extends ClientDeps {
  /** HTTP dispatcher for the monitoring endpoint (tests); default an own keep-alive agent. */
  readonly dispatcher?: Dispatcher;
}

/** The part of `$JS.API.STREAM.INFO.<stream>` the bot reads. */
export interface StreamSummary {
  readonly name: string;
  readonly subjects: readonly string[];
  /** `limits`, `interest` or `workqueue` (Try It Now creates `workqueue`). */
  readonly retention: string;
  readonly storage: string;
  /** Messages currently stored. */
  readonly messages: number;
  readonly bytes: number;
  /** Sequence of the oldest stored message (last + 1 when empty). */
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly consumerCount: number;
  /** Interior deletes (messages removed one by one). */
  readonly numDeleted: number;
}

/** The part of `$JS.API.CONSUMER.INFO.<stream>.<consumer>` the bot reads (names as in the API response). */
export interface ConsumerSummary {
  readonly stream: string;
  readonly name: string;
  readonly filterSubject?: string;
  /** `num_pending`: messages matching the filter not yet delivered to this consumer. */
  readonly numPending: number;
  /** `num_ack_pending`: delivered, not yet acknowledged. */
  readonly numAckPending: number;
  /** `num_redelivered`: delivered more than once and still unacknowledged. */
  readonly numRedelivered: number;
  /** `num_waiting`: pull requests waiting (workers blocked in `Fetch`). */
  readonly numWaiting: number;
  /** `ack_floor.stream_seq`: every message up to this stream sequence is acknowledged. */
  readonly ackFloorStreamSeq: number;
  /** `delivered.stream_seq`: last stream sequence delivered. */
  readonly deliveredStreamSeq: number;
  readonly maxDeliver?: number;
  readonly maxAckPending?: number;
  /** `ack_wait`, seconds. */
  readonly ackWaitSeconds?: number;
}

/** A stored message, without its payload. */
export interface StoredMessage {
  readonly seq: number;
  readonly subject: string;
}

/** What a purge removed. */
export interface PurgeResult {
  /** Messages removed, as the server counted them. */
  readonly purged: number;
  /** The JetStream request body that was sent (`{}` or `{"seq":N}`), for the audit line. */
  readonly request: { readonly seq?: number };
}

/**
 * JetStream and monitoring access for the Try It Now stream (`reference/targets.md` §5.3). The NATS connection is
 * opened on first use and re-opened after it closed, so building the client never touches the network. Throws only
 * {@link TargetError}.
 */
export interface TryItNowNatsClient {
  /** The configured stream (`PROVISIONING`). */
  readonly streamName: string;
  /** `$JS.API.STREAM.INFO.<stream>`. A missing stream is an `api-error` with code `STREAM_NOT_FOUND`. */
  streamInfo(stream: string, o?: CallOptions): Promise<StreamSummary>;
  /** `$JS.API.CONSUMER.INFO.<stream>.<consumer>`. A missing consumer: code `CONSUMER_NOT_FOUND`. */
  consumerInfo(stream: string, consumer: string, o?: CallOptions): Promise<ConsumerSummary>;
  /**
   * `$JS.API.STREAM.PURGE.<stream>`. Without `keepAfterSeq`: body `{}`, every message of the stream is removed.
   * With `keepAfterSeq: K`: body `{"seq": K + 1}` — the API's `seq` purges "up to but not including" that sequence,
   * so every message with sequence ≤ K is removed and K + 1 onward are kept. (`keep` is a message count, not a
   * sequence, and is not used.) `keepAfterSeq` must be ≥ 1: `{"seq":1}` is read by nats-server as a full purge.
   */
  purgeStream(stream: string, opts?: { readonly keepAfterSeq?: number }, o?: CallOptions): Promise<PurgeResult>;
  /**
   * `$JS.API.STREAM.MSG.DELETE.<stream>` with `{"seq": seq}` (what `nats stream rmm <stream> <seq>` sends; the
   * server erases the payload). A sequence that is not stored: code `MESSAGE_NOT_FOUND`.
   */
  deleteMessage(stream: string, seq: number, o?: CallOptions): Promise<void>;
  /**
   * `$JS.API.STREAM.MSG.GET.<stream>` `{"seq":N}`: the message stored at that sequence, or undefined when none is
   * (deleted, purged, or never published). Read right before a write that names a sequence.
   */
  storedMessage(stream: string, seq: number, o?: CallOptions): Promise<StoredMessage | undefined>;
  /**
   * `$JS.API.STREAM.MSG.GET.<stream>` `{"seq":N,"next_by_subj":subject}`: the first message on `subject` stored at
   * sequence N or later, or undefined when there is none.
   */
  nextStoredMessage(
    stream: string,
    subject: string,
    fromSeq: number,
    o?: CallOptions,
  ): Promise<StoredMessage | undefined>;
  /** NATS monitoring `GET /connz`: the client connections NATS holds now. */
  connections(o?: CallOptions): Promise<NatsConnections>;
  /** NATS monitoring `GET /healthz` over HTTP: 200 and 503 answers are both returned. */
  healthz(o?: CallOptions): Promise<NatsHealthz & { readonly httpStatus: number }>;
  /** Closes the NATS connection and the HTTP agent. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 5000;
/** Stream and consumer names as natscli accepts them (no `.`, `*`, `>`, whitespace, slashes). */
const NAME = /^[A-Za-z0-9_-]{1,255}$/;

interface Session {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
}

export function createTryItNowNatsClient(config: TryItNowNatsConfig, deps: TryItNowNatsClientDeps): TryItNowNatsClient {
  const timeoutMs = config.timeoutMs ?? deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const host = config.natsUrl.host;
  const monitor = createHttpSender({
    baseUrl: config.natsMonitorUrl,
    system: 'NATS monitoring endpoint',
    timeoutMs,
    dispatcher: deps.dispatcher,
  });
  let pending: Promise<Session> | undefined;
  let closed = false;

  function connectOptions(): ConnectionOptions {
    const u = new URL(config.natsUrl.url);
    const options: ConnectionOptions = {
      servers: `${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${u.port || '4222'}`,
      name: 'runbook-bot',
      timeout: timeoutMs,
      // One server, no background reconnect loop: a dropped connection is re-opened by the next call.
      reconnect: false,
      ...(u.protocol === 'tls:' ? { tls: {} } : {}),
    };
    // Credentials are revealed only here, to the NATS server they belong to.
    const user = config.natsUrl.username?.reveal();
    const pass = config.natsUrl.password?.reveal();
    if (user !== undefined && pass !== undefined) return { ...options, user, pass };
    if (user !== undefined) return { ...options, token: user };
    return options;
  }

  async function session(what: string): Promise<Session> {
    if (closed) throw new TargetError('unreachable', `${what}: the NATS client was closed`);
    if (pending) {
      try {
        const s = await pending;
        if (!s.nc.isClosed()) return s;
      } catch {
        // fall through and connect again
      }
      pending = undefined;
    }
    const attempt = (async (): Promise<Session> => {
      const nc = await connect(connectOptions());
      // checkAPI false: no `$JS.API.INFO` round trip; a server without JetStream shows up on the first call.
      const jsm = await nc.jetstreamManager({ timeout: timeoutMs, checkAPI: false });
      return { nc, jsm };
    })();
    pending = attempt;
    attempt.catch(() => {
      if (pending === attempt) pending = undefined;
    });
    try {
      return await attempt;
    } catch (err) {
      throw natsError(err, `${what}: could not connect to NATS`, host, timeoutMs);
    }
  }

  /** Runs one JetStream call with the timeout and the caller's signal. */
  async function call<T>(
    what: string,
    o: CallOptions | undefined,
    fn: (jsm: JetStreamManager) => Promise<T>,
  ): Promise<T> {
    if (o?.signal?.aborted) throw new TargetError('timeout', `${what} was cancelled before NATS answered`);
    let onAbort: (() => void) | undefined;
    const cancelled = new Promise<never>((_, reject) => {
      onAbort = () => reject(new TargetError('timeout', `${what} was cancelled before NATS answered`));
      o?.signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([
        (async () => {
          const s = await session(what);
          try {
            return await fn(s.jsm);
          } catch (err) {
            throw natsError(err, what, host, timeoutMs);
          }
        })(),
        cancelled,
      ]);
    } finally {
      if (onAbort) o?.signal?.removeEventListener('abort', onAbort);
      cancelled.catch(() => undefined);
    }
  }

  return {
    streamName: config.streamName,
    streamInfo: async (stream, o) => {
      const what = `JetStream stream info ${stream}`;
      checkName(stream, 'stream', what);
      const si = await call(what, o, (jsm) => jsm.streams.info(stream));
      return {
        name: si.config.name,
        subjects: si.config.subjects ?? [],
        retention: String(si.config.retention),
        storage: String(si.config.storage),
        messages: si.state.messages,
        bytes: si.state.bytes,
        firstSeq: si.state.first_seq,
        lastSeq: si.state.last_seq,
        consumerCount: si.state.consumer_count,
        numDeleted: si.state.num_deleted ?? 0,
      };
    },
    consumerInfo: async (stream, consumer, o) => {
      const what = `JetStream consumer info ${stream} ${consumer}`;
      checkName(stream, 'stream', what);
      checkName(consumer, 'consumer', what);
      const ci = await call(what, o, (jsm) => jsm.consumers.info(stream, consumer));
      return {
        stream: ci.stream_name,
        name: ci.name,
        filterSubject: ci.config.filter_subject || undefined,
        numPending: ci.num_pending,
        numAckPending: ci.num_ack_pending,
        numRedelivered: ci.num_redelivered,
        numWaiting: ci.num_waiting,
        ackFloorStreamSeq: ci.ack_floor.stream_seq,
        deliveredStreamSeq: ci.delivered.stream_seq,
        maxDeliver: ci.config.max_deliver,
        maxAckPending: ci.config.max_ack_pending,
        ackWaitSeconds: ci.config.ack_wait !== undefined ? ci.config.ack_wait / 1e9 : undefined,
      };
    },
    purgeStream: async (stream, opts, o) => {
      const what = `JetStream purge ${stream}`;
      checkName(stream, 'stream', what);
      const keepAfter = opts?.keepAfterSeq;
      // keep-after 0 would send {"seq":1}, which nats-server treats as a FULL purge (filestore PurgeEx: sequence 0
      // or 1 without keep purges everything), the opposite of "keep everything": refuse it.
      if (keepAfter !== undefined && (!Number.isSafeInteger(keepAfter) || keepAfter < 1)) {
        throw new TargetError('api-error', `${what} not sent: keep-after must be a sequence ≥ 1 (got ${keepAfter})`, {
          code: 'VALIDATION_ERROR',
        });
      }
      const request: { seq?: number } = keepAfter === undefined ? {} : { seq: keepAfter + 1 };
      const r = await call(what, o, (jsm) =>
        request.seq === undefined ? jsm.streams.purge(stream) : jsm.streams.purge(stream, { seq: request.seq }),
      );
      return { purged: r.purged, request };
    },
    deleteMessage: async (stream, seq, o) => {
      const what = `JetStream delete message ${stream} #${seq}`;
      checkName(stream, 'stream', what);
      checkSequence(seq, what);
      const ok = await call(what, o, (jsm) => jsm.streams.deleteMessage(stream, seq)).catch((err: unknown) => {
        if (isNotFound(err)) {
          // nats-server 2.9 answers an already-deleted sequence with 10057 "no message found".
          throw new TargetError(
            'api-error',
            `message #${seq} is already gone from ${stream} (JetStream: no message found): it was deleted or ` +
              'purged, so there is nothing to remove. Run `/tryitnow queue` to see what is stored now.',
            { status: err.status, code: 'MESSAGE_NOT_FOUND', cause: err },
          );
        }
        throw err;
      });
      if (!ok) throw new TargetError('api-error', `${what}: the server answered success: false`);
    },
    storedMessage: async (stream, seq, o) => {
      const what = `JetStream get message ${stream} #${seq}`;
      checkName(stream, 'stream', what);
      checkSequence(seq, what);
      return notFoundAsUndefined(
        call(what, o, async (jsm) => {
          const m = await jsm.streams.getMessage(stream, { seq });
          return { seq: m.seq, subject: m.subject };
        }),
      );
    },
    nextStoredMessage: async (stream, subject, fromSeq, o) => {
      const what = `JetStream get next message ${stream} ${subject} from #${fromSeq}`;
      checkName(stream, 'stream', what);
      checkSequence(fromSeq, what);
      return notFoundAsUndefined(
        call(what, o, async (jsm) => {
          // STREAM.MSG.GET takes `next_by_subj` (nats-server ≥ 2.9); nats.js types it only for the direct API.
          const query = { seq: fromSeq, next_by_subj: subject } as unknown as MsgRequest;
          const m = await jsm.streams.getMessage(stream, query);
          return { seq: m.seq, subject: m.subject };
        }),
      );
    },
    connections: async (o) => {
      const answer = await monitor.send({ method: 'GET', path: '/connz?limit=1024', label: '/connz' }, o);
      if (answer.status !== 200) {
        throw new TargetError('api-error', `${answer.endpoint}: NATS monitoring answered HTTP ${answer.status}`, {
          status: answer.status,
        });
      }
      return parseJsonAnswer(NatsConnectionsSchema, answer);
    },
    healthz: async (o) => {
      const answer = await monitor.send({ method: 'GET', path: '/healthz' }, o);
      if (answer.status !== 200 && answer.status !== 503) {
        throw new TargetError('api-error', `${answer.endpoint}: NATS monitoring answered HTTP ${answer.status}`, {
          status: answer.status,
        });
      }
      return { ...parseJsonAnswer(NatsHealthzSchema, answer), httpStatus: answer.status };
    },
    close: async () => {
      closed = true;
      const p = pending;
      pending = undefined;
      if (p) {
        try {
          const s = await p;
          if (!s.nc.isClosed()) await s.nc.close();
        } catch {
          // never connected
        }
      }
      await monitor.close();
    },
  };
}

function checkSequence(seq: number, call: string): void {
  if (!Number.isSafeInteger(seq) || seq < 1) {
    throw new TargetError('api-error', `${call} not sent: the sequence must be a positive integer`, {
      code: 'VALIDATION_ERROR',
    });
  }
}

function isNotFound(err: unknown): err is TargetError {
  return err instanceof TargetError && err.code === 'MESSAGE_NOT_FOUND';
}

async function notFoundAsUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function checkName(name: string, what: string, call: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TargetError('api-error', `${call} not sent: invalid ${what} name`, { code: 'VALIDATION_ERROR' });
  }
}

/** JetStream API error codes the bot tells apart (nats-server `server/errors.json`). */
const JS_ERR = {
  consumerNotFound: 10014,
  noMessageFound: 10037,
  sequenceNotFound: 10043,
  /** "stream msg delete failed: …"; with the store's EOF or not-found error it means no such sequence. */
  msgDeleteFailed: 10057,
  streamNotFound: 10059,
} as const;

/** A nats.js failure as a chat-safe TargetError. */
function natsError(err: unknown, what: string, host: string, timeoutMs: number): TargetError {
  if (err instanceof TargetError) return err;
  const api = (err as { api_error?: { code?: number; err_code?: number; description?: string } } | null)?.api_error;
  if (api) {
    const description = chatSafe(api.description ?? 'error');
    const status = api.code;
    const errCode =
      api.err_code === JS_ERR.msgDeleteFailed && /EOF|not found|no message found/i.test(description)
        ? JS_ERR.noMessageFound
        : api.err_code;
    switch (errCode) {
      case JS_ERR.streamNotFound:
        return new TargetError('api-error', `${what}: stream not found`, { status, code: 'STREAM_NOT_FOUND' });
      case JS_ERR.consumerNotFound:
        return new TargetError('api-error', `${what}: consumer not found`, { status, code: 'CONSUMER_NOT_FOUND' });
      case JS_ERR.noMessageFound:
      case JS_ERR.sequenceNotFound:
        return new TargetError('api-error', `${what}: no message with that sequence is stored`, {
          status,
          code: 'MESSAGE_NOT_FOUND',
        });
      default:
        return new TargetError('api-error', `${what}: JetStream answered ${status ?? '?'} ${description}`, {
          status,
          code: api.err_code !== undefined ? `JS_${api.err_code}` : undefined,
        });
    }
  }
  const code = errorCode(err);
  switch (code) {
    case '503':
      return new TargetError(
        'api-error',
        `${what}: no JetStream responder (JetStream is not enabled on this NATS server, or not ready) (${host})`,
        { code: 'JETSTREAM_NOT_ENABLED', cause: err },
      );
    case 'TIMEOUT':
      return new TargetError('timeout', `${what}: NATS did not answer within ${timeoutMs} ms (${host})`, {
        cause: err,
      });
    case 'AUTHORIZATION_VIOLATION':
    case 'BAD_AUTHENTICATION':
    case 'AUTHENTICATION_EXPIRED':
    case 'BAD_CREDS':
      return new TargetError('unauthorized', `${what}: NATS rejected the credentials in natsUrl (${host})`, {
        code,
        cause: err,
      });
    case 'PERMISSIONS_VIOLATION':
      return new TargetError('forbidden', `${what}: the NATS user may not use the JetStream API (${host})`, {
        code,
        cause: err,
      });
    default:
      return describeSocketError(err, what, host, timeoutMs);
  }
}
