import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corvoCommand } from '../../commands/corvo.js';
import { createCorvoClient, CorvoInstanceSchema, type CorvoClient } from '../../integrations/corvo/index.js';
import { CORVO_SCENARIOS, startCorvoSimulator, type CorvoSimulator } from '../../integrations/corvo/simulator/index.js';
import { parseCommandText, renderHelp } from '../../src/core/command.js';
import { fixedClock } from '../../src/core/clock.js';
import { UserFacingError } from '../../src/core/user-facing-error.js';
import { SIM_T0, runOn } from '../../test/support/corvo/simulator-harness.js';
import { corvoWorkflows } from './index.js';
import { corvoRemediations } from './remediations.js';

/** What Slack shows of a report's notes: 1,000 characters of each, about 3,000 for all of them. */
const NOTE_MAX = 1000;
const NOTES_TOTAL_MAX = 2900;

describe('corvoWorkflows', () => {
  it('has one kebab-case id per runbook symptom, each with a one-line description', () => {
    const ids = corvoWorkflows.map((w) => w.id);
    expect(ids).toEqual([
      'health',
      'jobs-stuck-active',
      'jobs-stuck-pending',
      'sqlite-diverged',
      'apply-overloaded',
      'stream-overloaded',
      'leader-instability',
      'slow-fetches',
      'snapshot-issues',
      'cluster-join-errors',
      'runtime',
      'profiling',
    ]);
    for (const w of corvoWorkflows) {
      expect(w.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(w.description).not.toMatch(/\n/);
      expect(w.description.length).toBeLessThanOrEqual(120);
      expect(w.title).toMatch(/^Corvo /);
    }
    // A workflow and a fix must not share a subcommand.
    const fixes = new Set(corvoRemediations.map((r) => r.id));
    expect(ids.filter((id) => fixes.has(id))).toEqual([]);
  });

  it('the help text lists every workflow with its description and arguments', () => {
    const help = renderHelp(corvoCommand);
    for (const w of corvoWorkflows) {
      const usage = `/corvo ${w.id}${(w.args ?? []).map((a) => ` <${a.name}>`).join('')} [--target NAME]`;
      expect(help).toContain(`• ${usage} — ${w.description}`);
    }
    expect(help).toContain('• /corvo jobs-stuck-pending <queue> [--target NAME] — ');
    const lines = help.split('\n').filter((line) => line.startsWith('• /corvo '));
    // 12 workflows, `checklist <daily>`, the fixes and help.
    expect(lines).toHaveLength(12 + 1 + corvoRemediations.length + 1);
    expect(help).toContain('• /corvo checklist <daily> [--target NAME] — ');
  });

  it('jobs-stuck-pending needs its queue, validated before anything is queued', () => {
    const parsed = parseCommandText(corvoCommand, 'jobs-stuck-pending emails', ['prod']);
    expect(parsed).toMatchObject({ kind: 'run', workflow: 'jobs-stuck-pending', args: { queue: 'emails' } });
    expect(() => parseCommandText(corvoCommand, 'jobs-stuck-pending', ['prod'])).toThrow(/Missing <queue>/);
    expect(() => parseCommandText(corvoCommand, 'jobs-stuck-pending "a b"', ['prod'])).toThrow(UserFacingError);
  });
});

describe('every Corvo workflow on every simulator scenario', () => {
  let sim: CorvoSimulator;
  let client: CorvoClient;
  const clock = fixedClock(SIM_T0);
  beforeAll(async () => {
    sim = await startCorvoSimulator({ clock });
    client = createCorvoClient(CorvoInstanceSchema.parse({ url: sim.url, timeoutMs: 2000 }), { clock });
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  const fixes = new Map(corvoRemediations.map((r) => [r.id, r]));

  for (const scenario of CORVO_SCENARIOS) {
    it(`${scenario}: findings complete, fixes runnable, notes that fit, nothing changed on Corvo`, async () => {
      sim.setScenario(scenario);
      const callsBefore = sim.calls.length;
      for (const workflow of corvoWorkflows) {
        const r = await runOn(workflow, sim, client, clock, { queue: 'emails' });
        const where = `${workflow.id} on ${scenario}`;
        expect(r.summary, where).toBeTruthy();
        for (const f of r.findings) {
          const what = `${where}: ${f.code}`;
          expect(f.code, what).toMatch(/^corvo\.[a-z-]+\.[a-z0-9-]+$/);
          expect(f.section, what).toBeTruthy();
          expect(f.evidence, what).toBeTruthy();
          if (f.severity === 'warning' || f.severity === 'critical') expect(f.nextStep, what).toBeTruthy();
          for (const action of f.actions ?? []) {
            const fix = fixes.get(action.remediation);
            expect(fix, `${what} offers ${action.remediation}`).toBeDefined();
            expect(action.level, what).toBe(fix!.level);
            expect(action.label.length, what).toBeLessThanOrEqual(30);
            for (const param of fix!.params) {
              const value = action.params[param.name];
              expect(value, `${what} ${param.name}`).toBeDefined();
              if (param.pattern) expect(value, `${what} ${param.name}`).toMatch(param.pattern);
            }
          }
        }
        const notes = r.notes ?? [];
        for (const note of notes) expect(note.length, where).toBeLessThanOrEqual(NOTE_MAX);
        expect(notes.join('\n').length, where).toBeLessThanOrEqual(NOTES_TOTAL_MAX);
        if (scenario === 'unreachable' && workflow.id !== 'profiling') {
          expect(
            r.findings.map((f) => f.code),
            where,
          ).toEqual(['corvo.probe.unreachable']);
        }
      }
      expect(sim.calls.slice(callsBefore)).toEqual([]);
    });
  }
});
