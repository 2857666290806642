import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { createHarness, type Harness } from './fixtures/harness.js';
import { leasesWorkflow } from './leases.js';
import { streamhouseRemediations } from './remediations.js';

const resetLease = streamhouseRemediations.find((r) => r.id === 'reset-lease')!;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function leaseRow(url: string, topic: string, partition: number) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(
      'select leader_agent_id, epoch, lease_expires_at from partition_leases where topic = $1 and partition_id = $2',
      [topic, partition],
    );
    return rows[0] as { leader_agent_id: string; epoch: string | number; lease_expires_at: string | number };
  } finally {
    await c.end();
  }
}

describe('reset-lease (real Postgres)', () => {
  it('is offered on each lease held by a dead agent, and expires exactly that lease once', async () => {
    harness = await createHarness({ db: 'agent-dead' });
    const h = harness;
    const result = await leasesWorkflow.run(h.context());
    const dead = result.findings.find((f) => f.code === 'streamhouse.leases.dead-holder')!;
    expect(dead.severity).toBe('critical');
    const offers = dead.actions ?? [];
    expect(offers.length).toBeGreaterThan(0);
    expect(offers.every((a) => a.remediation === 'reset-lease' && a.level === 'approval' && a.destructive)).toBe(true);
    const { params } = offers[0]!;
    const ctx = {
      target: 'prod',
      clients: h.clients,
      params,
      clock: h.clock,
      signal: new AbortController().signal,
      logger: silentLogger,
    };

    const before = await leaseRow(h.databaseUrl!, params.topic!, Number(params.partition));
    expect(before.leader_agent_id).toBe(params.holder);
    expect(Number(before.lease_expires_at)).toBeGreaterThan(h.clock.now());

    const first = await resetLease.execute(ctx);
    expect(first.summary).toMatch(/expired; the next acquirer takes over/);
    const after = await leaseRow(h.databaseUrl!, params.topic!, Number(params.partition));
    expect(Number(after.lease_expires_at)).toBeLessThan(h.clock.now());
    expect(String(after.epoch)).toBe(params.epoch); // the epoch is bumped by the next acquirer, not by us

    const second = await resetLease.execute(ctx);
    expect(second.summary).toMatch(/nothing changed/);
  });

  it('changes nothing when another agent took the partition over since the offer', async () => {
    harness = await createHarness({ db: 'agent-dead' });
    const h = harness;
    const result = await leasesWorkflow.run(h.context());
    const { params } = result.findings.find((f) => f.code === 'streamhouse.leases.dead-holder')!.actions![0]!;
    const c = new pg.Client({ connectionString: h.databaseUrl! });
    await c.connect();
    await c.query('update partition_leases set epoch = epoch + 1 where topic = $1 and partition_id = $2', [
      params.topic,
      Number(params.partition),
    ]);
    await c.end();
    const r = await resetLease.execute({
      target: 'prod',
      clients: h.clients,
      params,
      clock: h.clock,
      signal: new AbortController().signal,
      logger: silentLogger,
    });
    expect(r.summary).toMatch(/nothing changed: the lease moved on/);
    const row = await leaseRow(h.databaseUrl!, params.topic!, Number(params.partition));
    expect(Number(row.lease_expires_at)).toBeGreaterThan(h.clock.now());
  });
});
