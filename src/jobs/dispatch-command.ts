import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { CommandReply, CommandRequest, CommandSpec } from '../core/command-spec.js';
import type { Invocation } from '../core/invocation.js';
import type { Logger } from '../core/logger.js';
import { parseCommandText } from '../core/parse-command-text.js';
import { isUserFacingError } from '../core/user-facing-error.js';
import type { Clock } from '../core/clock.js';
import { recordInvocation } from '../store/invocations.js';
import type { BotQueues } from './create-queues.js';

export interface DispatchDeps {
  readonly commands: readonly CommandSpec[];
  /** Configured instance names of a system. */
  readonly targetsOf: (system: string) => readonly string[];
  /** Display name of a workflow for the ack line ("Corvo health"). */
  readonly titleOf: (system: string, workflow: string) => string;
  readonly queues: BotQueues;
  readonly db: pg.Pool;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Deterministic invocation id: the same delivery always yields the same id (and so the same BullMQ jobId). */
export function invocationIdFor(platform: string, deliveryKey: string): string {
  return `inv_${createHash('sha256').update(`${platform}\0${deliveryKey}`).digest('hex').slice(0, 20)}`;
}

/** Slack (and the demo's terminal) commands start with `/`; in Teams they are typed without it: `corvo health`. */
function prefixFor(platform: string): string {
  return platform === 'teams' ? '' : '/';
}

function listCommands(commands: readonly CommandSpec[], prefix: string): string {
  return commands.map((c) => `${prefix}${c.name} help`).join(', ');
}

/**
 * Resolves a command, validates it, records it and queues its job. Resolves once the job is durably in Redis;
 * throws (so the platform answers with an error status) only when Redis or Postgres is unavailable.
 */
export async function dispatchCommand(req: CommandRequest, deps: DispatchDeps): Promise<CommandReply> {
  const invocationId = invocationIdFor(req.actor.platform, req.deliveryKey);
  // Made only when something is logged: a child logger per command is measurable on the ack path.
  const log = () =>
    deps.logger.child({ invocationId, platform: req.actor.platform, channel: req.conversation.channelId });
  const spec = deps.commands.find((c) => c.name === req.command);
  const base = {
    invocationId,
    actor: req.actor,
    conversation: req.conversation,
    requestedAt: new Date(deps.clock.now()).toISOString(),
  };
  if (!spec) {
    const prefix = prefixFor(req.actor.platform);
    return {
      text: `Unknown command ${prefix}${req.command.slice(0, 40)}. Try ${listCommands(deps.commands, prefix)}.`,
    };
  }
  let parsed;
  try {
    parsed = parseCommandText(spec, req.text, deps.targetsOf(spec.system));
  } catch (err) {
    if (!isUserFacingError(err)) throw err;
    await recordInvocation(
      deps.db,
      { ...base, system: spec.system, workflow: '(invalid)', target: '', args: {} },
      'rejected',
    );
    log().info({ code: err.code }, 'command rejected');
    return { text: err.message };
  }
  if (parsed.kind === 'help') return { text: parsed.text };

  if (parsed.kind === 'remediate') {
    // A fix asked for by name: open an approval request (the worker posts the card). Nothing runs yet.
    await deps.queues.interactions.add(
      'request',
      {
        kind: 'request',
        system: parsed.system,
        target: parsed.target,
        remediation: parsed.workflow,
        params: { ...parsed.args },
        actor: req.actor,
        conversation: req.conversation,
        deliveryKey: invocationId,
      },
      { jobId: `request-${invocationId}` },
    );
    await recordInvocation(
      deps.db,
      { ...base, system: parsed.system, workflow: parsed.workflow, target: parsed.target, args: parsed.args },
      'succeeded',
    );
    log().info({ system: parsed.system, remediation: parsed.workflow, target: parsed.target }, 'fix requested');
    return {
      text: `Asking for ${deps.titleOf(parsed.system, parsed.workflow)} on ${parsed.target}: an approval card will appear in this channel. (${invocationId})`,
      invocationId,
    };
  }

  const invocation: Invocation = {
    ...base,
    system: parsed.system,
    workflow: parsed.workflow,
    target: parsed.target,
    args: parsed.args,
  };
  // Queue first: a job in Redis is the durable record that the work will happen. The worker records the
  // invocation in Postgres (idempotently) when it starts.
  await deps.queues.diagnostics.add(`${invocation.system}.${invocation.workflow}`, invocation, { jobId: invocationId });
  // debug, not info: one line per command on the ack path costs throughput; the audit trail is in Postgres.
  deps.logger.debug(
    {
      invocationId,
      platform: req.actor.platform,
      channel: req.conversation.channelId,
      system: invocation.system,
      workflow: invocation.workflow,
      target: invocation.target,
    },
    'command queued',
  );
  const on = invocation.target ? ` on ${invocation.target}` : '';
  return {
    text: `Running ${deps.titleOf(invocation.system, invocation.workflow)}${on}… (${invocationId})`,
    invocationId,
  };
}
