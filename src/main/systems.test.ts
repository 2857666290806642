import { describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.js';
import { integrations } from '../../integrations/index.js';
import { systems, titleOf } from './systems.js';

describe('titleOf', () => {
  it('names every /runbook workflow for its ack line, never the raw "runbook <id>"', () => {
    const runbook = commands.find((c) => c.name === 'runbook');
    expect(runbook).toBeDefined();
    const workflows = runbook!.subcommands.map((s) => s.workflow);
    expect(workflows).toEqual(expect.arrayContaining(['audit', 'approvals', 'incidents', 'silences']));
    for (const w of workflows) expect(titleOf('runbook', w)).not.toBe(`runbook ${w}`);
  });

  it("names every system's workflows and fixes by their own titles", () => {
    for (const s of systems) {
      for (const w of [...s.workflows, ...s.remediations]) expect(titleOf(s.id, w.id)).toBe(w.title);
    }
  });
});

describe('the registries (integrations/, workflows/, commands/ index.ts) list the same systems', () => {
  const ids = (list: readonly { id: string }[]) => list.map((x) => x.id).sort();

  it('every integration has its runbook and every runbook its integration', () => {
    expect(ids(systems)).toEqual(ids(integrations));
    expect(new Set(ids(systems)).size).toBe(systems.length);
  });

  it("every system has its slash command, one subcommand per workflow and fix; only /runbook is the bot's own", () => {
    for (const s of systems) {
      const command = commands.find((c) => c.system === s.id);
      expect(command, `no command for ${s.id} in commands/index.ts`).toBeDefined();
      expect(command!.name).toBe(s.id);
      expect(command!.subcommands.map((c) => c.workflow).sort()).toEqual(
        [...s.workflows, ...s.remediations].map((w) => w.id).sort(),
      );
    }
    expect(commands.filter((c) => !systems.some((s) => s.id === c.system)).map((c) => c.name)).toEqual(['runbook']);
  });
});
