/**
 * The Corvo runbook's steps that need a shell on a host or change the cluster's membership or data: the bot never
 * runs them and never offers them as buttons. They are shown as report notes, with their warnings, corrected
 * where the runbook is wrong (reference/targets.md §1.8). `<corvo-url>` stands for the target's configured url (the
 * workflows do not see it) and `<leader>` for the leader's host. Slack shows at most 1,000 characters of a note
 * and about 3,000 for all of a report's notes: keep each one short.
 */
export const manualSteps = {
  killStuckServer:
    'Kill a stuck server (shell on the host; the bot never does this): `kill -TERM <pid>` first, wait the shutdown ' +
    'timeout (default 500 ms), and only if the process is still there `kill -9 <pid>`. ⚠ Killing the leader starts ' +
    'an election: writes answer 503 LEADER_UNAVAILABLE and the scheduler stops until a new leader is elected. One ' +
    'node at a time; run `/corvo leader-instability` before the next.',

  recoverNode:
    'Recover a node from corrupted state (shell on the host; never run by the bot): stop the node, delete its ' +
    '`data/` directory, restart it with `--bootstrap=false --join http://<leader>:8080`; it rebuilds from the ' +
    "leader's snapshot. ⚠ Deleting `data/` destroys that node's copy for good: never on the leader or the last " +
    'healthy voter, only with a quorum of other voters up and a snapshot on the leader (`/corvo snapshot-issues`). ' +
    '⚠ The node sends its join without an API key: on a cluster with keys it gets 401 (inferred from the code) — ' +
    "then add it by hand (`/corvo cluster-join-errors`). It must use the leader's `--raft-shards`.",

  backupRestore:
    'Backup / restore (runbook corrected: the backup is a JSON document, not a tar.gz): ' +
    "`curl -H 'X-API-Key: <key>' -o backup.json '<corvo-url>/api/v1/admin/backup'` (one namespace; " +
    "`?namespace=` picks it). Restore: `curl -X POST -H 'X-API-Key: <key>' -H 'Content-Type: application/json' " +
    "--data-binary @backup.json '<corvo-url>/api/v1/admin/restore'`. ⚠ Restore re-enqueues every job as a new job " +
    '(new ids, state reset) and does not restore queue settings (pause, max_concurrency, throttle): reapply them ' +
    'by hand, and do not restore jobs that still exist (they would be duplicated).',

  manualJoin:
    'Manual join (runbook corrected: it needs an admin or operator API key when keys are enabled; the bot never ' +
    "runs it — adding a voter changes the quorum): `curl -X POST -H 'X-API-Key: <key>' -H 'Content-Type: " +
    'application/json\' -d \'{"node_id":"node-2","addr":"node-2-host:9000"}\' http://<leader>:8080/api/v1/cluster/join`. ' +
    'A multi-raft leader also reads `shard` and `shard_count` (a `shard_count` other than its own: 409 ' +
    'SHARD_COUNT_MISMATCH). `"added": false` means the node already was a voter.',

  diskCheck:
    'Disk check (shell on the host): `df -h <data-dir>`; a snapshot needs about 2× the data size free (checkpoint ' +
    '+ tar). Lower `--snapshot-threshold` (default 4096 entries) if snapshots are too infrequent; raise it (e.g. ' +
    '1000000) only for benchmarks, to avoid snapshot storms.',
} as const;
