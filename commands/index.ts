import type { CommandSpec } from '../src/core/command.js';
import { corvoCommand } from './corvo.js';
import { kyrodbCommand } from './kyrodb.js';
import { m4Command } from './m4.js';
import { runbookCommand } from './runbook.js';
import { streamhouseCommand } from './streamhouse.js';
import { tryitnowCommand } from './tryitnow.js';

/** Every slash command, one line per system. */
export const commands: readonly CommandSpec[] = [
  corvoCommand,
  tryitnowCommand,
  m4Command,
  kyrodbCommand,
  streamhouseCommand,
  runbookCommand,
];
