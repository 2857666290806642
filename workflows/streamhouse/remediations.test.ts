import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { isRefusedBeforeWrite } from '../../src/core/target-error.js';
import { createHarness, type Harness } from '../../test/support/streamhouse/harness.js';
import { leasesWorkflow } from './leases.js';
import { streamhouseRemediations } from './remediations.js';

const resetLease = streamhouseRemediations.find((r) => r.id === 'reset-lease')!;

/** The reset's outcome: its summary, or the message of its refusal before the write (`refused`). */
async function reset(ctx: Parameters<typeof resetLease.execute>[0]): Promise<{ summary: string; refused: boolean }> {
  try {
    return { ...(await resetLease.execute(ctx)), refused: false };
  } catch (err) {
    if (isRefusedBeforeWrite(err)) return { summary: (err as Error).message, refused: true };
    throw err;
  }
}

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

    const first = await reset(ctx);
    expect(first.refused).toBe(false);
    expect(first.summary).toMatch(/expired; the next acquirer takes over/);
    const after = await leaseRow(h.databaseUrl!, params.topic!, Number(params.partition));
    expect(Number(after.lease_expires_at)).toBeLessThan(h.clock.now());
    expect(String(after.epoch)).toBe(params.epoch); // the epoch is bumped by the next acquirer, not by us

    const second = await reset(ctx);
    expect(second).toMatchObject({ refused: true, summary: expect.stringMatching(/nothing changed/) });
  });

  it('re-reads the lease: refuses with the current state when the holder renewed since the card (epoch rose)', async () => {
    harness = await createHarness({ db: 'agent-dead' });
    const h = harness;
    const result = await leasesWorkflow.run(h.context());
    const { params } = result.findings.find((f) => f.code === 'streamhouse.leases.dead-holder')!.actions![0]!;
    await admin(h.databaseUrl!, (c) =>
      c.query('update partition_leases set epoch = epoch + 1 where topic = $1 and partition_id = $2', [
        params.topic,
        Number(params.partition),
      ]),
    );
    const r = await reset(ctxFor(h, params));
    expect(r.refused).toBe(true);
    expect(r.summary).toMatch(
      new RegExp(
        `^nothing changed: agent-us-east-1c-03 renewed the lease of ${params.topic}/${params.partition} since the card ` +
          `\\(epoch ${params.epoch} → ${Number(params.epoch) + 1}; every 10 s renewal bumps it\\), so it is alive: held by ` +
          'agent-us-east-1c-03 at epoch \\d+, expires in 55 s, last heartbeat 4 min ago$',
      ),
    );
    const row = await leaseRow(h.databaseUrl!, params.topic!, Number(params.partition));
    expect(Number(row.lease_expires_at)).toBeGreaterThan(h.clock.now());
  });

  it('refuses when another agent took the partition over, and when the holder heartbeats again', async () => {
    harness = await createHarness({ db: 'agent-dead' });
    const h = harness;
    const result = await leasesWorkflow.run(h.context());
    const offers = result.findings.find((f) => f.code === 'streamhouse.leases.dead-holder')!.actions!;
    const [first, second] = [offers[0]!.params, offers[1]!.params];
    await admin(h.databaseUrl!, async (c) => {
      await c.query(
        `update partition_leases set leader_agent_id = 'agent-us-east-1a-01', epoch = epoch + 1
          where topic = $1 and partition_id = $2`,
        [first.topic, Number(first.partition)],
      );
    });
    expect((await reset(ctxFor(h, first))).summary).toMatch(
      /^nothing changed: the lease of \S+ moved on: the card showed agent-us-east-1c-03, it is now held by agent-us-east-1a-01 at epoch \d+/,
    );
    await admin(h.databaseUrl!, (c) =>
      c.query(`update agents set last_heartbeat = $1 where agent_id = 'agent-us-east-1c-03'`, [h.clock.now() - 2_000]),
    );
    expect((await reset(ctxFor(h, second))).summary).toMatch(
      /^nothing changed: agent-us-east-1c-03 is heartbeating, so it is not dead: held by agent-us-east-1c-03 at epoch \d+, expires in 55 s, last heartbeat 2 s ago$/,
    );
  });

  it('typed by hand on a live holder (no epoch on the card): refuses instead of cutting a renewing leader off', async () => {
    harness = await createHarness({ db: 'healthy' });
    const h = harness;
    const before = await leaseRow(h.databaseUrl!, 'orders', 0);
    const r = await reset(ctxFor(h, { topic: 'orders', partition: '0' }));
    expect(r.refused).toBe(true);
    expect(r.summary).toMatch(/^nothing changed: agent-us-east-1a-01 is heartbeating, so it is not dead/);
    expect(await leaseRow(h.databaseUrl!, 'orders', 0)).toEqual(before);
  });

  it('real Streamhouse: RLS hides the lease — the refusal says so, never "it has no lease row"', async () => {
    harness = await createHarness({ db: 'agent-dead', organizationId: null });
    const h = harness;
    const before = await leaseRow(h.databaseUrl!, 'orders', 2);
    const cards: Record<string, string>[] = [
      { topic: 'orders', partition: '2', holder: 'agent-us-east-1c-03', epoch: String(before.epoch) },
      { topic: 'orders', partition: '2' },
    ];
    for (const params of cards) {
      const r = await reset(ctxFor(h, params));
      expect(r.refused).toBe(true);
      expect(r.summary).toMatch(/^nothing changed: the bot cannot see the lease of orders\/2 — row-level security/);
      expect(r.summary).toContain('owner, BYPASSRLS or organizationId');
      expect(r.summary).not.toContain('no lease row');
    }
    expect(await leaseRow(h.databaseUrl!, 'orders', 2)).toEqual(before);
  });
});

function ctxFor(h: Harness, params: Record<string, string>) {
  return {
    target: 'prod',
    clients: h.clients,
    params,
    clock: h.clock,
    signal: new AbortController().signal,
    logger: silentLogger,
  };
}

async function admin(url: string, body: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await body(c);
  } finally {
    await c.end();
  }
}
