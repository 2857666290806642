import { afterEach, describe, expect, it } from 'vitest';
import { SAMPLE_ORG_ID } from '../../integrations/streamhouse/simulator/sample-cluster.js';
import { createHarness, type Harness, type HarnessOptions } from '../../test/support/streamhouse/harness.js';
import { schemasWorkflow } from './schemas.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function runSchemas(
  o: HarnessOptions = {},
  args: Record<string, string> = {},
  prepare?: (h: Harness) => Promise<void>,
) {
  harness = await createHarness(o);
  await prepare?.(harness);
  const result = await schemasWorkflow.run(harness.context(args));
  const severities = Object.fromEntries(result.findings.map((f) => [f.code, f.severity]));
  const find = (code: string) => {
    const f = result.findings.find((x) => x.code === code);
    if (!f) throw new Error(`no finding ${code}`);
    return f;
  };
  return { result, severities, find, h: harness };
}

async function setCompatibility(h: Harness, subject: string, level: string): Promise<void> {
  const res = await fetch(`${h.sim.url}/schemas/config/${subject}`, {
    method: 'PUT',
    headers: { 'x-organization-id': SAMPLE_ORG_ID, 'content-type': 'application/json' },
    body: JSON.stringify({ compatibility: level }),
  });
  expect(res.status).toBe(200);
}

describe('streamhouse schemas', () => {
  it('lists subjects with versions, latest id and effective compatibility, as the configured organization', async () => {
    const { result, severities, find, h } = await runSchemas();
    expect(severities).toEqual({
      'streamhouse.schemas.subjects': 'ok',
      'streamhouse.schemas.compatibility-none': 'ok',
    });
    expect(find('streamhouse.schemas.subjects').evidence).toBe(
      '3 subjects; global compatibility BACKWARD: orders-value v1–v3 (3) (latest id 12, AVRO), BACKWARD from global; ' +
        'payments-value v1–v2 (2) (latest id 21, JSON), FULL from subject; clicks-value v1 (latest id 30, AVRO), ' +
        'BACKWARD from global',
    );
    // The correction is always attached: the runbook's ways to check the registry do not work.
    expect(find('streamhouse.schemas.subjects').runbookCorrection).toContain(
      '`/compatibility/subjects/...`, which does not exist',
    );
    expect(result.summary).toBe('3 subjects; all 2 checks ok');
    const registry = h.sim.requests.filter((r) => r.path.startsWith('/schemas/'));
    expect(registry.length).toBe(2 + 3 * 3);
    expect(registry.every((r) => r.organizationId === SAMPLE_ORG_ID)).toBe(true);
  });

  it('one subject when asked, and only its requests', async () => {
    const { severities, find, h } = await runSchemas({}, { subject: 'payments-value' });
    expect(severities['streamhouse.schemas.subject-not-found']).toBe('ok');
    expect(find('streamhouse.schemas.subjects').evidence).toContain(
      'payments-value v1–v2 (2) (latest id 21, JSON), FULL from subject',
    );
    expect(h.sim.requests.some((r) => r.path.includes('orders-value'))).toBe(false);
  });

  it('an unknown subject is a warning, not an inconclusive report', async () => {
    const { result, severities, find } = await runSchemas({}, { subject: 'ghost-value' });
    expect(severities).toEqual({
      'streamhouse.schemas.subject-not-found': 'warning',
      'streamhouse.schemas.compatibility-none': 'ok',
    });
    expect(find('streamhouse.schemas.subject-not-found').evidence).toBe(
      'GET /schemas/subjects/ghost-value/versions → 404 (error_code 40401)',
    );
    expect(result.summary).toBe('ghost-value; 1 warning');
  });

  it('compatibility NONE on a subject is a warning', async () => {
    const { severities, find } = await runSchemas({}, {}, (h) => setCompatibility(h, 'clicks-value', 'NONE'));
    expect(severities['streamhouse.schemas.compatibility-none']).toBe('warning');
    expect(find('streamhouse.schemas.compatibility-none').evidence).toBe(
      'compatibility NONE on clicks-value (subject)',
    );
  });

  it('registry unreachable: one inconclusive finding', async () => {
    const { result } = await runSchemas({ scenario: 'unreachable' });
    expect(result.findings.map((f) => [f.code, f.severity, f.title])).toEqual([
      ['streamhouse.probe.schema-registry', 'inconclusive', 'The schema registry of prod is unreachable'],
    ]);
  });
});
