import type {
  ConsumerSummary,
  NatsConnections,
  StoredMessage,
  StreamSummary,
  TryItNowClients,
} from '../../integrations/tryitnow/index.js';
import { diagnoseProbes } from '../../src/core/diagnose.js';
import { formatNumber } from '../../src/core/format.js';
import { probesRun, runProbes, settle, type ProbeResult } from '../../src/core/probe.js';
import { countsText, type Finding } from '../../src/core/report.js';
import type { FindingDraft, Rule } from '../../src/core/rule.js';
import { isTargetError } from '../../src/core/target-error.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { CORRECTION, SECTION, purgeAction, removeMessageAction } from './corrections.js';
import { plural } from './format.js';
import { probeFailures, valueOf, type TryItNowProbes } from './probes.js';

/** The durable pull consumers Try It Now creates on its stream (`internal/queue/nats.go`). */
export const CONSUMERS = ['provision-workers', 'cleanup-workers'] as const;
export type ConsumerName = (typeof CONSUMERS)[number];

/** What the queue rules read: the stream and both consumers, probed at the same moment. */
export interface QueueObservations {
  readonly stream: string;
  readonly streamInfo: ProbeResult<StreamSummary>;
  readonly consumers: Readonly<Record<ConsumerName, ProbeResult<ConsumerSummary>>>;
  /**
   * For a consumer with redeliveries: the first message still stored on its subject after its ack floor (undefined:
   * none). Redelivery counts outlive their messages (nats-server 2.9 keeps `num_redelivered` after a delete or a
   * purge, and `ack_floor` does not advance), so only this says whether there is a message to remove.
   */
  readonly stuckMessage?: Readonly<Partial<Record<ConsumerName, ProbeResult<StoredMessage | undefined>>>>;
  /** NATS monitoring `/connz`: whether any client besides the bot is connected. */
  readonly connections?: ProbeResult<NatsConnections>;
}

/** The name the bot's own NATS connection carries (`nats-client.ts`). */
const BOT_CONNECTION = 'runbook-bot';

/** The JetStream reads, taken at the same moment: the stream and its two consumers. */
type JetStreamReads = Pick<QueueObservations, 'streamInfo'> & QueueObservations['consumers'];

/** The JetStream probes of a stream, run in parallel (a failure is reported per probe, or once if none answered). */
function jetStreamProbes(stream: string): TryItNowProbes<JetStreamReads> {
  const consumer = (name: ConsumerName): TryItNowProbes<JetStreamReads>[ConsumerName] => ({
    endpoint: `CONSUMER.INFO ${stream} ${name}`,
    what: `JetStream consumer ${name}`,
    failure: { code: `tryitnow.probe.nats-${name}`, section: SECTION.queueState },
    call: (clients, signal) => clients.nats.consumerInfo(stream, name, { signal }),
  });
  return {
    streamInfo: {
      endpoint: `STREAM.INFO ${stream}`,
      what: `JetStream stream ${stream}`,
      failure: { code: 'tryitnow.probe.nats-stream', section: SECTION.queueState },
      call: (clients, signal) => clients.nats.streamInfo(stream, { signal }),
    },
    'provision-workers': consumer('provision-workers'),
    'cleanup-workers': consumer('cleanup-workers'),
  };
}

/** The JetStream reads within the observations. */
function jetStreamReads(obs: QueueObservations): JetStreamReads {
  return { streamInfo: obs.streamInfo, ...obs.consumers };
}

export async function observeQueue(clients: TryItNowClients, signal: AbortSignal): Promise<QueueObservations> {
  const stream = clients.nats.streamName;
  const reads = await runProbes<TryItNowClients, JetStreamReads>(jetStreamProbes(stream), clients, signal);
  const { streamInfo, 'provision-workers': provision, 'cleanup-workers': cleanup } = reads;
  // After the JetStream reads, so the bot's own connection is established and named when /connz lists it.
  const connections = await settle(() => clients.nats.connections({ signal }));
  const stuckMessage: Partial<Record<ConsumerName, ProbeResult<StoredMessage | undefined>>> = {};
  for (const [name, p] of [
    ['provision-workers', provision],
    ['cleanup-workers', cleanup],
  ] as const) {
    const c = valueOf(p);
    if (c && c.numRedelivered > 0) {
      const subject = c.filterSubject ?? `${stream}.${name === 'provision-workers' ? 'provision' : 'cleanup'}`;
      stuckMessage[name] = await settle(() =>
        clients.nats.nextStoredMessage(stream, subject, c.ackFloorStreamSeq + 1, { signal }),
      );
    }
  }
  return {
    stream,
    streamInfo,
    consumers: { 'provision-workers': provision, 'cleanup-workers': cleanup },
    stuckMessage,
    connections,
  };
}

/** Stored messages, as text that makes sense for an empty stream (0/0 when new; first > last after a purge). */
export function storedText(s: StreamSummary): string {
  if (s.messages === 0) {
    return s.lastSeq === 0
      ? 'no message stored (none ever published)'
      : `no message stored (last sequence ${n(s.lastSeq)})`;
  }
  return s.firstSeq === s.lastSeq
    ? `1 message stored (sequence ${n(s.firstSeq)})`
    : `${plural(s.messages, 'message')} stored (sequences ${n(s.firstSeq)}–${n(s.lastSeq)})`;
}

/** Runbook "Alerting Thresholds": queue depth "> 50 pending" warning, "> 100 pending" critical. */
export const QUEUE_THRESHOLDS = { depthWarn: 50, depthCritical: 100 } as const;

const n = formatNumber;

function hasCode(p: ProbeResult<unknown>, code: string): boolean {
  return !p.ok && isTargetError(p.error) && p.error.code === code;
}

/** The consumers that answered. */
function present(obs: QueueObservations): ConsumerSummary[] {
  return CONSUMERS.map((c) => valueOf(obs.consumers[c])).filter((c): c is ConsumerSummary => c !== undefined);
}

const streamRule: Rule<QueueObservations> = {
  code: 'tryitnow.queue.stream',
  title: 'Provisioning stream missing or not as Try It Now creates it',
  okTitle: 'Provisioning stream present',
  section: SECTION.queueState,
  nextStep:
    'The Try It Now server creates (or updates) the stream at start-up, and its workers create the consumers: ' +
    'restart it (`systemctl restart try-it-now`) and check that its NATS_URL and NATS_STREAM_NAME match this ' +
    "target's natsUrl and streamName.",
  evaluate(obs) {
    if (hasCode(obs.streamInfo, 'STREAM_NOT_FOUND')) {
      return {
        severity: 'warning',
        title: `Stream ${obs.stream} does not exist`,
        evidence: `JetStream answered "stream not found" for ${obs.stream}`,
      };
    }
    const s = valueOf(obs.streamInfo);
    if (!s) return null;
    const expected = [`${obs.stream}.provision`, `${obs.stream}.cleanup`];
    const odd: string[] = [];
    if (s.retention !== 'workqueue') odd.push(`retention ${s.retention} (Try It Now creates workqueue)`);
    const missing = expected.filter((x) => !s.subjects.includes(x));
    if (missing.length > 0) odd.push(`subjects lack ${missing.join(', ')}`);
    const base = `${storedText(s)}, ${s.retention} retention, ${s.storage} storage, ${plural(s.consumerCount, 'consumer')}`;
    return odd.length > 0
      ? { severity: 'warning', evidence: `${base}; ${odd.join('; ')}` }
      : { severity: 'ok', evidence: base };
  },
};

const consumersRule: Rule<QueueObservations> = {
  code: 'tryitnow.queue.consumers',
  title: 'Worker consumers missing',
  okTitle: 'Both worker consumers exist',
  section: SECTION.consumerNotProcessing,
  nextStep:
    'The consumers are created when the Try It Now server starts its NATS workers ("NATS consumer started" in its ' +
    'log): restart it to recreate them — `systemctl restart try-it-now` (graceful: drains NATS, waits up to 10 s ' +
    'for in-flight handlers).',
  evaluate(obs) {
    if (!obs.streamInfo.ok) return null; // a missing stream is reported once, by the stream rule
    const missing = CONSUMERS.filter((c) => hasCode(obs.consumers[c], 'CONSUMER_NOT_FOUND'));
    const found = present(obs);
    if (missing.length === 0 && found.length === 0) return null;
    if (missing.length > 0) {
      return { severity: 'warning', evidence: `not found on ${obs.stream}: ${missing.join(', ')}` };
    }
    return {
      severity: 'ok',
      evidence: found
        .map((c) => `${c.name} (filter ${c.filterSubject ?? 'none'}, MaxDeliver ${c.maxDeliver ?? '?'})`)
        .join(', '),
    };
  },
};

const DEPTH_STEP =
  'Nothing in Try It Now publishes here, so these messages came from somewhere else (a manual `nats pub`, ' +
  'another build, a test). Look at one (`nats stream get PROVISIONING <seq>`) before removing them; purging ' +
  'does not affect pool replenishment, which runs in-process.';

const depthRule: Rule<QueueObservations> = {
  code: 'tryitnow.queue.depth',
  title: 'Messages piling up in the provisioning stream',
  okTitle: 'Queue depth 0 — by design',
  section: SECTION.thresholds,
  nextStep: DEPTH_STEP,
  runbookCorrection: CORRECTION.nothingPublishes,
  correctionWhen: 'always',
  actions: [purgeAction()],
  evaluate(obs) {
    const found = present(obs);
    if (found.length === 0) return null;
    const t = QUEUE_THRESHOLDS;
    const s = valueOf(obs.streamInfo);
    const worstPending = Math.max(...found.map((c) => c.numPending));
    // Messages a consumer gave up on (MaxDeliver reached) stay stored with num_pending 0: only the stream's stored
    // count and the redeliveries show them (real-systems.md item 7). In a work-queue stream every stored message is
    // pending, awaiting ack, or past MaxDeliver.
    const inFlight = found.reduce((sum, c) => sum + c.numPending + c.numAckPending, 0);
    const stored = s?.messages ?? worstPending;
    const pastMaxDeliver = s && found.length === CONSUMERS.length ? Math.max(0, s.messages - inFlight) : 0;
    const depth = Math.max(worstPending, stored);
    const parts = found.map((c) => `${c.name} ${n(c.numPending)} pending`).join(', ');
    const storedPart = s ? `${storedText(s)}; ` : '';
    const dead =
      pastMaxDeliver > 0
        ? `; ${plural(pastMaxDeliver, 'stored message')} neither pending nor awaiting ack: delivered MaxDeliver ` +
          'times and given up on — they stay in the stream (MaxAge 24 h) with num_pending 0'
        : '';
    const thresholds = `warning above ${t.depthWarn}, critical above ${t.depthCritical} (on stored messages)`;
    if (depth === 0) {
      return {
        severity: 'ok',
        evidence: `${storedPart}${parts} — ${thresholds}; 0 is the normal reading because nothing publishes to this stream`,
      };
    }
    const severity: FindingDraft['severity'] =
      depth > t.depthCritical ? 'critical' : depth > t.depthWarn ? 'warning' : 'ok';
    const title =
      severity !== 'ok'
        ? undefined
        : pastMaxDeliver > 0
          ? 'Messages left in the provisioning stream after MaxDeliver'
          : 'Unexpected messages in the provisioning stream';
    return {
      severity,
      title,
      evidence: `${storedPart}${parts}${dead} — ${thresholds}; any message here is unexpected: Try It Now itself publishes none`,
      nextStep: severity === 'ok' ? DEPTH_STEP : undefined,
    };
  },
};

const redeliveredRule: Rule<QueueObservations> = {
  code: 'tryitnow.queue.redelivered',
  title: 'Messages redelivered without being acknowledged',
  okTitle: 'No redelivered message',
  section: SECTION.stuckMessages,
  nextStep:
    'A handler that fails Naks its message and it is redelivered at once, up to MaxDeliver (provision-workers 5, ' +
    'cleanup-workers 3); a malformed one is Termed. The cause is logged as "Provision task failed" (only NATS-' +
    'delivered tasks log that line). Temporary cause: fix it and let the retries run. Persistent: remove the ' +
    'message (button below, or `nats stream rmm PROVISIONING <seq>`), or purge the stream.',
  runbookCorrection: `${CORRECTION.consumerMsgRm} ${CORRECTION.provisionLogs}`,
  evaluate(obs) {
    const found = present(obs);
    if (found.length === 0) return null;
    const redelivered = found.filter((c) => c.numRedelivered > 0);
    if (redelivered.length === 0) {
      return { severity: 'ok', evidence: found.map((c) => `${c.name} 0 redelivered`).join(', ') };
    }
    const withMessage: { c: ConsumerSummary; m: StoredMessage }[] = [];
    const gone: ConsumerSummary[] = [];
    const unknown: ConsumerSummary[] = [];
    for (const c of redelivered) {
      const p = obs.stuckMessage?.[c.name as ConsumerName];
      if (!p || !p.ok) unknown.push(c);
      // Only a message this consumer already delivered can be the redelivered one: ack_floor does not advance after
      // its messages are gone, so the next stored message may be a fresh task published since (never delivered).
      else if (p.value && p.value.seq <= c.deliveredStreamSeq) withMessage.push({ c, m: p.value });
      else gone.push(c);
    }
    const parts: string[] = [
      ...withMessage.map(
        ({ c, m }) =>
          `${c.name} ${n(c.numRedelivered)} redelivered, ${n(c.numAckPending)} awaiting ack; message #${n(m.seq)} ` +
          `(${m.subject}) is still stored`,
      ),
      ...gone.map(
        (c) =>
          `${c.name} ${n(c.numRedelivered)} redelivered, but no message on ${c.filterSubject ?? 'its subject'} is ` +
          `stored after its ack floor ${n(c.ackFloorStreamSeq)}: the messages are already gone (deleted or purged); ` +
          'nats-server keeps the redelivery count, and ack_floor does not advance, until it restarts',
      ),
      ...unknown.map(
        (c) =>
          `${c.name} ${n(c.numRedelivered)} redelivered; whether its message is still stored could not be read, so ` +
          'no removal is offered',
      ),
    ];
    if (withMessage.length === 0 && unknown.length === 0) {
      return {
        severity: 'ok',
        title: 'Redelivery count left over from messages already gone',
        evidence: `${parts.join('; ')} — nothing to remove`,
        actions: [],
      };
    }
    return {
      severity: 'warning',
      evidence: parts.join('; '),
      actions: [...withMessage.map(({ m }) => removeMessageAction(m.seq)), purgeAction()],
    };
  },
};

const ackPendingRule: Rule<QueueObservations> = {
  code: 'tryitnow.queue.ack-pending',
  title: 'Workers saturated: MaxAckPending reached',
  okTitle: 'Workers below MaxAckPending',
  section: SECTION.consumerNotProcessing,
  nextStep:
    'Every in-flight slot is taken by an unacknowledged message, so the consumer delivers nothing new until one is ' +
    'acked, Naked or times out (AckWait 30 s / 60 s). Look for hung handlers in the server log; more workers need ' +
    'NATS_WORKER_COUNT and a restart.',
  runbookCorrection: CORRECTION.workerCount,
  evaluate(obs) {
    const found = present(obs);
    if (found.length === 0) return null;
    const full = found.filter(
      (c) => c.maxAckPending !== undefined && c.maxAckPending > 0 && c.numAckPending >= c.maxAckPending,
    );
    const text = found.map((c) => `${c.name} ${n(c.numAckPending)}/${n(c.maxAckPending ?? 0)} awaiting ack`).join(', ');
    return { severity: full.length > 0 ? 'warning' : 'ok', evidence: text };
  },
};

const waitingRule: Rule<QueueObservations> = {
  code: 'tryitnow.queue.waiting',
  title: "Try It Now's NATS workers are not pulling",
  okTitle: 'Workers pulling',
  section: SECTION.consumerNotProcessing,
  nextStep:
    'Restart the Try It Now server (`systemctl restart try-it-now`): it does not reconnect by itself. Then check ' +
    'its log size and the disk (`journalctl --disk-usage`, `df -h`): disconnected workers log "worker fetch error ' +
    '… nats: connection closed" in a tight loop.',
  runbookCorrection: CORRECTION.natsGaveUp,
  evaluate(obs) {
    const found = present(obs);
    if (found.length === 0) return null;
    // Each live worker loops on Fetch(1, MaxWait 5 s): a live server holds NATS_WORKER_COUNT (MaxAckPending / 2,
    // default 3) waiting pull requests per consumer, fewer only while workers are busy with a message.
    const text = found
      .map((c) => {
        const expected = c.maxAckPending ? ` (live workers hold ${n(Math.floor(c.maxAckPending / 2))})` : '';
        return `${c.name} ${n(c.numWaiting)} waiting pull requests${expected}, ${n(c.numPending)} pending`;
      })
      .join(', ');
    const pulling = found.some((c) => c.numWaiting > 0 || c.numAckPending > 0);
    if (pulling) return { severity: 'ok', evidence: text };
    const conns = obs.connections && valueOf(obs.connections);
    const others = conns ? conns.connections.filter((x) => x.name !== BOT_CONNECTION).length : undefined;
    const connText =
      others === undefined
        ? 'NATS client connections could not be read (/connz)'
        : others === 0
          ? "NATS holds no client connection besides the bot's"
          : `NATS holds ${plural(others, 'other client connection')}, none of them pulling from these consumers`;
    return {
      severity: 'critical',
      title: others === 0 ? "Try It Now's NATS workers are disconnected" : "Try It Now's NATS workers are not pulling",
      evidence:
        `${text}; ${connText}. No pull request waiting is not "nothing to do": it means no worker is connected — ` +
        'after a NATS outage of more than ~10 s the server stops reconnecting for good (or the server is down)',
    };
  },
};

/** The checks of "Queue Management" and the queue line of "Alerting Thresholds", in report order. */
export const queueRules: readonly Rule<QueueObservations>[] = [
  streamRule,
  consumersRule,
  depthRule,
  redeliveredRule,
  ackPendingRule,
  waitingRule,
];

/** "Not found" is an answer the stream and consumers rules report themselves, not a failed probe. */
const NOT_FOUND = new Set(['STREAM_NOT_FOUND', 'CONSUMER_NOT_FOUND']);

function summaryOf(obs: QueueObservations, findings: readonly Finding[]): string {
  const found = present(obs);
  const pending = found.reduce((s, c) => s + c.numPending, 0);
  const stream = valueOf(obs.streamInfo);
  const stored = stream && stream.messages > pending ? `, ${n(stream.messages)} stored` : '';
  const head =
    found.length > 0 ? `${obs.stream}: ${plural(pending, 'message')} pending${stored}` : `${obs.stream}: not read`;
  return `${head}; ${countsText(findings)}`;
}

/** `/tryitnow queue`: the JetStream stream and its two worker consumers, against the runbook's queue thresholds. */
export async function runQueue(ctx: WorkflowContext<TryItNowClients>): Promise<WorkflowResult> {
  const obs = await observeQueue(ctx.clients, ctx.signal);
  const probes = jetStreamProbes(obs.stream);
  const failures = probeFailures(probes, ctx.target, {
    // Nothing answered (NATS down, credentials, JetStream off): one line, not three.
    nothingAnswered: { code: 'tryitnow.probe.nats', what: 'NATS JetStream', section: SECTION.queueState },
  });
  const { findings } = diagnoseProbes({
    obs,
    ran: probesRun(probes, jetStreamReads(obs)),
    rules: queueRules,
    nowMs: ctx.clock.now(),
    isAnswer: (_, error) => isTargetError(error) && NOT_FOUND.has(error.code ?? ''),
    // A missing stream makes both consumer lookups fail as well: the stream rule says it once.
    failureFindings: (failed, allFailed) =>
      hasCode(obs.streamInfo, 'STREAM_NOT_FOUND') ? [] : failures(failed, allFailed),
  });
  return {
    findings,
    summary: summaryOf(obs, findings),
    notes: [
      `By design: ${CORRECTION.nothingPublishes} To diagnose a pool that does not refill, run \`/tryitnow pool\`.`,
      'Manual: restart to recreate the consumers — `systemctl restart try-it-now`. Inspect one message — ' +
        '`nats stream get PROVISIONING <seq>`. Remove one — `/tryitnow remove-message <seq>` (approval) or ' +
        '`nats stream rmm PROVISIONING <seq>`.',
    ],
  };
}

export const queueWorkflow: Workflow<TryItNowClients> = {
  id: 'queue',
  title: 'Try It Now queue',
  description: 'Checks the PROVISIONING stream and its consumers: pending, ack-pending, redelivered, waiting.',
  run: runQueue,
};
