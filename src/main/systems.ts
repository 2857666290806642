import { runbookCommand } from '../../commands/runbook.js';
import { systems } from '../../workflows/index.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { BotConfig } from '../config/config-file.js';

/** Integrations joined with their workflows (`workflows/index.ts`). */
export { systems };

/**
 * Clients per configured instance, built once per process and reused (keep-alive connections). Config is fixed
 * for the life of a process, so this cache holds no state that other processes would need to see.
 */
export function createClientsCache(config: BotConfig, clock: Clock = systemClock) {
  const cache = new Map<string, unknown>();
  const clientsFor = (system: string, target: string): unknown => {
    const key = `${system}\0${target}`;
    if (cache.has(key)) return cache.get(key);
    const module = systems.find((s) => s.id === system);
    const instance = config.targets[system]?.[target];
    if (!module || instance === undefined) return undefined;
    const clients = module.createClients(instance, { clock });
    cache.set(key, clients);
    return clients;
  };
  /** Closes every client built (connection pools, keep-alive agents): each client object's own `close()`. */
  const closeAll = async (): Promise<void> => {
    const closers = [...cache.values()].flatMap((clients) =>
      Object.values(clients as Record<string, { close?: () => Promise<void> | void }>)
        .filter((c) => typeof c?.close === 'function')
        .map((c) => Promise.resolve(c.close!()).catch(() => {})),
    );
    cache.clear();
    await Promise.all(closers);
  };
  return Object.assign(clientsFor, { closeAll });
}

/** Configured instance names of a system. */
export function targetsOf(config: BotConfig, system: string): string[] {
  return Object.keys(config.targets[system] ?? {});
}

/**
 * What the ack line says runs ("Running Corvo health…"): the workflow's or fix's own title, or for the bot's own
 * commands (`/runbook audit`) the title its subcommand declares.
 */
export function titleOf(system: string, workflow: string): string {
  const module = systems.find((s) => s.id === system);
  return (
    module?.workflows.find((w) => w.id === workflow)?.title ??
    module?.remediations.find((r) => r.id === workflow)?.title ??
    (system === runbookCommand.system
      ? runbookCommand.subcommands.find((s) => s.workflow === workflow)?.title
      : undefined) ??
    `${system} ${workflow}`
  );
}
