// What a user types after a slash command, as the parser reads it: words and quotes, the subcommand, `--options`,
// the target, and a usage answer (never a run) for anything it cannot run.
import { describe, expect, it } from 'vitest';
import type { CommandSpec } from './command-spec.js';
import { createSystemCommand } from './create-system-command.js';
import { parseCommandText } from './parse-command-text.js';
import { renderHelp } from './render-help.js';
import { tokenizeCommand } from './tokenize-command.js';
import { isUserFacingError } from './user-facing-error.js';

const spec = createSystemCommand(
  'corvo',
  'Corvo',
  [
    { id: 'health', description: 'Overall health' },
    {
      id: 'jobs-stuck-pending',
      description: 'Jobs that never start',
      args: [{ name: 'queue', description: 'queue name', required: true, pattern: /^[\w. -]+$/ }],
      options: [{ name: 'limit', description: 'how many', pattern: /^\d+$/ }],
    },
    {
      id: 'slow-fetches',
      description: 'Slow fetches',
      args: [{ name: 'queue', description: 'queue name', required: false }],
    },
  ],
  [
    {
      id: 'rebuild-sqlite',
      description: 'Rebuild the SQLite mirror',
      params: [{ name: 'node', description: 'node id', required: true }],
      level: 'approval',
    },
  ],
);

/** The message of the usage error `text` is answered with (fails when it parses). */
function refusal(text: string, targets: readonly string[] = ['prod']): { code: string; message: string } {
  try {
    parseCommandText(spec, text, targets);
  } catch (err) {
    if (isUserFacingError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error(`"${text}" was accepted`);
}

describe('tokenizeCommand', () => {
  it.each([
    ['health', ['health']],
    ['  health   --target\tprod  ', ['health', '--target', 'prod']],
    ['"two words" next', ['two words', 'next']],
    ['\'single quoted\' "double"', ['single quoted', 'double']],
    ['say "it\'s" fine', ['say', "it's", 'fine']],
    ['""', ['']],
    ['a"b c"d', ['a"b', 'c"d']],
    ['"unclosed quote', ['"unclosed', 'quote']],
    ['--opt="a b"', ['--opt="a', 'b"']],
    ['', []],
  ])('%j → %j', (text, tokens) => {
    expect(tokenizeCommand(text)).toEqual(tokens);
  });
});

describe('parseCommandText', () => {
  it('empty text, help, --help and -h answer with the help text', () => {
    for (const text of ['', '   ', 'help', 'HELP', '--help', '-h']) {
      expect(parseCommandText(spec, text, ['prod'])).toEqual({ kind: 'help', text: renderHelp(spec) });
    }
  });

  it('runs a subcommand on the only configured target', () => {
    expect(parseCommandText(spec, 'health', ['prod'])).toEqual({
      kind: 'run',
      system: 'corvo',
      workflow: 'health',
      subcommand: 'health',
      target: 'prod',
      args: {},
    });
  });

  it('subcommand names are case-insensitive; argument values keep their case', () => {
    expect(parseCommandText(spec, 'Jobs-Stuck-Pending Emails', ['prod'])).toMatchObject({
      workflow: 'jobs-stuck-pending',
      args: { queue: 'Emails' },
    });
  });

  it('a quoted positional argument keeps its spaces', () => {
    expect(parseCommandText(spec, 'jobs-stuck-pending "daily reports"', ['prod'])).toMatchObject({
      args: { queue: 'daily reports' },
    });
  });

  it('options: `--name value` and `--name=value`, names case-insensitive, among positionals', () => {
    for (const text of [
      'jobs-stuck-pending emails --limit 5',
      'jobs-stuck-pending --limit 5 emails',
      'jobs-stuck-pending emails --LIMIT=5',
    ]) {
      expect(parseCommandText(spec, text, ['prod'])).toMatchObject({ args: { queue: 'emails', limit: '5' } });
    }
  });

  it('--target picks an instance, in either spelling', () => {
    const targets = ['prod', 'staging'];
    expect(parseCommandText(spec, 'health --target staging', targets)).toMatchObject({ target: 'staging' });
    expect(parseCommandText(spec, 'health --target=prod', targets)).toMatchObject({ target: 'prod' });
  });

  it('an optional argument may be left out', () => {
    expect(parseCommandText(spec, 'slow-fetches', ['prod'])).toMatchObject({ kind: 'run', args: {} });
  });

  it('a fix asked for by name is a remediate request, not a run', () => {
    expect(parseCommandText(spec, 'rebuild-sqlite n2', ['prod'])).toEqual({
      kind: 'remediate',
      system: 'corvo',
      workflow: 'rebuild-sqlite',
      subcommand: 'rebuild-sqlite',
      target: 'prod',
      args: { node: 'n2' },
    });
  });

  it('an engine command that needs no target runs with none configured', () => {
    const runbook: CommandSpec = {
      name: 'runbook',
      system: 'runbook',
      displayName: 'Runbook',
      description: 'the bot',
      subcommands: [{ name: 'audit', description: 'Recent commands', args: [], workflow: 'audit', needsTarget: false }],
    };
    expect(parseCommandText(runbook, 'audit', [])).toMatchObject({ kind: 'run', workflow: 'audit', target: '' });
  });

  it('an unknown subcommand is answered with the whole help', () => {
    const { code, message } = refusal('nonsense');
    expect(code).toBe('usage');
    expect(message).toBe(`Unknown subcommand "nonsense".\n${renderHelp(spec)}`);
  });

  it('a long unknown subcommand is cut in the answer', () => {
    expect(refusal(`x${'y'.repeat(100)}`).message.split('\n')[0]).toBe(`Unknown subcommand "x${'y'.repeat(39)}".`);
  });

  it('too many arguments: usage of that subcommand', () => {
    expect(refusal('jobs-stuck-pending emails extra').message).toBe(
      'Too many arguments.\nUsage: /corvo jobs-stuck-pending <queue> [--limit <limit>] [--target NAME]',
    );
    expect(refusal('health extra').message).toBe('Too many arguments.\nUsage: /corvo health [--target NAME]');
  });

  it('a missing required argument: usage of that subcommand', () => {
    expect(refusal('jobs-stuck-pending').message).toBe(
      'Missing <queue>.\nUsage: /corvo jobs-stuck-pending <queue> [--limit <limit>] [--target NAME]',
    );
  });

  it.each([
    ['jobs-stuck-pending emails --limit', /^--limit needs a value\./],
    ['jobs-stuck-pending emails --limit=', /^--limit needs a value\./],
    ['health --target', /^--target needs a value\./],
    ['jobs-stuck-pending emails --limit ten', /^Invalid value for --limit\./],
    ['jobs-stuck-pending emails --color red', /^Unknown option --color\./],
    ['health --limit 5', /^Unknown option --limit\./],
    ['jobs-stuck-pending "a/b"', /^Invalid <queue>: "a\/b"\./],
  ])('`%s` is refused with usage', (text, first) => {
    const { code, message } = refusal(text);
    expect(code).toBe('usage');
    expect(message).toMatch(first);
    expect(message).toMatch(/\nUsage: \/corvo /);
  });

  it('text over 500 characters is refused before it is read', () => {
    const { code, message } = refusal(`health ${'x'.repeat(500)}`);
    expect(code).toBe('usage');
    expect(message.split('\n')[0]).toBe('That command is too long (507 characters).');
  });

  it('target errors: unknown, none configured, ambiguous', () => {
    expect(refusal('health --target qa', ['prod', 'staging'])).toEqual({
      code: 'unknown-target',
      message: 'No Corvo instance named "qa". Configured: prod, staging.',
    });
    expect(refusal('health', [])).toEqual({
      code: 'no-target',
      message: 'No Corvo instance is configured (add one under targets.corvo in the bot config).',
    });
    expect(refusal('health', ['prod', 'staging'])).toEqual({
      code: 'ambiguous-target',
      message: 'Several Corvo instances are configured: prod, staging. Add --target NAME.',
    });
  });
});

describe('renderHelp', () => {
  it('lists every subcommand with its usage and description, then help itself', () => {
    expect(renderHelp(spec)).toBe(
      [
        '/corvo — Corvo runbook',
        '',
        '• /corvo health [--target NAME] — Overall health',
        '• /corvo jobs-stuck-pending <queue> [--limit <limit>] [--target NAME] — Jobs that never start',
        '• /corvo slow-fetches [queue] [--target NAME] — Slow fetches',
        '• /corvo rebuild-sqlite <node> [--target NAME] — Rebuild the SQLite mirror',
        '• /corvo help — this list',
      ].join('\n'),
    );
  });
});
