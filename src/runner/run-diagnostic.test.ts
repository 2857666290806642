// Offered fixes take their parameters from a target (a queue's name): the runner stores an offer, and so a button,
// only when the parameters pass the fix's own argument specs — the same rule as a typed command.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corvoRemediations } from '../../workflows/corvo/remediations.js';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import type { ProposedAction } from '../core/report.js';
import type { SystemModule } from '../core/system.js';
import { createMigratedTestPool } from '../../test/support/services.js';
import { runDiagnostic } from './run-diagnostic.js';

let db: pg.Pool;

beforeAll(async () => {
  db = await createMigratedTestPool(2);
}, 60_000);

afterAll(async () => {
  await db?.end();
});

const resume = (queue: string): ProposedAction => ({
  remediation: 'resume',
  label: `Resume ${queue}`,
  params: { queue },
  level: 'confirm',
  destructive: false,
});

const HOSTILE = ['..', '.', '%2e%2e', 'Q <!channel> <https://evil.example|click me>', 'a/../b', ''];

function systemWith(actions: ProposedAction[]): SystemModule {
  return {
    id: 'corvo',
    displayName: 'Corvo',
    instanceSchema: undefined as never,
    createClients: () => ({}),
    remediations: corvoRemediations as never,
    workflows: [
      {
        id: 'health',
        title: 'Corvo health',
        description: 'test',
        run: async () => ({
          findings: [
            { code: 'corvo.queues.paused', severity: 'warning', title: 'Queues paused', evidence: 'paused', actions },
          ],
        }),
      },
    ],
  };
}

describe('runDiagnostic: offers from target data', () => {
  it('stores an offer only for parameters that pass the fix’s ArgSpec, and says why the others have no button', async () => {
    const invocationId = `inv_offers_${Date.now()}`;
    const report = await runDiagnostic(
      {
        invocationId,
        system: 'corvo',
        workflow: 'health',
        target: 'prod',
        args: {},
        actor: { platform: 'slack', userId: 'U0ALICE' },
        conversation: { platform: 'slack', channelId: 'C0TEST' },
        requestedAt: new Date().toISOString(),
      },
      {
        db,
        systems: [systemWith([resume('emails'), ...HOSTILE.map(resume)])],
        clientsFor: () => ({}),
        engineWorkflows: {},
        clock: systemClock,
        logger: silentLogger,
        timeoutMs: 10_000,
      },
    );
    const actions = report.findings[0]!.actions ?? [];
    expect(actions.map((a) => a.params.queue)).toEqual(['emails']);
    expect(actions[0]!.offerId).toMatch(/^ofr_/);
    const { rows } = await db.query(`select params from action_offers where invocation_id = $1`, [invocationId]);
    expect(rows.map((r: { params: { queue: string } }) => r.params.queue)).toEqual(['emails']);
    expect(report.notes).toHaveLength(HOSTILE.length);
    expect(report.notes![0]).toMatch(
      /^No "Resume queue" button for "Queues paused": <queue> is not a valid queue name/,
    );
    expect(report.notes!.join('\n')).toContain('queue=".."');
  });
});
