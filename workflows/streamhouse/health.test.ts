import { afterEach, describe, expect, it } from 'vitest';
import { createReport, type Finding, type Severity } from '../../src/core/report.js';
import { createHarness, NOW, type Harness, type HarnessOptions } from '../../test/support/streamhouse/harness.js';
import { createHealthWorkflow } from './health.js';
import { healthRules } from './health-rules.js';
import { SAMPLE_ORG_ID } from '../../integrations/streamhouse/simulator/sample-cluster.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function runHealth(o: HarnessOptions = {}, prepare?: (h: Harness) => void | Promise<void>) {
  harness = await createHarness(o);
  await prepare?.(harness);
  const workflow = createHealthWorkflow({ sample: harness.sample });
  const result = await workflow.run(harness.context());
  const report = createReport({
    title: workflow.title,
    system: 'streamhouse',
    target: 'prod',
    workflow: workflow.id,
    summary: result.summary ?? '',
    findings: result.findings,
    invocationId: 'inv-1',
    generatedAt: new Date(harness.clock.now()).toISOString(),
    notes: result.notes,
  });
  const byCode = new Map(report.findings.map((f) => [f.code, f]));
  const find = (code: string): Finding => {
    const f = byCode.get(code);
    if (!f) throw new Error(`no finding ${code}; got ${[...byCode.keys()].join(', ')}`);
    return f;
  };
  const severities = Object.fromEntries(report.findings.map((f) => [f.code, f.severity])) as Record<string, Severity>;
  return { report, find, severities, h: harness };
}

const ALL_OK = Object.fromEntries(healthRules.map((r) => [r.code, 'ok']));

describe('streamhouse health (agent /metrics sampled twice, real Postgres metadata)', () => {
  it('healthy: every check ok, rates from a 5 s sample that ignores errors from before it', async () => {
    const { report, find, severities, h } = await runHealth();
    expect(severities).toEqual(ALL_OK);
    expect(report.verdict).toBe('ok');
    expect(report.summary).toBe(`3/3 agents alive, 12 leases (organization ${SAMPLE_ORG_ID} only); all 13 checks ok`);
    // Two scrapes, 5 s apart on the injected clock.
    expect(h.sim.requests.filter((r) => r.path === '/metrics')).toHaveLength(2);
    expect(h.clock.now()).toBe(NOW + 5000);
    const circuit = find('streamhouse.producer.circuit-breaker');
    expect(circuit.evidence).toBe(
      "0 writes rejected by the breaker over a 5 s sample of this server's /metrics; 3 since the server started " +
        '(up 24 h) — `streamhouse_circuit_breaker_state` prints no sample on this server',
    );
    // The correction is shown even when healthy: the runbook's own check of this signal can never work.
    expect(circuit.runbookCorrection).toContain('`circuit_breaker_state == 1`: that alert can never fire');
    expect(find('streamhouse.producer.rate-limited').runbookCorrection).toContain('throttle_decisions_total');
    expect(report.notes?.join('\n')).toContain(
      '`sum(rate(streamhouse_producer_errors_total{error_type="s3_circuit_breaker"}[5m])) > 0`',
    );
  });

  it('circuit-open: UNAVAILABLE rejections are critical, with the no-reset-endpoint correction', async () => {
    const { report, find, severities } = await runHealth({ scenario: 'circuit-open' });
    expect(severities).toEqual({
      ...ALL_OK,
      'streamhouse.producer.circuit-breaker': 'critical',
      'streamhouse.s3.errors': 'critical',
    });
    expect(report.findings[0]?.code).toBe('streamhouse.producer.circuit-breaker');
    const circuit = find('streamhouse.producer.circuit-breaker');
    expect(circuit.evidence).toMatch(
      /^210\/s writes rejected with error_type="s3_circuit_breaker" on orders, payments over a 5 s sample/,
    );
    expect(circuit.nextStep).toContain('There is no API to reset it');
    expect(circuit.runbookCorrection).toContain('`POST /internal/circuit-breaker/reset` does not exist');
    expect(find('streamhouse.s3.errors').evidence).toMatch(/^0\.2\/s failed, 0\/s retried out of 0\/s requests/);
    expect(report.summary).toBe(`3/3 agents alive, 12 leases (organization ${SAMPLE_ORG_ID} only); 2 critical`);
  });

  it('rate-limited: above the runbook 10 % share is a warning (RESOURCE_EXHAUSTED)', async () => {
    const { find, severities } = await runHealth({ scenario: 'rate-limited' });
    expect(severities).toEqual({ ...ALL_OK, 'streamhouse.producer.rate-limited': 'warning' });
    const f = find('streamhouse.producer.rate-limited');
    expect(f.title).toContain('RESOURCE_EXHAUSTED');
    expect(f.evidence).toMatch(
      /^80\/s of 480\/s produce attempts rate-limited \(16\.6 %\) on orders over a 5 s sample/,
    );
    expect(f.evidence).toContain('runbook threshold 10 %');
    expect(f.nextStep).toContain('manual steps');
  });

  it('s3-errors: failed uploads are critical and p99 above 5 s is critical', async () => {
    const { find, severities } = await runHealth({ scenario: 's3-errors' });
    expect(severities).toEqual({
      ...ALL_OK,
      'streamhouse.s3.errors': 'critical',
      'streamhouse.s3.latency': 'critical',
    });
    expect(find('streamhouse.s3.errors').evidence).toMatch(/^0\.4\/s failed, 0\.8\/s retried out of 20\/s requests/);
    expect(find('streamhouse.s3.latency').evidence).toMatch(/^S3 p99 10 s over a 5 s sample .* critical above 5 s$/);
    expect(find('streamhouse.s3.errors').runbookCorrection).toContain('`streamhouse_s3_errors_total`');
  });

  it('consumer-lag: the worst partitions above the thresholds', async () => {
    const { find, severities } = await runHealth({ scenario: 'consumer-lag' });
    expect(severities).toEqual({ ...ALL_OK, 'streamhouse.consumer.lag': 'critical' });
    expect(find('streamhouse.consumer.lag').evidence).toBe(
      'billing on orders/2: 250,000 records behind; billing on orders/3: 48,000 records behind — warning above ' +
        '10,000, critical above 100,000',
    );
  });

  it('agent-dead: a stale heartbeat with leases, and the leases it blocks', async () => {
    const { find, severities, report } = await runHealth({ scenario: 'agent-dead', db: 'agent-dead' });
    expect(severities).toEqual({
      ...ALL_OK,
      'streamhouse.agents.stale-heartbeat': 'critical',
      'streamhouse.leases.dead-holder': 'critical',
    });
    expect(find('streamhouse.agents.stale-heartbeat').evidence).toBe(
      'agent-us-east-1c-03 (10.1.6.23:9090, us-east-1c): last heartbeat 4 min 5 s ago, holds 4 leases — agents ' +
        'heartbeat every 20 s, dead after 1 min',
    );
    expect(find('streamhouse.leases.dead-holder').evidence).toContain('orders/2 epoch 8616 expires in 50 s');
    expect(find('streamhouse.agents.stale-heartbeat').runbookCorrection).toContain('`leader_agent_id` and `epoch`');
    expect(report.summary).toBe(`2/3 agents alive, 12 leases (organization ${SAMPLE_ORG_ID} only); 2 critical`);
  });

  it('expired leases in the metadata store are critical', async () => {
    const { find, severities } = await runHealth({ db: 'expired-lease' });
    expect(severities['streamhouse.leases.expired']).toBe('critical');
    expect(find('streamhouse.leases.expired').evidence).toMatch(
      /^4 of 12 leases of organization [0-9a-f-]{36} expired: clicks\/2 \(agent-us-east-1c-03, epoch \d+\) expired 2 min 10 s ago; /,
    );
  });

  it('a failing metadata store behind /ready is critical', async () => {
    const { find, severities } = await runHealth({}, (h) => h.sim.setReady(false));
    expect(severities['streamhouse.server.ready']).toBe('critical');
    expect(find('streamhouse.server.ready').evidence).toBe('GET /ready → 503 with an empty body');
  });

  it('uses the injected clock: the same rows ten minutes later are dead agents', async () => {
    const { severities } = await runHealth({}, (h) => h.clock.advance(10 * 60_000));
    // The simulator keeps its live agents fresh, but the metadata rows (the authority) were written at NOW.
    expect(severities['streamhouse.agents.alive']).toBe('critical');
    expect(severities['streamhouse.leases.dead-holder']).toBe('ok');
    expect(severities['streamhouse.leases.expired']).toBe('critical');
  });
});

describe('real Streamhouse: a dead lease holder under row-level security', () => {
  it('real Streamhouse: a dead holder stays critical when RLS hides its leases from a non-owner role', async () => {
    // The example config's all-zero organization (deleted by migration 002), and no admin key for /admin/agents:
    // the bot cannot count the dead agent's leases. (Before: "holds 0 leases", a warning.)
    const { find, severities, report } = await runHealth({
      scenario: 'agent-dead',
      db: 'agent-dead',
      organizationId: '00000000-0000-0000-0000-000000000000',
      simulatorApiKey: 'sk_live_admin',
    });
    expect(severities['streamhouse.agents.stale-heartbeat']).toBe('critical');
    expect(find('streamhouse.agents.stale-heartbeat').evidence).toBe(
      'agent-us-east-1c-03 (10.1.6.23:9090, us-east-1c): last heartbeat 4 min 5 s ago, holds an unknown number of ' +
        "leases (row-level security hides partition_leases from the bot's role) — agents heartbeat every 20 s, dead " +
        'after 1 min',
    );
    expect(severities['streamhouse.leases.visibility']).toBe('inconclusive');
    expect(severities['streamhouse.leases.dead-holder']).toBeUndefined();
    expect(severities['streamhouse.leases.expired']).toBeUndefined();
    expect(find('streamhouse.agents.alive').evidence).toContain(
      'lease counts hidden from the bot by row-level security',
    );
    expect(report.summary).toBe('2/3 agents alive, leases hidden by row-level security; 1 critical, 1 inconclusive');
  });

  it("real Streamhouse: the server's /admin/agents count (it owns the tables) replaces the hidden one", async () => {
    const { find } = await runHealth({ scenario: 'agent-dead', db: 'agent-dead', organizationId: null });
    expect(find('streamhouse.agents.stale-heartbeat')).toMatchObject({ severity: 'critical' });
    expect(find('streamhouse.agents.stale-heartbeat').evidence).toContain('holds 4 leases —');
  });
});

describe('streamhouse health when something cannot be reached', () => {
  it('Streamhouse unreachable: one inconclusive line, and the metadata checks still run', async () => {
    const { report, find, severities } = await runHealth({ scenario: 'unreachable' });
    expect(report.verdict).toBe('inconclusive');
    const probe = find('streamhouse.probe.unreachable');
    expect(probe.title).toBe('Streamhouse prod is unreachable');
    expect(probe.evidence).toMatch(
      /^GET \/health failed: connection reset by the server \(127\.0\.0\.1:\d+\) \(all 3 probes failed\)$/,
    );
    expect(severities).toEqual({
      'streamhouse.probe.unreachable': 'inconclusive',
      'streamhouse.agents.alive': 'ok',
      'streamhouse.agents.stale-heartbeat': 'ok',
      'streamhouse.leases.visibility': 'ok',
      'streamhouse.leases.expired': 'ok',
      'streamhouse.leases.dead-holder': 'ok',
    });
  });

  it('metadata database unreachable: an inconclusive finding, agents from /admin/agents, no DSN anywhere', async () => {
    const { report, find, severities } = await runHealth({ db: 'unreachable' });
    expect(report.verdict).toBe('inconclusive');
    const probe = find('streamhouse.probe.metadata');
    expect(probe.severity).toBe('inconclusive');
    expect(probe.title).toBe('Metadata database of prod is unreachable');
    expect(probe.evidence).toMatch(
      /^reading agents failed: connection refused \(127\.0\.0\.1:\d+\) \(all 2 probes failed\)$/,
    );
    expect(find('streamhouse.agents.alive').evidence).toBe(
      '3 of 3 agents heartbeated within 1 min, holding 12 leases (from GET /admin/agents)',
    );
    expect(severities['streamhouse.leases.expired']).toBeUndefined();
    expect(severities['streamhouse.producer.circuit-breaker']).toBe('ok');
    expect(JSON.stringify(report)).not.toContain('s3cret-pw');
  });

  it('an admin key the bot lacks is a note, not an inconclusive report, when the metadata store answers', async () => {
    const { report } = await runHealth({ simulatorApiKey: 'sk_live_admin' });
    expect(report.verdict).toBe('ok');
    expect(report.notes?.join('\n')).toContain(
      "GET /admin/agents: Streamhouse rejected the bot's credentials (HTTP 401) — agents were read from the metadata store instead.",
    );
  });
});

describe('streamhouse health with Prometheus configured', () => {
  it('reads 5-minute rates from Prometheus and does not scrape /metrics', async () => {
    const { find, severities, h, report } = await runHealth({ scenario: 'circuit-open', prometheus: 'up' });
    expect(severities['streamhouse.producer.circuit-breaker']).toBe('critical');
    expect(find('streamhouse.producer.circuit-breaker').evidence).toMatch(
      /^210\/s writes rejected with error_type="s3_circuit_breaker" over the last 5m \(Prometheus, every scraped server\)/,
    );
    expect(h.sim.requests.some((r) => r.path === '/metrics')).toBe(false);
    expect(h.sim.requests.filter((r) => r.server === 'prometheus')).toHaveLength(6);
    expect(h.clock.now()).toBe(NOW);
    expect(report.notes?.[0]).toBe('Rates are over the last 5m (Prometheus, every scraped server).');
  });

  it('computes the same severities as the sampled path (s3-errors: p99 9 s from histogram_quantile)', async () => {
    const { find, severities } = await runHealth({ scenario: 's3-errors', prometheus: 'up' });
    expect(severities).toEqual({
      ...ALL_OK,
      'streamhouse.s3.errors': 'critical',
      'streamhouse.s3.latency': 'critical',
    });
    expect(find('streamhouse.s3.latency').evidence).toMatch(/^S3 p99 9 s over the last 5m/);
  });

  it('falls back to sampling /metrics when Prometheus does not answer, and says so', async () => {
    const { report, severities, h } = await runHealth({ scenario: 'rate-limited', prometheus: 'down' });
    expect(severities['streamhouse.producer.rate-limited']).toBe('warning');
    expect(h.sim.requests.filter((r) => r.path === '/metrics')).toHaveLength(2);
    expect(report.notes?.join('\n')).toMatch(
      /Prometheus did not answer \(GET \/api\/v1\/query failed: connection refused/,
    );
  });
});
