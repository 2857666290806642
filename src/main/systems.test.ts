import { describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.js';
import { titleOf } from './systems.js';

describe('titleOf', () => {
  it('names every /runbook workflow for its ack line, never the raw "runbook <id>"', () => {
    const runbook = commands.find((c) => c.name === 'runbook');
    expect(runbook).toBeDefined();
    const workflows = runbook!.subcommands.map((s) => s.workflow);
    expect(workflows).toEqual(expect.arrayContaining(['audit', 'approvals', 'incidents', 'silences']));
    for (const w of workflows) expect(titleOf('runbook', w)).not.toBe(`runbook ${w}`);
  });
});
