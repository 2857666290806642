import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTBOX_CHANNEL } from '../../integrations/m4/index.js';
import { fixedClock } from '../../src/core/clock.js';
import { createSystemCommand, parseCommandText } from '../../src/core/command.js';
import { silentLogger } from '../../src/core/logger.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import { M4_CODES } from './codes.js';
import { NOW, createM4Harness, type M4Harness } from '../../test/support/m4/harness.js';
import { m4Workflows } from './index.js';
import { createM4Remediations, m4Remediations } from './remediations.js';
import { runWorkflow } from './run.js';

describe('m4Remediations', () => {
  it('nudge (confirm, not destructive) and cancel-run (approval, destructive, re-checked by `run`)', () => {
    expect(m4Remediations.map((r) => [r.id, r.level, r.destructive])).toEqual([
      ['nudge', 'confirm', false],
      ['cancel-run', 'approval', true],
    ]);
    const cancel = m4Remediations[1]!;
    expect(cancel.verify).toEqual({ workflow: 'run', findingCode: M4_CODES.runStuck });
    expect(m4Workflows.some((w) => w.id === cancel.verify!.workflow)).toBe(true);
    // The fix takes its run id under the same name as the workflow that motivates it, plus the lastSeq the card
    // showed (optional when typed by hand).
    expect(cancel.params.map((p) => p.name)).toEqual([...runWorkflow.args!.map((a) => a.name), 'lastSeq']);
    expect(cancel.params[1]).toMatchObject({ required: false });
  });

  it('describe the exact call, quoted, and what changes', () => {
    const [nudge, cancel] = m4Remediations;
    expect(nudge!.describeCall({ runId: 'r-7c1f2a' })).toBe(
      `SELECT pg_notify('agents_run_outbox', '{"runId":"r-7c1f2a"}') — on M4's database`,
    );
    const call = cancel!.describeCall({ runId: 'r-7c1f2a' });
    expect(call).toContain(`"finishedAt" = (now() AT TIME ZONE 'UTC')`);
    expect(call).toContain(`WHERE id = 'r-7c1f2a' AND state = 'started'`);
    expect(call).toContain(`DELETE FROM run_outbox WHERE "runId" IN (SELECT id FROM cancelled)`);
    expect(cancel!.describeEffect({ runId: 'r-7c1f2a' })).toContain('only if the run is still started');
  });

  it('none of them sets publishedAt', () => {
    for (const r of m4Remediations) {
      const text = `${r.describeCall({ runId: 'r' })} ${r.describeEffect({ runId: 'r' })}`;
      expect(text).not.toMatch(/"publishedAt"\s*=/);
    }
  });

  it('are subcommands that validate the run id before anything is recorded', () => {
    const spec = createSystemCommand('m4', 'M4', m4Workflows, m4Remediations);
    expect(parseCommandText(spec, 'cancel-run r-7c1f2a', ['prod'])).toMatchObject({
      kind: 'remediate',
      workflow: 'cancel-run',
      args: { runId: 'r-7c1f2a' },
    });
    expect(() => parseCommandText(spec, "nudge r';drop", ['prod'])).toThrow(/Invalid <runId>/);
  });
});

describe('executing the fixes on a real Postgres', () => {
  let h: M4Harness;
  beforeAll(async () => {
    h = await createM4Harness(await createTestDatabase());
  });
  afterAll(async () => {
    await h.close();
  });

  it('cancel-run: cancels once, the re-check clears, the second run changes nothing', async () => {
    await h.seed('stuck-outbox');
    const before = await h.run(runWorkflow, { runId: 'r-7c1f2a' });
    expect(before.byCode.get(M4_CODES.runStuck)?.severity).toBe('critical');
    expect((await h.remediate('cancel-run', { runId: 'r-7c1f2a' })).summary).toBe(
      'run r-7c1f2a cancelled; its outbox row (nextSeq 7, lastSeq 9) was removed — keep these numbers for the backend team',
    );
    const after = await h.run(runWorkflow, { runId: 'r-7c1f2a' });
    expect(after.byCode.get(M4_CODES.runStuck)?.severity).toBe('ok');
    expect(await h.remediate('cancel-run', { runId: 'r-7c1f2a' })).toEqual({
      summary: 'nothing changed: run r-7c1f2a is cancelled, not started',
      refused: true,
    });
  });

  it('cancel-run re-reads the run: refuses when it appended since the card (lastSeq moved), with the current state', async () => {
    await h.seed('stuck-outbox');
    const card = (await h.run(runWorkflow, { runId: 'r-7c1f2a' })).byCode.get(M4_CODES.runStuck)!.actions![0]!;
    expect(card.params).toEqual({ runId: 'r-7c1f2a', lastSeq: '9' });
    // The run-worker wakes up and appends seq 10 before the approval.
    await h.pool.query(
      `INSERT INTO run_events ("id", "runId", "seq", "ts", "type", "source", "name")
       VALUES ('evt_r-7c1f2a_10', 'r-7c1f2a', 10, $1, 'NodeStarted', 'worker', 'act')`,
      [NOW],
    );
    await h.pool.query(`UPDATE runs SET "lastSeq" = 10 WHERE id = 'r-7c1f2a'`);
    expect(await h.remediate('cancel-run', card.params)).toEqual({
      summary:
        'nothing changed: run r-7c1f2a is still started but appended events since the card (lastSeq 9 → 10), so it ' +
        'is not stuck — run /m4 run r-7c1f2a again',
      refused: true,
    });
    const row = await h.pool.query<{ state: string }>(`SELECT state FROM runs WHERE id = 'r-7c1f2a'`);
    expect(row.rows[0]?.state).toBe('started');
    expect((await h.pool.query(`SELECT 1 FROM run_outbox WHERE "runId" = 'r-7c1f2a'`)).rowCount).toBe(1);
  });

  it('nudge re-reads the run: refuses when the outbox drained since the card', async () => {
    await h.seed('healthy');
    const listener = new pg.Client({ connectionString: h.databaseUrl });
    await listener.connect();
    try {
      await listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.payload ?? ''));
      expect(await h.remediate('nudge', { runId: 'r-3a9b71' })).toEqual({
        summary:
          'nothing to nudge: run r-3a9b71 (started) has published everything it appended (nextSeq 7, lastSeq 6) — the ' +
          'outbox drained since the card',
        refused: true,
      });
      await new Promise((r) => setTimeout(r, 100));
      expect(heard).toEqual([]);
    } finally {
      await listener.end();
    }
  });

  it('cancel-run on a finished run: nothing changed', async () => {
    await h.seed('finished');
    expect(await h.remediate('cancel-run', { runId: 'r-5e2d80' })).toEqual({
      summary: 'nothing changed: run r-5e2d80 is finished, not started',
      refused: true,
    });
    const row = await h.pool.query<{ state: string }>(`SELECT state FROM runs WHERE id = 'r-5e2d80'`);
    expect(row.rows[0]?.state).toBe('finished');
  });

  it('nudge with no subscriber listening: notifies, watches, and says the subscriber is not publishing', async () => {
    await h.seed('stuck-outbox');
    const listener = new pg.Client({ connectionString: h.databaseUrl });
    await listener.connect();
    try {
      await listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.payload ?? ''));
      const nudge = createM4Remediations({ nudgeWatchMs: 300, nudgePollMs: 50 })[0]!;
      const r = await nudge.execute({
        target: 'prod',
        clients: h.clients,
        params: { runId: 'r-7c1f2a' },
        clock: fixedClock(NOW),
        signal: new AbortController().signal,
        logger: silentLogger,
      });
      expect(r.summary).toMatch(
        /^notified agents_run_outbox for r-7c1f2a, but nextSeq stayed 7 for 300 ms \(lastSeq 9\)/,
      );
      await new Promise((res) => setTimeout(res, 50));
      expect(heard).toEqual(['{"runId":"r-7c1f2a"}']);
    } finally {
      await listener.end();
    }
  });

  it('nudge refuses a run without an outbox row or an unknown run', async () => {
    await h.seed('stuck-outbox');
    await h.clients.db.cancelRun('r-7c1f2a');
    expect(await h.remediate('nudge', { runId: 'r-7c1f2a' })).toEqual({
      summary: 'Did not nudge: run r-7c1f2a has no outbox row (state cancelled)',
      refused: true,
    });
    expect(await h.remediate('nudge', { runId: 'r-unknown' })).toEqual({
      summary: 'Did not nudge: run r-unknown does not exist',
      refused: true,
    });
  });
});

describe('nudge with M4’s outbox subscriber running (the simulator plays it)', () => {
  let h: M4Harness;
  beforeAll(async () => {
    h = await createM4Harness(await createTestDatabase(), {
      scenario: 'stuck-outbox',
      simulator: { outboxSubscriber: true },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('publishes the pending events; the run check then finds the outbox caught up', async () => {
    const before = await h.run(runWorkflow, { runId: 'r-7c1f2a' });
    expect(before.byCode.get(M4_CODES.outboxStuck)?.severity).toBe('critical');
    expect((await h.remediate('nudge', { runId: 'r-7c1f2a' })).summary).toBe(
      'notified agents_run_outbox for r-7c1f2a: caught up, nextSeq 7 → 10 (nextSeq 10, lastSeq 9)',
    );
    const after = await h.run(runWorkflow, { runId: 'r-7c1f2a' });
    expect(after.byCode.has(M4_CODES.outboxStuck)).toBe(false);
    expect(after.byCode.get(M4_CODES.outboxCursor)?.severity).toBe('ok');
    // The run itself is still without RunFinished after 25 min: the last resort stays on offer.
    expect(after.byCode.get(M4_CODES.runStuck)?.actions?.[0]?.remediation).toBe('cancel-run');
  });
});
