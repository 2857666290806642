/**
 * Where the KyroDB runbook (`docs/OPERATIONS.md` at 936b60e) is wrong about the real code (`reference/targets.md`
 * §2.1-2.6), as operator-facing text. Findings attach these wherever an operator following the runbook would be
 * misled. The runbook's own paths (`/var/lib/kyrodb/data`, `/backups`) are kept in the corrected commands.
 */

/** KyroDB's default HTTP observability port: gRPC `server.port` 50051 + 1000 (`config.rs: http_port()`). */
export const DEFAULT_HTTP_PORT = 51051;
/** The port every command of the runbook uses; only right when the gRPC port was moved to 50052. */
export const RUNBOOK_PORT = 51052;

const DATA_DIR = '/var/lib/kyrodb/data';
const BACKUP_DIR = '/backups';
/** `kyrodb_backup` takes its global options BEFORE the subcommand (`engine/src/bin/kyrodb_backup.rs`). */
const BACKUP = `kyrodb_backup --data-dir ${DATA_DIR} --backup-dir ${BACKUP_DIR}`;

/** The port the bot talks to, from its origin (`http://host:port`). */
function portOf(origin: string): number | undefined {
  try {
    const url = new URL(origin);
    if (url.port) return Number(url.port);
    return url.protocol === 'https:' ? 443 : 80;
  } catch {
    return undefined;
  }
}

/** The runbook's 51052 vs the real default 51051, sharpened when the bot itself is configured with 51052. */
export function portCorrection(origin: string): string {
  const base =
    `The runbook's commands use port ${RUNBOOK_PORT}; KyroDB's default HTTP port is ${DEFAULT_HTTP_PORT} (gRPC port ` +
    `50051 + 1000; the docs were corrected one day after this runbook). ${RUNBOOK_PORT} is only right if ` +
    '`server.port` was changed to 50052 (or `server.http_port` set).';
  return portOf(origin) === RUNBOOK_PORT
    ? `This target is configured with port ${RUNBOOK_PORT}, the runbook's: check \`server.http_port\` in KyroDB's ` +
        `config (or use ${DEFAULT_HTTP_PORT}). ${base}`
    : `${base} The bot reads ${origin}.`;
}

export const NS_CORRECTION =
  'KyroDB reports latency in NANOSECONDS: `kyrodb_query_latency_ns{percentile="99"}` 15234000 is 15.2 ms. The ' +
  "runbook's `kyrodb_query_latency_p99 = 15.2` (ms) does not exist, and /slo's `p99_latency_ns` is in ns too.";

/** The runbook's metric names and what exists instead (§2.4). */
export const METRIC_NAME_MAP: readonly { readonly runbook: string; readonly actual: string }[] = [
  { runbook: 'kyrodb_query_latency_p99', actual: '`kyrodb_query_latency_ns{percentile="99"}` (ns; also 50, 95)' },
  { runbook: 'kyrodb_cache_latency_p99', actual: 'none (no per-layer cache latency; use `kyrodb_cache_hit_rate`)' },
  { runbook: 'kyrodb_hot_tier_latency_p99', actual: 'none (only hits: `kyrodb_tier_hits_total{tier="hot"}`)' },
  {
    runbook: 'kyrodb_hnsw_latency_p99',
    actual:
      '`kyrodb_hnsw_latency_ns` (the P99, ns, no label — of the whole search call, cache hits included: not HNSW alone)',
  },
  { runbook: 'kyrodb_hnsw_vector_count', actual: 'none (gRPC `Metrics.cold_tier_size`)' },
  { runbook: 'kyrodb_insert_latency_p99', actual: 'none' },
  {
    runbook: 'kyrodb_error_rate_5m',
    actual:
      '`kyrodb_queries_failed / (kyrodb_queries_total + kyrodb_queries_failed)` (queries_total counts only successful ' +
      "queries; /slo's error_rate is failed ÷ successful and passes 1 when failures outnumber successes)",
  },
  { runbook: 'any "fsync" metric', actual: 'none' },
];

/** "`a` → b; `c` → d" for the given runbook names (all of them when omitted). */
export function metricNameCorrection(names?: readonly string[]): string {
  const rows = names ? METRIC_NAME_MAP.filter((r) => names.includes(r.runbook)) : METRIC_NAME_MAP;
  return `Runbook metric names that do not exist: ${rows.map((r) => `\`${r.runbook}\` → ${r.actual}`).join('; ')}.`;
}

export const CACHE_HIT_RATE_CORRECTION =
  '`kyrodb_cache_hit_rate` is a fraction (0.0-1.0): the runbook\'s "<40%" means < 0.4. The gRPC `Metrics` answer\'s ' +
  '`cache_hit_rate` is a different quantity, not this one in percent (10.53 there beside 0.63 here on a real ' +
  'server): do not compare them.';

export const CACHE_STRATEGY_CORRECTION =
  "`cache.strategy` values are lowercase (`lru`, `learned`, `abtest`): the runbook's `strategy: LRU` does not parse. " +
  '`cache.capacity` exists (default 10,000 entries).';

export const TRAINING_KEYS_CORRECTION =
  "The runbook's config keys `training.window_duration_secs`, `access_logger.window_size` and " +
  '`cache.training.max_samples` do not exist, and every config section has `deny_unknown_fields`: adding them makes ' +
  'KyroDB FAIL TO START. The real keys are `cache.training_window_secs` (default 3600), `cache.logger_window_size`, ' +
  '`cache.training_interval_secs` (default 600) and `cache.enable_training_task`.';

export const EF_SEARCH_NOTE =
  '`hnsw.ef_search` exists (default 50). Raising it, as the runbook suggests, makes each search more accurate but ' +
  'SLOWER (the runbook\'s own comment says "slower but more accurate"): it is a recall fix, not a latency fix. To cut ' +
  'HNSW latency, lower it (less recall) or shrink the index per server.';

/**
 * What the real server showed (real-systems.md KyroDB 1): the breaker gauge and the WAL counters are never updated —
 * the WAL keeps its own private metrics — so the runbook's "kyrodb_wal_circuit_breaker_state = 1 (open)" never
 * happens, however open the breaker is.
 */
export const BREAKER_GAUGE_CORRECTION =
  'The runbook watches `kyrodb_wal_circuit_breaker_state` (`grep circuit_breaker`), but KyroDB never updates it: it ' +
  'reads 0 even with the breaker open and every insert refused, and so do `kyrodb_wal_writes_total`, ' +
  '`kyrodb_wal_retries_total` and `kyrodb_wal_disk_full_errors` (the WAL counts in a private object; only ' +
  "`kyrodb_wal_writes_failed` is copied). Watch the inserts instead: `watch -n 5 'curl -s http://HOST:51051/metrics " +
  '| grep -E "kyrodb_inserts_(total|failed)"\'` — both rising together means every write is refused.';

/** The sticky `/health` reason (real-systems.md KyroDB 2). */
export const STICKY_WAL_REASON_NOTE =
  '/health\'s "N failed WAL writes observed" is sticky until the next restart: it means WAL writes failed at some ' +
  'point since the restart, not that the breaker is open now (a real server stayed degraded after the breaker had ' +
  'closed and writes succeeded again).';

/** Refusal below 5 % free disk, before the WAL (real-systems.md KyroDB 3). */
export const DISK_LOW_REFUSAL_NOTE =
  'Below 5 % free disk KyroDB refuses every insert before the WAL (gRPC INTERNAL "Insert rejected: disk space ' +
  'critically low (< 5%)"): that shows only as failed inserts and errors_total{internal}, while /health stays ' +
  'healthy. Below 10 % free the log warns; a real ENOSPC logs "Disk full detected … (os error 28)" and opens the ' +
  'breaker on the first failure (other WAL errors open it after three).';

export const CIRCUIT_BREAKER_RESET_WARNING =
  "⚠ Manual step, no button: KyroDB has NO reset endpoint. The runbook's `curl -X POST …/admin/circuit-breaker/reset` " +
  'gets a 404 (there is no /admin route in any version). The breaker half-opens by itself 60 s after opening and ' +
  'closes after 2 successful writes; the only forced reset is `systemctl restart kyrodb`, once the disk problem is fixed.';

export const CIRCUIT_BREAKER_CORRECTION =
  'No `POST /admin/circuit-breaker/reset` exists in any KyroDB version. "Auto-resets after 60 seconds" is half true: ' +
  'after 60 s the breaker goes half-open and closes only after 2 successful writes. ' +
  BREAKER_GAUGE_CORRECTION;

/** The runbook's "503 Service Unavailable" symptom vs what a restarting server does (real-systems.md KyroDB 4). */
export const RECOVERY_PORT_CORRECTION =
  'The runbook\'s symptom "curl …/health → 503 Service Unavailable" is not what a restarting KyroDB does: its HTTP ' +
  'port opens only after WAL recovery, so until then curl gets "connection refused" (56 s for 1,800 vectors on a ' +
  'real server), then `starting` (503) for about 100 ms, then 200. A 503 with a body comes only from `unhealthy`: ' +
  'two or more SLO breaches, or the WAL marked inconsistent.';

/** What `kyrodb_hnsw_*` really measure (real-systems.md KyroDB 5). */
export const HNSW_METRICS_CORRECTION =
  '`kyrodb_hnsw_latency_ns` is the p99 of the whole search call and `kyrodb_hnsw_searches_total` counts every search, ' +
  'cache hits included (on a real server: 150 searches, 100 of them cache hits; HNSW p99 equal to the query p99). ' +
  'Comparing them with the query latency, as the runbook\'s "Which layer is slow?" does, cannot find the slow ' +
  'layer: KyroDB exports no per-layer latency.';

/** `/slo`'s error_rate and availability (real-systems.md KyroDB 6). */
export const SLO_ARITHMETIC_CORRECTION =
  "KyroDB's /slo error_rate is failed ÷ SUCCESSFUL queries (`kyrodb_queries_total` leaves failed ones out), so it " +
  'passes 1 once failures outnumber successes (1.142857 on a real server), and its availability underflows an ' +
  'unsigned subtraction then (5.27e16); a debug build panics instead ("attempt to subtract with overflow") on ' +
  '/health, /ready and /slo. The bot computes failed ÷ (successful + failed) from `kyrodb_queries_failed` and ' +
  '`kyrodb_queries_total` itself.';

/** Counters reset at every restart (real-systems.md KyroDB 8). */
export const COUNTER_RESET_NOTE =
  'KyroDB\'s counters restart from 0 with the process: "since restart" means since the uptime shown.';

/**
 * The families the real server exports but never updates (real-systems.md KyroDB 1 and 7). They are not evidence
 * either way, so no rule reads them; the health report names them once.
 */
export const NOT_MEASURED_FAMILIES: readonly string[] = [
  'kyrodb_wal_circuit_breaker_state',
  'kyrodb_wal_writes_total',
  'kyrodb_wal_retries_total',
  'kyrodb_wal_disk_full_errors',
  'kyrodb_learned_cache_*',
  'kyrodb_cache_evictions_total',
  'kyrodb_hot_tier_flushes_total',
  'kyrodb_hnsw_corruption_detected_total',
  'kyrodb_hnsw_fallback_recovery_success',
  'kyrodb_hnsw_fallback_recovery_failed',
];

export const NOT_MEASURED_NOTE =
  `Not measured by this KyroDB version (exported, but never updated: always 0), so not used as evidence: ` +
  `${NOT_MEASURED_FAMILIES.map((f) => `\`${f}\``).join(', ')}. In particular the breaker's state, WAL retries, ` +
  'disk-full errors and HNSW corruption cannot be read from /metrics; `kyrodb_cache_size` changes only when ' +
  'someone calls the gRPC `Metrics` method.';

export const SIGHUP_WARNING =
  "⚠ Do NOT run the runbook's `kill -HUP $(pgrep kyrodb_server)`: KyroDB has no SIGHUP handler (it only listens " +
  'for SIGTERM and Ctrl-C), so SIGHUP TERMINATES THE SERVER. The training supervisor restarts a crashed task on its ' +
  'own (backoff 1, 2, 4, 8, 16 s; at most 10 restarts).';

export const LOG_STRINGS_CORRECTION =
  'The log lines "Training supervisor restarting task (attempt 3/5)" and "training task restarted" do not exist. ' +
  'Grep for "training task panicked", "training task failed", "restarting training task after delay" and ' +
  '"training task restart limit reached - stopping supervisor".';

export const VERIFY_WAL_CORRECTION =
  '`kyrodb_server --verify-wal` does not exist: the only flags are `--config/-c`, `--port/-p`, `--data-dir/-d` and ' +
  '`--generate-config`. There is no tool that finds "the last good WAL entry", so the runbook\'s `truncate` step has ' +
  'no offset to use.';

export const BACKUP_CLI_CORRECTION =
  "The runbook's backup commands use flags `kyrodb_backup` does not have: `list --json` (use `list --format json`), " +
  '`create-full` (use `create`), `--allow-clear` (set `BACKUP_ALLOW_CLEAR=true`), `--dry-run` (use `verify <ID>`) ' +
  'and `prune --older-than-days` (use `--keep-daily N … --min-age-days N`). `--data-dir`/`--backup-dir` go before ' +
  'the subcommand.';

/** The runbook's "Restore from backup", with `kyrodb_backup`'s real flags. */
export function restoreFromBackupSteps(): string {
  return (
    `restore from backup: \`${BACKUP} list --format json\` (newest first), \`${BACKUP} verify <ID>\`, then ` +
    `\`systemctl stop kyrodb && BACKUP_ALLOW_CLEAR=true ${BACKUP} restore --backup-id <ID> && systemctl start kyrodb\`.`
  );
}

/** The runbook's "delete old backups", with `kyrodb_backup prune`'s real retention flags. */
export function pruneBackupsStep(): string {
  return `\`${BACKUP} prune --keep-daily 7 --keep-weekly 4 --min-age-days 7\``;
}
