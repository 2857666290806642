import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import {
  NOW,
  createFakeCorvoClient,
  followerObservations,
  leaderStatus,
} from '../../test/support/corvo/observations.js';
import {
  SIM_T0,
  applyFix,
  contextFor,
  createSimulatorHarness,
  runOn,
} from '../../test/support/corvo/simulator-harness.js';
import { sqliteDivergedWorkflow } from './sqlite-diverged.js';

const harness = createSimulatorHarness();
afterEach(harness.closeAll);

describe('sqlite-diverged against the Corvo simulator', () => {
  it('sqlite-diverged: critical, with the rebuild that needs approval, and the follower caveat', async () => {
    const r = await harness.run(sqliteDivergedWorkflow, 'sqlite-diverged');
    const f = r.byCode.get('corvo.sqlite.mirror-dropped');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence).toBe('1,842 SQLite mirror updates dropped — should be 0');
    expect(f?.actions).toEqual([
      { remediation: 'rebuild-sqlite', label: 'Rebuild SQLite', params: {}, level: 'approval', destructive: true },
    ]);
    expect(f?.runbookCorrection).toContain("ONLY the leader's SQLite mirror");
    expect(r.byCode.get('corvo.sqlite.mirror-lag')?.severity).toBe('ok');
    expect(r.byCode.get('corvo.sqlite.rebuild-history')?.title).toBe('No SQLite rebuild since process start');
    expect(r.notes?.[0]).toBe(
      'This checked node-1 (the leader) only: every node keeps its own SQLite mirror. Check node-2, node-3 with a ' +
        "target pointing at each (`--target`). `rebuild-sqlite` rebuilds only the leader's mirror (followers proxy " +
        "it to the leader); a follower's mirror is fixed by restarting or re-joining that node (below).",
    );
    expect(r.notes?.[1]).toContain('delete its `data/` directory');
    expect(r.sim.calls).toEqual([]);
  });

  it('after the rebuild, the mirror is in sync and the history shows the rebuild', async () => {
    const first = await harness.run(sqliteDivergedWorkflow, 'sqlite-diverged');
    expect(await applyFix('rebuild-sqlite', {}, first.client)).toBe('rebuilt in 1,234 ms');
    const again = await runOn(sqliteDivergedWorkflow, first.sim, first.client, fixedClock(SIM_T0));
    expect(again.byCode.get('corvo.sqlite.mirror-dropped')?.severity).toBe('ok');
    expect(again.byCode.get('corvo.sqlite.rebuild-history')?.title).toBe(
      'Last SQLite rebuild succeeded (2026-02-21T10:15:05Z)',
    );
    expect(again.verdict).toBe('ok');
  });

  it('healthy: in sync, nothing offered', async () => {
    const r = await harness.run(sqliteDivergedWorkflow, 'healthy');
    expect(r.verdict).toBe('ok');
    expect(r.findings.flatMap((f) => f.actions ?? [])).toEqual([]);
    expect(r.findings.map((f) => f.code)).toEqual([
      'corvo.sqlite.mirror-dropped',
      'corvo.sqlite.mirror-lag',
      'corvo.sqlite.rebuild-history',
    ]);
  });

  it('unreachable: one inconclusive finding', async () => {
    const r = await harness.run(sqliteDivergedWorkflow, 'unreachable');
    expect(r.findings.map((f) => f.code)).toEqual(['corvo.probe.unreachable']);
    expect(r.findings[0]?.evidence).toMatch(/\(all 3 probes failed\)$/);
  });
});

describe('sqlite-diverged rules', () => {
  it('warns about a failed rebuild with its error', async () => {
    const status = {
      ...leaderStatus(),
      sqlite_rebuild: {
        ran: true,
        last_started_at: '2026-02-21T10:00:00Z',
        last_duration_ms: 812,
        last_success: false,
        last_error: 'disk I/O error',
      },
    };
    const { client } = createFakeCorvoClient({ clusterStatus: status });
    const r = await sqliteDivergedWorkflow.run(contextFor(client, fixedClock(NOW)));
    const f = r.findings.find((x) => x.code === 'corvo.sqlite.rebuild-history');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence).toMatch(/^last rebuild started 2026-02-21T10:00:00Z, took 812 ms, failed: disk I\/O error/);
  });

  it('on a follower: no rebuild offered (it would rebuild the leader), the note says so', async () => {
    const obs = followerObservations({ status: { sqlite_mirror: { ...leaderStatus().sqlite_mirror!, dropped: 9 } } });
    const { client } = createFakeCorvoClient({
      healthz: obs.healthz.ok ? obs.healthz.value : undefined,
      clusterStatus: obs.clusterStatus.ok ? obs.clusterStatus.value : undefined,
      metricsText: 'corvo_cluster_is_leader 0\n',
    });
    const r = await sqliteDivergedWorkflow.run(contextFor(client, fixedClock(NOW)));
    const f = r.findings.find((x) => x.code === 'corvo.sqlite.mirror-dropped');
    expect(f?.severity).toBe('critical');
    expect(f?.actions).toBeUndefined();
    expect(f?.nextStep).toContain('is a follower');
    expect(r.notes?.[0]).toMatch(/^This checked node-2 \(a follower\) only/);
  });
});
