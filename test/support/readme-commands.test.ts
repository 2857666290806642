import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The `## Commands` section of the README, up to the next `## ` heading. */
function commandsSection(text: string): string {
  const start = text.indexOf('\n## Commands\n');
  expect(start, 'README has a "## Commands" section').toBeGreaterThan(-1);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end === -1 ? undefined : end);
}

/**
 * Every `/<command> <subcommand>` the table's first column names. A cell may list several: `/corvo resume <queue>`,
 * `unlimit <queue>` — a code span without a slash belongs to the command named before it in the same cell.
 */
function documented(section: string): Set<string> {
  const found = new Set<string>();
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  for (const row of rows) {
    const firstCell = row.split(' | ')[0]!;
    let command: string | undefined;
    for (const [, span] of firstCell.matchAll(/`([^`]+)`/g)) {
      const words = span!.trim().split(/\s+/);
      if (words[0]!.startsWith('/')) command = words.shift()!.slice(1);
      if (command !== undefined && words[0] !== undefined) found.add(`/${command} ${words[0]}`);
    }
  }
  return found;
}

describe("README's commands table", () => {
  const table = documented(commandsSection(readme));

  it('names every subcommand of commands/index.ts (a new one fails here until it has its row)', () => {
    const missing = commands.flatMap((c) =>
      c.subcommands.map((s) => `/${c.name} ${s.name}`).filter((name) => !table.has(name)),
    );
    expect(missing).toEqual([]);
  });

  it('names nothing that is not a subcommand (or help) of commands/index.ts', () => {
    const known = new Set(
      commands.flatMap((c) => ['help', ...c.subcommands.map((s) => s.name)].map((s) => `/${c.name} ${s}`)),
    );
    expect([...table].filter((name) => !known.has(name))).toEqual([]);
  });

  it('names help for every command', () => {
    for (const c of commands) expect(table).toContain(`/${c.name} help`);
  });
});
