import type { CommandSpec } from '../src/core/command.js';
import { corvoCommand } from './corvo.js';
import { runbookCommand } from './runbook.js';

/** Every slash command, one line per system. */
export const commands: readonly CommandSpec[] = [corvoCommand, runbookCommand];
