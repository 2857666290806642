/**
 * Microsoft 365 Agents Playground (`@microsoft/m365agentsplayground`, a devDependency pinned to 0.2.28): Microsoft's
 * local Teams emulator, a web client that renders Adaptive Cards with Teams' renderer and a mock Bot Connector at
 * `/_connector` that the bot answers to. Used by `npm run demo -- --teams` and the Playground end-to-end suite.
 *
 * Its page acts as one user (`currentUser`) and cannot switch. A second person's click goes through the
 * Playground's own invoke endpoint, which keeps the `from` it is given (platforms-2.md §8.3): an internal,
 * undocumented endpoint of 0.2.28, hence the exact pin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'node_modules', '@microsoft', 'm365agentsplayground', 'cli.js');

export interface PlaygroundUser {
  readonly id: string;
  readonly name: string;
  readonly aadObjectId: string;
  readonly givenName: string;
  readonly surname: string;
  readonly email: string;
}

function user(n: number, givenName: string, surname: string): PlaygroundUser {
  return {
    id: `user-id-${n}`,
    name: `${givenName} ${surname}`,
    aadObjectId: `00000000-0000-4000-8000-0000000000${20 + n}`,
    givenName,
    surname,
    email: `${givenName.toLowerCase()}@example.com`,
  };
}

/** The person the Playground's page acts as. */
export const PLAYGROUND_ME = user(0, 'Alex', 'Wilber');
/** Exactly five more users: the Playground's config schema requires five. */
export const PLAYGROUND_USERS: readonly PlaygroundUser[] = [
  user(1, 'Megan', 'Bowen'),
  user(2, 'Adele', 'Vance'),
  user(3, 'Lee', 'Gu'),
  user(4, 'Nestor', 'Wilke'),
  user(5, 'Patti', 'Fernandez'),
];
export const PLAYGROUND_TENANT = '00000000-0000-4000-8000-000000000001';
export const PLAYGROUND_BOT = { id: '00000000-0000-4000-8000-000000000011', name: 'runbook-bot' };
export const PLAYGROUND_PERSONAL_CHAT = 'personal-chat-id';
export const PLAYGROUND_TEAM = { id: 'team-id', name: 'SRE', channel: { id: 'channel-oncall-id', name: 'oncall' } };

/** `.m365agentsplayground.yml` (schema 0.1.1, checked by the Playground at start; `userPrincipleName` is its spelling). */
function configYaml(): string {
  const entry = (u: PlaygroundUser) =>
    JSON.stringify({
      id: u.id,
      name: u.name,
      userPrincipleName: u.email,
      aadObjectId: u.aadObjectId,
      givenName: u.givenName,
      surname: u.surname,
      email: u.email,
    });
  return [
    'version: "0.1.1"',
    `tenantId: ${PLAYGROUND_TENANT}`,
    `bot: ${JSON.stringify(PLAYGROUND_BOT)}`,
    `currentUser: ${entry(PLAYGROUND_ME)}`,
    'users:',
    ...PLAYGROUND_USERS.map((u) => `  - ${entry(u)}`),
    `personalChat: { id: ${PLAYGROUND_PERSONAL_CHAT} }`,
    'groupChat: { id: group-chat-id, name: Group Chat }',
    `team: { id: ${PLAYGROUND_TEAM.id}, name: ${PLAYGROUND_TEAM.name}, aadGroupId: 00000000-0000-4000-8000-000000000031, ` +
      `channels: [ { id: ${PLAYGROUND_TEAM.channel.id}, name: ${PLAYGROUND_TEAM.channel.name} } ] }`,
    '',
  ].join('\n');
}

export interface AgentsPlayground {
  /** The web client, e.g. `http://localhost:56150/`. */
  readonly url: string;
  readonly port: number;
  /** Where the config, the log and the events recording are. */
  readonly dir: string;
  /** Everything the CLI printed. */
  output(): string;
  /**
   * Clicks an `Action.Execute` button as another user: the Playground forwards an `adaptiveCard/action` invoke with
   * that `from` and returns the bot's invoke response.
   */
  invokeAs(o: {
    userId: string;
    conversationId: string;
    replyToId: string;
    verb: string;
    data: unknown;
  }): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

/** Starts the Playground pointed at `botEndpoint` (`…/api/messages`); resolves once `/_debug/ping` answers. */
export async function startAgentsPlayground(o: { botEndpoint: string; port: number }): Promise<AgentsPlayground> {
  const dir = mkdtempSync(join(tmpdir(), 'rbb-playground-'));
  const configPath = join(dir, '.m365agentsplayground.yml');
  writeFileSync(configPath, configYaml());
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, 'start', '-e', o.botEndpoint, '-c', 'msteams', '-p', String(o.port), '--disable-telemetry'],
    {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dir,
        // Never open a browser; the demo prints the URL and the tests drive Chromium themselves.
        TEAMSAPPTESTER_BROWSER: 'none',
        M365_AGENTS_PLAYGROUND_CONFIG_PATH: configPath,
        M365_AGENTS_PLAYGROUND_LOGFILE: join(dir, 'playground.log'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const base = `http://127.0.0.1:${o.port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const pong = await fetch(`${base}/_debug/ping`).then(
      async (r) => r.ok && (await r.text()).includes('pong'),
      () => false,
    );
    if (pong) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the Agents Playground did not start (see ${dir}/playground.log): ${out.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url: `http://localhost:${o.port}/`,
    port: o.port,
    dir,
    output: () => out,
    async invokeAs(i) {
      const res = await fetch(`${base}/_conversation/v1/invoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'adaptiveCard/action',
          value: { action: { type: 'Action.Execute', verb: i.verb, data: i.data }, trigger: 'manual' },
          from: { id: i.userId },
          conversation: { id: i.conversationId },
          replyToId: i.replyToId,
        }),
      });
      const text = await res.text();
      return { status: res.status, body: z.unknown().parse(text ? (JSON.parse(text) as unknown) : undefined) };
    },
    stop,
  };
}
