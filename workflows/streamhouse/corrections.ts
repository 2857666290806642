import { SUBSTITUTE_ALERT_EXPR } from '../../integrations/streamhouse/index.js';

/**
 * Where the Streamhouse runbook (`docs/runbooks/README.md` at 8b45026) misleads, against the code at HEAD
 * (`reference/targets.md` §0.1 item 2 and §3). Shown to operators on the findings they concern.
 */

/** Section names of the runbook (the README's headings). */
export const SECTION = {
  agentHealth: 'Common Commands › Check Agent Health',
  database: 'Common Commands › Check Database',
  metrics: 'Common Commands › Check Metrics',
  circuit: 'Runbook Details › Circuit Breaker Open',
  throttling: 'Runbook Details › High S3 Throttling Rate',
  leases: 'Runbook Details › Partition Lease Conflicts',
  schemas: 'Runbook Details › Schema Registry Errors',
  resources: 'Runbook Details › Resource Pressure',
  alerts: 'Monitoring and Alerts › Recommended Alert Setup',
  identify: 'Using These Runbooks › Identify the Problem',
} as const;

export const METRIC_NAMES =
  'The runbook writes metric names without a prefix. The real names start with `streamhouse_`, counters end in ' +
  '`_total`, and every series carries an `org_id` label (e.g. `streamhouse_s3_errors_total{org_id=…,operation="PUT",' +
  'error_type="retry"}`, not `s3_errors_total`).';

export const CIRCUIT_BREAKER =
  'The runbook checks `circuit_breaker_state` and alerts on `circuit_breaker_state == 1`: that alert can never ' +
  'fire. `streamhouse_circuit_breaker_state` is registered but nothing ever sets it (and it did not exist when the ' +
  'runbook was written). The open breaker shows only as `streamhouse_producer_errors_total{error_type=' +
  '"s3_circuit_breaker"}` (producers get UNAVAILABLE). Alert on `' +
  SUBSTITUTE_ALERT_EXPR.circuitBreaker +
  '` instead. There is no reset endpoint (`POST /internal/circuit-breaker/reset` does not exist and no API calls ' +
  '`reset_circuit()`): the breaker half-opens by itself after 30 s and closes after 2 successes.';

export const THROTTLING =
  'The runbook alerts on `rate(throttle_decisions_total{decision="rate_limited"}[5m])`: that can never fire. ' +
  '`streamhouse_throttle_decisions_total` is registered but never updated. Rate-limited writes show as ' +
  '`streamhouse_producer_errors_total{error_type="s3_rate_limited"}` (producers get RESOURCE_EXHAUSTED). Alert on `' +
  SUBSTITUTE_ALERT_EXPR.rateLimited +
  '` instead.';

export const S3_ERRORS =
  "The sub-runbooks query `s3_errors_total`: Streamhouse's own counter is `streamhouse_s3_errors_total` with " +
  '`error_type` `retry` (a retried PUT) or `failed` (gave up); its latency is `streamhouse_s3_latency_seconds`.';

export const LEASES =
  'The runbook alerts on `rate(lease_conflicts_total[5m])`: `streamhouse_lease_conflicts_total` is registered but ' +
  "never updated, so it stays silent. The sub-runbooks' SQL uses `partition_leases.agent_id` and `lease_epoch`, " +
  'which do not exist: the columns are `leader_agent_id` and `epoch`, and times are epoch-ms BIGINTs. Leases last ' +
  '300 000 ms at HEAD (30 000 ms when the runbook was written) and are renewed every 10 s. "Force lease reset" ' +
  'means moving `lease_expires_at` into the past for the exact holder and epoch; the next acquirer bumps the epoch.';

export const SCHEMAS =
  'The runbook alerts on `schema_registry_errors_total{type="registration"}`: `streamhouse_schema_registry_errors_' +
  'total` is registered but never updated. The sub-runbooks call the registry on :8081 and use ' +
  '`/compatibility/subjects/...`, which does not exist; the unified server serves the registry under `/schemas`, ' +
  'its subject routes need an `x-organization-id` header (400 "Missing x-organization-id header" without it), and ' +
  '`?permanent=true` is ignored.';

export const SELECT_LEASES_AS_OWNER =
  'The runbook\'s `psql -U streamhouse -c "SELECT * FROM partition_leases;"` shows every lease only because ' +
  '`streamhouse` owns the tables: at HEAD row-level security is enabled on `partition_leases` (and ten other ' +
  'tables) with a per-organization policy on `app.current_organization_id`, so under any other role it returns 0 ' +
  "rows and no error. Run it as the owner, as a BYPASSRLS role, or after `SELECT set_config('app.current_" +
  "organization_id', '<organization id>', false);` (that organization's leases only).";

export const LEADER_CHANGES_NOT_RECORDED =
  'Leadership churn is not measured here: Streamhouse on Postgres never writes `leader_changes` at HEAD (only its ' +
  'SQLite store records transfers), so no rows there is no evidence that leadership is stable. Nor are `epoch` or ' +
  '`acquired_at`: every 10 s renewal goes through the acquire upsert, which bumps the epoch and resets acquired_at. ' +
  'Churn shows in Prometheus as `streamhouse_leader_changes_total` (by topic, partition and reason).';

export const MANUAL_RESTART = 'Restarting or scaling agents is a manual step (kubectl); the bot does not do it.';
