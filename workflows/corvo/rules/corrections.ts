/** Where the Corvo runbook misleads, shared by several rules and workflows (reference/targets.md §1.8). */

export const LIFECYCLE_OVERLOAD_CORRECTION =
  'The runbook watches `corvo_lifecycle_overload_total` for stream overload: that counter only increments when ' +
  'StreamConfig.AcquireTimeout > 0, which no CLI flag sets, so it stays 0. Workers get RESOURCE_EXHAUSTED from the ' +
  'open-stream cap (`corvo_lifecycle_streams_open` vs `corvo_lifecycle_streams_max`) or from store overloads.';

export const SNAPSHOT_CORRECTION =
  'The runbook says `corvo_raft_snapshot_latest_index` sits at 0 when snapshots fail: Corvo omits the metric ' +
  'entirely while no snapshot exists, so a grep for it prints nothing. The cluster status `snapshot.count` and ' +
  '`snapshot.error` are the reliable source.';

export const REBUILD_SQLITE_CORRECTION =
  'The runbook calls `POST /api/v1/admin/rebuild-sqlite` "safe to run anytime" and the "Nuclear" fix. On a real ' +
  "Corvo it is neither: it rebuilds ONLY the leader's SQLite mirror (a follower's needs a restart or re-join); it " +
  'can fail with 500 INTERNAL_ERROR "FOREIGN KEY constraint failed (787)" when a job has a recorded error (a retry ' +
  "may succeed); under multi-raft (`--raft-shards > 1`) it answers ok while SQLite keeps only the last shard's " +
  "data; sent to a follower whose HTTP port differs from the leader's it fails with 503 FORWARD_LOOP; and it brings " +
  'back jobs of queues that were cleared or deleted. It does not touch Pebble, so it is no fix for jobs stuck ' +
  'active. The log line to grep is "sqlite mirror queue full; dropping mirror updates" (plural, attribute ' +
  '`total_drops`), logged on the 1st drop and then every 10,000th.';

export const RECLAIM_WITHIN_2S_CORRECTION =
  'The runbook says `corvo_scheduler_last_reclaim_seconds` "should be recent (within 2s)": Corvo prints whole Unix ' +
  'seconds, so with the 1 s reclaim interval a healthy idle leader shows 0.6–2.5 s by `time() - …`, and a strict ' +
  '2 s rule alarms on it about twice in 30 runs. Allow one more second (the bot does).';

export const FOLLOWER_PROXY_CORRECTION =
  "Writes sent to a follower are forwarded to the leader's raft host on the follower's OWN HTTP port: this works " +
  'only when every node uses the same HTTP port (`--bind`); otherwise the answer is 503 FORWARD_LOOP.';

export const APPLIED_INDEX_CORRECTION =
  'The runbook says `corvo_raft_applied_index` "should grow steadily": it grows by 1–2 entries a second on an idle ' +
  "node too (the leader's scheduler writes through raft), so its growth is not evidence of traffic; an idle node " +
  'still snapshots every 4,096 entries (about 45 min).';

export const STUCK_ACTIVE_CORRECTION =
  'The runbook\'s "Jobs Stuck Active" fix `corvo retry <job-id>` does not work on active jobs: the server answers ' +
  '400 RETRY_ERROR (retry is allowed only from dead, cancelled, completed or scheduled). Use ' +
  '`POST /api/v1/jobs/{id}/cancel` ("cancelling") or let the reclaim scheduler handle expired leases. Also, ' +
  "`/jobs/search` rows have no `lease_expires_at` (the runbook's jq prints null): read it from `GET /api/v1/jobs/{id}`.";

export const MULTI_RAFT_CORRECTION =
  "With `--raft-shards > 1` the runbook's metric greps mislead: `corvo_raft_apply_pending` and " +
  '`corvo_raft_apply_max_pending` print `<nil>`, `corvo_raft_state` prints 0 (follower) on every node, and the ' +
  'mirror, index, snapshot and queue/apply-time lines are missing. Read those from `/api/v1/cluster/status` per group.';
