import { describe, expect, it } from 'vitest';
import { createSystemCommand, parseCommandText, renderHelp } from '../../src/core/command.js';
import { m4Workflows } from './index.js';
import { m4Remediations } from './remediations.js';

describe('m4Workflows', () => {
  it('lists run, outbox and stream', () => {
    expect(m4Workflows.map((w) => w.id)).toEqual(['run', 'outbox', 'stream']);
  });

  it('parse as /m4 subcommands: run needs a valid run id, stream takes --from-seq', () => {
    const spec = createSystemCommand('m4', 'M4', m4Workflows, m4Remediations);
    expect(parseCommandText(spec, 'run r-7c1f2a', ['prod'])).toMatchObject({
      kind: 'run',
      workflow: 'run',
      target: 'prod',
      args: { runId: 'r-7c1f2a' },
    });
    expect(() => parseCommandText(spec, 'run', ['prod'])).toThrow(/Missing <runId>/);
    expect(() => parseCommandText(spec, 'run "r 1"', ['prod'])).toThrow(/Invalid <runId>/);
    expect(parseCommandText(spec, 'stream r-1 --from-seq 5', ['prod'])).toMatchObject({
      args: { runId: 'r-1', 'from-seq': '5' },
    });
    expect(() => parseCommandText(spec, 'stream r-1 --from-seq five', ['prod'])).toThrow(
      /Invalid value for --from-seq/,
    );
    expect(renderHelp(spec)).toContain('/m4 run <runId> [--target NAME]');
  });
});
