import type { CommandSpec } from '../src/core/command.js';

/** `/runbook`: the bot's own commands. */
export const runbookCommand: CommandSpec = {
  name: 'runbook',
  system: 'runbook',
  displayName: 'runbook-bot',
  description: 'the bot itself',
  subcommands: [
    {
      name: 'approvals',
      description: 'Requests waiting for approval, with their age and expiry.',
      args: [],
      workflow: 'approvals',
      needsTarget: false,
    },
    {
      name: 'audit',
      description: 'Recent commands: who ran what, where, when, against which target, and the outcome.',
      args: [{ name: 'n', description: 'how many (default 20, at most 100)', required: false, pattern: /^\d{1,3}$/ }],
      workflow: 'audit',
      needsTarget: false,
    },
    {
      name: 'incidents',
      description:
        'Recent incidents from PagerDuty and Alertmanager: state, link, and their thread (or storm summary).',
      args: [{ name: 'n', description: 'how many (default 20, at most 100)', required: false, pattern: /^\d{1,3}$/ }],
      workflow: 'incidents',
      needsTarget: false,
    },
    {
      name: 'silences',
      description: 'Active Alertmanager silences the bot created: matchers, end, who asked, and their incident.',
      args: [],
      workflow: 'silences',
      needsTarget: false,
    },
  ],
};
