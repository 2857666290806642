import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkflowResult } from '../../src/core/workflow.js';
import { createHarness, NOW, type Harness, type HarnessOptions } from '../../test/support/streamhouse/harness.js';
import { leasesWorkflow } from './leases.js';
import { resetLeaseSql } from './lease-rules.js';
import { DEAD_AGENT_ID, SAMPLE_ORG_ID } from '../../integrations/streamhouse/simulator/sample-cluster.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function runLeases(o: HarnessOptions = {}, args: Record<string, string> = {}) {
  harness = await createHarness(o);
  const result = await leasesWorkflow.run(harness.context(args));
  return { result, h: harness, ...view(result) };
}

function view(result: WorkflowResult) {
  const severities = Object.fromEntries(result.findings.map((f) => [f.code, f.severity]));
  const find = (code: string) => {
    const f = result.findings.find((x) => x.code === code);
    if (!f) throw new Error(`no finding ${code}`);
    return f;
  };
  return { severities, find, notes: (result.notes ?? []).join('\n\n') };
}

describe('streamhouse leases (real Postgres)', () => {
  it('healthy: lists every lease with holder, epoch and expiry in ms; all checks ok', async () => {
    const { result, severities, notes } = await runLeases();
    // Streamhouse on Postgres never writes leader_changes: no "leadership is stable" finding rests on it.
    expect(severities).toEqual({
      'streamhouse.leases.visibility': 'ok',
      'streamhouse.leases.expired': 'ok',
      'streamhouse.leases.dead-holder': 'ok',
    });
    expect(result.summary).toBe(`12 leases on 3 topics (organization ${SAMPLE_ORG_ID} only); all 3 checks ok`);
    // Renewed every 10 s for a day: the epoch is in the thousands.
    expect(notes).toContain(
      `orders/0  leader_agent_id=agent-us-east-1a-01  epoch=8641  lease_expires_at=${NOW + 300_000} (in 5 min)`,
    );
    expect(notes.match(/leader_agent_id=/g)).toHaveLength(12);
    expect(notes).not.toContain('UPDATE partition_leases');
    expect(notes).toContain(
      `agent-us-east-1c-03  10.1.6.23:9090  us-east-1c  last_heartbeat=${NOW - 15_000} (15 s ago)  leases=4`,
    );
    // Listed by partition, whatever order the store returned them in.
    expect(notes.indexOf('clicks/0 ')).toBeLessThan(notes.indexOf('clicks/1 '));
    expect(notes.indexOf('clicks/2 ')).toBeLessThan(notes.indexOf('orders/0 '));
    expect(notes).toContain('(not `agent_id` / `lease_epoch`)');
  });

  it('agent-dead: the blocked leases, with a guarded reset per lease that is valid SQL', async () => {
    const { result, severities, find, notes, h } = await runLeases({ db: 'agent-dead' });
    expect(severities['streamhouse.leases.dead-holder']).toBe('critical');
    expect(find('streamhouse.leases.dead-holder').evidence).toBe(
      'agent-us-east-1c-03 (last heartbeat 4 min ago) holds 4: clicks/2 epoch 8615 expires in 55 s, orders/2 epoch ' +
        '8616 expires in 55 s, orders/5 epoch 8616 expires in 55 s, payments/2 epoch 8615 expires in 55 s — agents ' +
        'heartbeat every 20 s and count as dead after 1 min',
    );
    expect(result.summary).toBe(`12 leases on 3 topics (organization ${SAMPLE_ORG_ID} only); 1 critical`);
    const statements = notes.split('\n').filter((l) => l.startsWith('UPDATE partition_leases'));
    expect(statements).toHaveLength(4);
    expect(statements[1]).toContain(
      "topic = 'orders' AND partition_id = 2 AND leader_agent_id = 'agent-us-east-1c-03' AND epoch = 8616",
    );
    // Each statement runs as written (inside a rolled-back transaction).
    const client = new pg.Client({ connectionString: h.databaseUrl });
    await client.connect();
    try {
      await client.query('BEGIN');
      for (const sql of statements) await client.query(sql);
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }
  });

  it('resetLease hands a blocked partition over: the next run sees it expired, the others still blocked', async () => {
    harness = await createHarness({ db: 'agent-dead' });
    const changed = await harness.clients.metadata.resetLease('orders', 2, {
      holder: 'agent-us-east-1c-03',
      epoch: 8616,
      deadAfterMs: 60_000,
    });
    expect(changed.changed).toBe(true);
    const { severities, find } = view(await leasesWorkflow.run(harness.context()));
    expect(severities['streamhouse.leases.expired']).toBe('critical');
    expect(find('streamhouse.leases.expired').evidence).toBe(
      `1 of 12 leases of organization ${SAMPLE_ORG_ID} expired: orders/2 (agent-us-east-1c-03, epoch 8616) expired 1 min ago`,
    );
    expect(find('streamhouse.leases.dead-holder').evidence).toMatch(
      /^agent-us-east-1c-03 \(last heartbeat 4 min ago\) holds 3: /,
    );
  });

  it('expired-lease: expired leases are critical', async () => {
    const { severities, find } = await runLeases({ db: 'expired-lease' });
    expect(severities['streamhouse.leases.expired']).toBe('critical');
    expect(severities['streamhouse.leases.dead-holder']).toBe('ok');
    expect(find('streamhouse.leases.expired').evidence).toMatch(
      /^4 of 12 leases of organization [0-9a-f-]{36} expired: clicks\/2 \(agent-us-east-1c-03, epoch \d+\) expired 2 min 5 s ago;/,
    );
    expect(find('streamhouse.leases.expired').runbookCorrection).toContain('300 000 ms at HEAD');
  });

  it('lease-churn recorded in leader_changes (as the SQLite store does): a warning with the changes', async () => {
    const { severities, find, notes } = await runLeases({ db: 'lease-churn', recordLeaderChanges: true });
    expect(severities['streamhouse.leases.churn']).toBe('warning');
    expect(find('streamhouse.leases.churn').evidence).toBe(
      'orders/1 changed leader 6 times in 15 min (latest agent-us-east-1b-02 → agent-us-east-1a-01, epoch 13, reason ' +
        'lease_expired, 2 min ago) — threshold 3 changes per partition in 15 min, from leader_changes rows',
    );
    expect(notes).toContain(
      'orders/1  agent-us-east-1b-02 → agent-us-east-1a-01  epoch=13  reason=lease_expired  gap=11500 ms',
    );
  });

  it('topic argument: only that topic; a topic with no lease visible to one organization is inconclusive', async () => {
    const { result, notes } = await runLeases({}, { topic: 'payments' });
    expect(result.summary).toBe(`3 leases of payments (organization ${SAMPLE_ORG_ID} only); all 4 checks ok`);
    expect(notes.match(/leader_agent_id=/g)).toHaveLength(3);
    expect(notes).not.toContain('orders/');
    await harness?.close();
    const missing = await runLeases({}, { topic: 'nope' });
    // The bot sees one organization's leases (row-level security): the topic may belong to another, so "no
    // leader" is not claimed (real-systems.md, Streamhouse 1).
    expect(missing.severities['streamhouse.leases.topic-unleased']).toBe('inconclusive');
    expect(missing.find('streamhouse.leases.topic-unleased')).toMatchObject({
      title: 'No lease of this topic visible to the bot’s role',
      evidence: expect.stringContaining(`visible for organization ${SAMPLE_ORG_ID}; other organizations' leases`),
    });
  });

  it('metadata database unreachable: one inconclusive finding, and the workflow still returns', async () => {
    const { result } = await runLeases({ db: 'unreachable' });
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({
      code: 'streamhouse.probe.metadata',
      severity: 'inconclusive',
      title: 'Metadata database of prod is unreachable',
    });
    expect(result.findings[0]?.evidence).toMatch(/connection refused \(127\.0\.0\.1:\d+\) \(all 3 probes failed\)$/);
    expect(JSON.stringify(result)).not.toContain('s3cret-pw');
  });
});

describe('real Streamhouse: what the bot says on the real schema', () => {
  it('real Streamhouse: row-level security hides leases from a non-owner role — never "0 leases, all heartbeating"', async () => {
    const { result, severities, find, notes } = await runLeases({ db: 'agent-dead', organizationId: null });
    expect(severities).toEqual({ 'streamhouse.leases.visibility': 'inconclusive' });
    const f = find('streamhouse.leases.visibility');
    expect(f.title).toBe("Row-level security hides the partition leases from the bot's role");
    expect(f.evidence).toContain("hides every lease from the bot's database role");
    expect(f.evidence).toContain('no organizationId is configured');
    expect(f.evidence).toContain('0 leases read is not 0 leases');
    expect(f.nextStep).toContain('BYPASSRLS');
    expect(f.nextStep).toContain('organizationId');
    expect(result.summary).toBe("Leases hidden from the bot's role by row-level security; 1 inconclusive");
    // No check claims anything from the empty view: no "0 leases", no "lease holders, all heartbeating".
    expect(result.findings.some((x) => x.severity === 'ok')).toBe(false);
    expect(JSON.stringify(result)).not.toMatch(/lease holders|all heartbeating|Partition leadership is stable/);
    expect(notes).toContain(`${DEAD_AGENT_ID}  10.1.6.23:9090  us-east-1c`);
    expect(notes).toContain('leases=? (hidden by row-level security)');
  });

  it('real Streamhouse: organizationId set to the deleted all-zero organization is named as the cause', async () => {
    const { find, result } = await runLeases({
      db: 'agent-dead',
      organizationId: '00000000-0000-0000-0000-000000000000',
    });
    // Before: "0 leases on 0 topics", "0 lease holders, all heartbeating within 1 min" — both ok.
    expect(result.findings.some((x) => x.severity === 'ok')).toBe(false);
    expect(result.summary).toBe("Leases hidden from the bot's role by row-level security; 1 inconclusive");
    expect(find('streamhouse.leases.visibility').evidence).toContain(
      'no such organization exists (migration 002 deletes the all-zero default organization)',
    );
  });

  it('real Streamhouse: with organizationId the report says its view is limited to that organization', async () => {
    const { find, notes } = await runLeases({ db: 'agent-dead' });
    const f = find('streamhouse.leases.visibility');
    expect(f).toMatchObject({ severity: 'ok', title: `Leases read for organization ${SAMPLE_ORG_ID} only` });
    expect(f.evidence).toContain('leases of other organizations are not shown');
    expect(find('streamhouse.leases.dead-holder').severity).toBe('critical');
    expect(notes).toContain(`partition_leases of organization ${SAMPLE_ORG_ID} (epoch ms):`);
  });

  it('BYPASSRLS or the owner: every lease, no visibility finding', async () => {
    for (const role of ['bypassrls', 'owner'] as const) {
      const { severities, result } = await runLeases({ role, organizationId: null });
      expect(severities['streamhouse.leases.visibility']).toBeUndefined();
      expect(result.summary).toBe('12 leases on 3 topics; all 2 checks ok');
      await harness?.close();
      harness = undefined;
    }
  });

  it('real Streamhouse: leader_changes is never written on Postgres — no "leadership is stable" from it', async () => {
    const { severities, notes, result } = await runLeases({ db: 'lease-churn' });
    expect(severities['streamhouse.leases.churn']).toBeUndefined();
    expect(JSON.stringify(result.findings)).not.toMatch(/stable/i);
    expect(notes).toContain(
      'Leadership churn is not measured here: Streamhouse on Postgres never writes `leader_changes`',
    );
    expect(notes).toContain('every 10 s renewal goes through the acquire upsert, which bumps the epoch');
  });

  it("real Streamhouse (runbook 'SELECT * FROM partition_leases'): the correction says it works only as the owner", async () => {
    const { find, notes } = await runLeases({ organizationId: null });
    expect(find('streamhouse.leases.visibility').runbookCorrection).toContain(
      '`psql -U streamhouse -c "SELECT * FROM partition_leases;"` shows every lease only because `streamhouse` owns the tables',
    );
    expect(notes).toContain("as the tables' owner (`-U streamhouse`) or a BYPASSRLS role");
  });
});

describe('resetLeaseSql', () => {
  it('quotes holder and topic', () => {
    expect(resetLeaseSql({ topic: 'orders', partition: 1, holder: "o'brien", epoch: 4 })).toContain(
      "leader_agent_id = 'o''brien' AND epoch = 4",
    );
  });
});
