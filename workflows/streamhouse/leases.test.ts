import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkflowResult } from '../../src/core/workflow.js';
import { createHarness, NOW, type Harness, type HarnessOptions } from './fixtures/harness.js';
import { leasesWorkflow } from './leases.js';
import { resetLeaseSql } from './lease-rules.js';

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
    expect(severities).toEqual({
      'streamhouse.leases.expired': 'ok',
      'streamhouse.leases.dead-holder': 'ok',
      'streamhouse.leases.churn': 'ok',
    });
    expect(result.summary).toBe('12 leases on 3 topics; all 3 checks ok');
    expect(notes).toContain(
      `orders/0  leader_agent_id=agent-us-east-1a-01  epoch=1  lease_expires_at=${NOW + 300_000} (in 5 min)`,
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
      'agent-us-east-1c-03 (last heartbeat 4 min ago) holds 4: clicks/2 epoch 5 expires in 55 s, orders/2 epoch 3 ' +
        'expires in 55 s, orders/5 epoch 6 expires in 55 s, payments/2 epoch 2 expires in 55 s — agents heartbeat ' +
        'every 20 s and count as dead after 1 min',
    );
    expect(result.summary).toBe('12 leases on 3 topics; 1 critical');
    const statements = notes.split('\n').filter((l) => l.startsWith('UPDATE partition_leases'));
    expect(statements).toHaveLength(4);
    expect(statements[1]).toContain(
      "topic = 'orders' AND partition_id = 2 AND leader_agent_id = 'agent-us-east-1c-03' AND epoch = 3",
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
    const changed = await harness.clients.metadata.resetLease('orders', 2, 'agent-us-east-1c-03', 3);
    expect(changed.changed).toBe(true);
    const { severities, find } = view(await leasesWorkflow.run(harness.context()));
    expect(severities['streamhouse.leases.expired']).toBe('critical');
    expect(find('streamhouse.leases.expired').evidence).toBe(
      '1 of 12 leases expired: orders/2 (agent-us-east-1c-03, epoch 3) expired 1 min ago',
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
      /^4 of 12 leases expired: clicks\/2 \(agent-us-east-1c-03, epoch 5\) expired 2 min 5 s ago;/,
    );
    expect(find('streamhouse.leases.expired').runbookCorrection).toContain('300 000 ms at HEAD');
  });

  it('lease-churn: a partition whose leader changed 6 times in 15 min, and the recent changes', async () => {
    const { severities, find, notes } = await runLeases({ db: 'lease-churn' });
    expect(severities['streamhouse.leases.churn']).toBe('warning');
    expect(find('streamhouse.leases.churn').evidence).toBe(
      'orders/1 changed leader 6 times in 15 min (latest agent-us-east-1b-02 → agent-us-east-1a-01, epoch 13, reason ' +
        'lease_expired, 2 min ago) — threshold 3 changes per partition in 15 min',
    );
    expect(notes).toContain(
      'orders/1  agent-us-east-1b-02 → agent-us-east-1a-01  epoch=13  reason=lease_expired  gap=11500 ms',
    );
  });

  it('topic argument: only that topic; an unknown topic is a warning', async () => {
    const { result, notes } = await runLeases({}, { topic: 'payments' });
    expect(result.summary).toBe('3 leases of payments; all 4 checks ok');
    expect(notes.match(/leader_agent_id=/g)).toHaveLength(3);
    expect(notes).not.toContain('orders/');
    await harness?.close();
    const missing = await runLeases({}, { topic: 'nope' });
    expect(missing.severities['streamhouse.leases.topic-unleased']).toBe('warning');
    expect(missing.find('streamhouse.leases.topic-unleased').evidence).toBe(
      "partition_leases has no row with topic = 'nope'",
    );
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

describe('resetLeaseSql', () => {
  it('quotes holder and topic', () => {
    expect(resetLeaseSql({ topic: 'orders', partition: 1, holder: "o'brien", epoch: 4 })).toContain(
      "leader_agent_id = 'o''brien' AND epoch = 4",
    );
  });
});
