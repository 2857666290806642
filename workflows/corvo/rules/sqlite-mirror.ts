/** The runbook's "Critical Metrics to Monitor › SQLite Mirror": dropped updates and the mirror queue's lag. */
import { formatNumber } from '../../../src/core/format.js';
import type { ProposedAction } from '../../../src/core/report.js';
import { SQLITE } from '../sections.js';
import { describeSelf, isMultiRaft, readLeadership, readMetric, readRaftGroups } from '../signals.js';
import { REBUILD_SQLITE_CORRECTION } from './corrections.js';
import { leaderHint, perGroup, type CorvoRule, type Part } from './helpers.js';
import { DEFAULT_MIRROR_CAPACITY, THRESHOLDS } from './thresholds.js';

const n = formatNumber;

/** Offered when the SQLite mirror dropped updates. Destructive: it drops and rebuilds every SQLite table. */
export const REBUILD_SQLITE_ACTION: ProposedAction = {
  remediation: 'rebuild-sqlite',
  label: 'Rebuild SQLite',
  params: {},
  level: 'approval',
  destructive: true,
};

export const sqliteMirrorRules: readonly CorvoRule[] = [
  {
    code: 'corvo.sqlite.mirror-dropped',
    title: 'SQLite diverged from Pebble',
    okTitle: 'SQLite mirror in sync (no dropped updates)',
    section: SQLITE,
    nextStep:
      'Dashboard and search read SQLite and now show stale data (Pebble, the source of truth, is intact). Rebuild ' +
      "SQLite from Pebble (needs approval). It rebuilds ONLY the leader's mirror: the request is proxied to the " +
      "leader, so a follower's SQLite needs a restart or re-join of that node. Find why the mirror queue filled up " +
      '(see `corvo.sqlite.mirror-lag`).',
    runbookCorrection: REBUILD_SQLITE_CORRECTION,
    actions: [REBUILD_SQLITE_ACTION],
    evaluate(obs) {
      const lead = readLeadership(obs);
      let rebuiltOk = false;
      const fromStatus = perGroup(readRaftGroups(obs), (s) => {
        if (!s.sqlite_mirror) return undefined;
        const dropped = s.sqlite_mirror.dropped;
        const rebuild = s.sqlite_rebuild;
        if (dropped > 0 && rebuild?.ran && rebuild.last_success) {
          rebuiltOk = true;
          return {
            severity: 'warning',
            text:
              `${n(dropped)} SQLite mirror updates dropped since process start — should be 0; a rebuild succeeded` +
              `${rebuild.last_started_at ? ` at ${rebuild.last_started_at}` : ''}, and one scrape cannot tell ` +
              'whether drops happened after it',
          };
        }
        const failed =
          rebuild?.ran && rebuild.last_success === false
            ? `; last rebuild failed: ${rebuild.last_error ?? 'unknown error'}`
            : '';
        return {
          severity: dropped > 0 ? 'critical' : 'ok',
          text: `${n(dropped)} SQLite mirror updates dropped — should be 0${failed}`,
        };
      });
      const metric = readMetric(obs, 'corvo_sqlite_mirror_dropped_total');
      const result =
        fromStatus ??
        (metric !== undefined
          ? {
              severity: metric > 0 ? ('critical' as const) : ('ok' as const),
              text: `${n(metric)} SQLite mirror updates dropped — should be 0`,
            }
          : undefined);
      if (!result) return null;
      if (result.severity === 'ok') return { severity: 'ok', evidence: result.text };
      if (isMultiRaft(obs)) {
        // real-systems.md Corvo item 5b: under multi-raft the rebuild answers ok and keeps only the last shard's data.
        return {
          severity: result.severity,
          evidence: result.text,
          nextStep:
            'This Corvo runs multi-raft (`--raft-shards > 1`): its rebuild-sqlite answers ok while SQLite keeps only the ' +
            "last shard's data, so the bot offers no rebuild. No API fix is safe here: restart or re-join the node " +
            "(the runbook's recovery steps; not verified on multi-raft), and find why the mirror queue fills up.",
          actions: [],
        };
      }
      if (lead.isLeader === false) {
        // The rebuild would run on the leader, not on the node whose mirror diverged.
        return {
          severity: result.severity,
          evidence: result.text,
          nextStep:
            `${describeSelf(lead)} is a follower: rebuild-sqlite would be proxied to ${leaderHint(lead)} and rebuild ` +
            "only the leader's mirror. Fix this node's SQLite by restarting it or re-joining it " +
            "(`--bootstrap=false --join http://leader:8080`), and check the leader's " +
            '`corvo_sqlite_mirror_dropped_total` separately.',
          actions: [],
        };
      }
      return {
        severity: result.severity,
        evidence: result.text,
        nextStep: rebuiltOk
          ? 'Run the check again: if the dropped count grew since the last rebuild, SQLite diverged again — rebuild ' +
            "again (leader's mirror only) and find why the mirror queue fills up (see `corvo.sqlite.mirror-lag`)."
          : undefined,
      };
    },
  },

  {
    code: 'corvo.sqlite.mirror-lag',
    title: 'SQLite mirror falling behind',
    okTitle: 'SQLite mirror keeping up',
    section: SQLITE,
    nextStep:
      'When the mirror queue is full, updates are dropped and SQLite diverges from Pebble. Look for slow disk on ' +
      "SQLite's volume, heavy dashboard/search queries, or a write burst; reduce write pressure until the lag drains.",
    evaluate(obs) {
      const part = (lag: number, capacity: number): Part => ({
        severity: lag >= capacity * THRESHOLDS.mirrorLagWarnRatio ? 'warning' : 'ok',
        text:
          `SQLite mirror lag ${n(lag)} / capacity ${n(capacity)} updates — warning from ` +
          `${THRESHOLDS.mirrorLagWarnRatio * 100} %; updates are dropped when it is full`,
      });
      const fromStatus = perGroup(readRaftGroups(obs), (s) =>
        s.sqlite_mirror
          ? part(
              Math.max(s.sqlite_mirror.lag, s.sqlite_mirror.queue_depth),
              s.sqlite_mirror.queue_capacity || DEFAULT_MIRROR_CAPACITY,
            )
          : undefined,
      );
      const metric = readMetric(obs, 'corvo_sqlite_mirror_lag_updates');
      const result = fromStatus ?? (metric !== undefined ? part(metric, DEFAULT_MIRROR_CAPACITY) : undefined);
      return result ? { severity: result.severity, evidence: result.text } : null;
    },
  },
];
