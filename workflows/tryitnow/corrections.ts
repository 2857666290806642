/**
 * Where the Try It Now runbook (`docs/operations.md`) is wrong about the real code (`reference/targets.md` §5,
 * §0.1 item 1), in words for the operator, and the runbook sections the checks come from.
 */
import type { ProposedAction } from '../../src/core/report.js';

export const SECTION = {
  healthChecks: 'Monitoring › Health Checks',
  keyMetrics: 'Monitoring › Key Metrics',
  thresholds: 'Monitoring › Alerting Thresholds',
  queueState: 'Queue Management › Viewing Queue State',
  stuckMessages: 'Queue Management › Troubleshooting Stuck Messages',
  backlog: 'Queue Management › Clearing Queue Backlog',
  notReplenishing: 'Troubleshooting Guide › Pool Not Replenishing',
  consumerNotProcessing: 'Troubleshooting Guide › NATS Consumer Not Processing',
  dataLoss: 'Common Operations › Recovering from Data Loss',
  memory: 'Troubleshooting Guide › Memory Usage Growing',
} as const;

export const CORRECTION = {
  /** §0.1 item 1, §5.3: the queue is idle by design. */
  nothingPublishes:
    'Nothing in Try It Now publishes to the PROVISIONING stream: `PublishProvisionTask` and `PublishCleanupTask` ' +
    'are never called from production code. The pool is replenished in-process (every POOL_REPLENISH_INTERVAL, ' +
    'one instance at a time, CRIU restore then cold start) and expired instances are cleaned directly. So ' +
    '`provision-workers` and `cleanup-workers` read 0 pending by design — a depth of 0 says nothing about the ' +
    "pool's health, and the runbook's queue-depth thresholds never trigger.",
  metricNames:
    'No `try_it_now_*` metric exists. Real names: `try_it_now_pool_ready` → `demo_pool_ready_instances`, ' +
    '`try_it_now_pool_assigned` → `demo_pool_assigned_instances`, `try_it_now_pool_warming` → ' +
    '`demo_pool_warming_instances`, `try_it_now_pool_target` → `demo_pool_target_size`, ' +
    '`try_it_now_provisions_total{method,status}` → `demo_provisions_total{method,result}`, ' +
    '`(try_it_now_)provision_duration_seconds` → `demo_provision_duration_seconds{method}`.',
  metricsAuth:
    'The runbook does not say so, but `/metrics` sits behind the same `API_KEY` as `/api/v1/*`: a scrape needs ' +
    '`X-API-Key: <key>` (or `?api_key=`), else 401 UNAUTHORIZED. Set `apiKey` for this target in the bot config.',
  provisionLabel:
    'The runbook\'s `try_it_now_provisions_total{method, status="success|failure"}` does not exist: the counter ' +
    'is `demo_provisions_total{method="criu_restore|cold_start", result="success|failure"}` (label `result`). One ' +
    'scrape gives the share since the server started; for the runbook\'s "rate" over a window use ' +
    '`sum(rate(demo_provisions_total{result="failure"}[15m])) / sum(rate(demo_provisions_total[15m]))`.',
  criuBuckets:
    "The runbook's CRIU thresholds (> 5 s warning, > 10 s critical) cannot be read from the real histogram: " +
    '`demo_criu_restore_duration_seconds` tops out at a 2 s bucket, so every slower restore lands in +Inf and only ' +
    '"> 2 s" is visible; the mean (`_sum / _count`) is a lower bound for the slow ones. `demo_criu_available` is ' +
    'declared but never set, so it reads 0 even when CRIU works.',
  portsKey:
    'The runbook says to check the Valkey `available_ports` set: the key is `ports:available` (ports in use: ' +
    '`ports:in_use`).',
  consumerMsgRm:
    "The runbook's `nats consumer msg rm PROVISIONING provision-workers --seq <n>` is not a natscli command. A " +
    'message is removed from the stream: `nats stream rmm PROVISIONING <seq>` (JetStream API ' +
    '`$JS.API.STREAM.MSG.DELETE.PROVISIONING {"seq":N}`), which the bot\'s remove-message runs.',
  purgeSeq:
    'The runbook\'s "Purge only old messages: `nats stream purge PROVISIONING --seq <keep_after_seq>`" is off by ' +
    "one: `--seq N` purges up to but not including N, so message N is kept too. The bot's `purge-stream " +
    '<keep-after>` keeps only the messages after the given sequence.',
  workerCount:
    "The runbook's `QUEUE_WORKER_COUNT` does not exist: the variable is `NATS_WORKER_COUNT` (default 3), and each " +
    "consumer's MaxAckPending is twice that (default 6).",
  checkpointPath:
    "The runbook's `CHECKPOINT_PATH` does not exist: the variable is `CONTAINER_CHECKPOINT_PATH` (default " +
    '`/var/lib/checkpoints/prestashop.tar.gz`).',
  healthBody:
    'The runbook expects `{"status":"ok"}`. The real answer is `{"status":"ok","mode":"docker"|"podman"}`, and when ' +
    'the API cannot ping Valkey it is HTTP 503 `{"status":"unhealthy","error":"store unavailable"}`.',
  deleteDemoServer:
    "The runbook's recovery step `curl -X DELETE http://localhost:2019/config/apps/http/servers/demo` removes the " +
    'whole `demo` server with every route (right after a data loss, wrong for one stale route), and only works in ' +
    "the runbook's order — with the Try It Now server stopped: deleted while the server runs, every acquire answers " +
    '503 ROUTE_FAILED and destroys a ready instance until the server restarts; after a (re)start the `demo` server ' +
    'reappears only with the first acquire, not at start-up. One route is removed by its @id: ' +
    "`DELETE /id/demo-route-<hostname>` (the instance record's hostname, not its id), which the bot's clear-route runs.",
  /** real-systems.md item 8. */
  provisionLogs:
    'The runbook greps `"Provision task failed"`, but that line is logged only for tasks delivered over NATS, and ' +
    'nothing in production publishes any. The in-process replenisher, which does the provisioning, logs "Failed ' +
    'to provision instance", "Replenishment check failed" and "Initial replenishment failed": ' +
    '`journalctl -u try-it-now | grep -E "Failed to provision instance|Replenishment check failed|Initial ' +
    'replenishment failed|Provision task failed"`. A task that keeps failing over NATS counts 5 failures in ' +
    '`demo_provisions_total` (one per delivery, MaxDeliver 5).',
  /** real-systems.md item 9. */
  rateLimit:
    'A test acquire (`POST /api/v1/demo/acquire`) counts against the per-client-IP rate limit, 2 an hour and 5 a day ' +
    'by default (RATE_LIMIT_HOURLY, RATE_LIMIT_DAILY): a third from the same host within the hour gets 429 ' +
    'RATE_LIMITED, which says nothing about the pool. Each successful one also takes a demo out of the pool until ' +
    'it is released (`DELETE /api/v1/demo/<id>`).',
  /** real-systems.md item 5. */
  natsGaveUp:
    'Try It Now connects to NATS with 10 reconnect attempts a second apart and never reconnects after that: an ' +
    'outage longer than ~10 s leaves its workers disconnected for good, spinning without backoff on "worker fetch ' +
    'error … nats: connection closed" (100 % CPU, a log growing by gigabytes in minutes). The runbook\'s "NATS ' +
    'Consumer Not Processing" checks do not show it — NATS is healthy again and both consumers exist — and its ' +
    '"Check NATS server health" fixes nothing: the only sign is that no pull request is waiting, and only a restart ' +
    'of Try It Now reconnects.',
  /** real-systems.md item 2. */
  warming:
    'Try It Now never writes `state:warming`, so the "warming" count (`/api/v1/pool/stats`, ' +
    '`demo_pool_warming_instances`) is always 0 and says nothing about instances being provisioned.',
} as const;

/** The purge button. */
export function purgeAction(label = 'Purge stream'): ProposedAction {
  return { remediation: 'purge-stream', label, params: {}, level: 'approval', destructive: true };
}

/** The remove-message button for one stream sequence. */
export function removeMessageAction(seq: number): ProposedAction {
  return {
    remediation: 'remove-message',
    label: `Remove message #${seq}`,
    params: { seq: String(seq) },
    level: 'approval',
    destructive: true,
  };
}

/** The clear-route button for one Caddy route @id. */
export function clearRouteAction(routeId: string): ProposedAction {
  const short = routeId.length > 22 ? `${routeId.slice(0, 21)}…` : routeId;
  return {
    remediation: 'clear-route',
    label: `Clear ${short}`,
    params: { 'route-id': routeId },
    level: 'approval',
    destructive: true,
  };
}
