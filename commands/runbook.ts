import type { CommandSpec, SubcommandSpec } from '../src/core/command.js';

/** A subcommand that runs an engine action: it names what runs, for the ack line (`Running the audit trail…`). */
export interface EngineSubcommandSpec extends SubcommandSpec {
  readonly title: string;
}

/** A command of engine actions only (`/runbook`). */
export interface EngineCommandSpec extends CommandSpec {
  readonly subcommands: readonly EngineSubcommandSpec[];
}

/** `/runbook`: the bot's own commands. */
export const runbookCommand: EngineCommandSpec = {
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
      title: 'the pending approvals',
      needsTarget: false,
    },
    {
      name: 'audit',
      description: 'Recent commands: who ran what, where, when, against which target, and the outcome.',
      args: [{ name: 'n', description: 'how many (default 20, at most 100)', required: false, pattern: /^\d{1,3}$/ }],
      workflow: 'audit',
      title: 'the audit trail',
      needsTarget: false,
    },
    {
      name: 'incidents',
      description:
        'Recent incidents from PagerDuty and Alertmanager: state, link, and their thread (or storm summary).',
      args: [{ name: 'n', description: 'how many (default 20, at most 100)', required: false, pattern: /^\d{1,3}$/ }],
      workflow: 'incidents',
      title: 'the recent incidents',
      needsTarget: false,
    },
    {
      name: 'silences',
      description: 'Active Alertmanager silences the bot created: matchers, end, who asked, and their incident.',
      args: [],
      workflow: 'silences',
      title: 'the active silences',
      needsTarget: false,
    },
    {
      name: 'schedules',
      description: 'Scheduled runs (schedules: in the config): target, when, channel, last run and next run.',
      args: [],
      workflow: 'schedules',
      title: 'the schedules',
      needsTarget: false,
    },
    {
      name: 'escalations',
      description: 'Pages the bot has open in PagerDuty now: system, target, finding, since when, dedup key.',
      args: [],
      workflow: 'escalations',
      title: 'the open pages',
      needsTarget: false,
    },
  ],
};
