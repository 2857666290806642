import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.js';

interface Manifest {
  display_information: { name: string };
  features: { slash_commands: { command: string; url: string; description: string; usage_hint: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url: string };
    event_subscriptions: { request_url: string; bot_events: string[] };
    socket_mode_enabled: boolean;
  };
}

const EVENTS_URL = 'https://bot.example.com/slack/events';
const manifest = parse(readFileSync(new URL('../../slack-app-manifest.yml', import.meta.url), 'utf8')) as Manifest;

describe('slack-app-manifest.yml', () => {
  it('declares every slash command of the contract, all on /slack/events', () => {
    expect(manifest.display_information.name).toBe('runbook-bot');
    const declared = manifest.features.slash_commands;
    // The contract's commands; exactly the registry's is the next test (a sixth system needs no edit here).
    expect(declared.map((c) => c.command)).toEqual(
      expect.arrayContaining(['/corvo', '/kyrodb', '/m4', '/runbook', '/streamhouse', '/tryitnow']),
    );
    for (const c of declared) {
      expect(c.url).toBe(EVENTS_URL);
      expect(c.description.length).toBeGreaterThan(0);
      expect(c.usage_hint).toMatch(/help/);
    }
  });

  it('declares exactly the commands of commands/index.ts, in its order', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(commands.map((c) => `/${c.name}`));
  });

  // Slack shows the description in its command menu: it lists every subcommand of the registry, in order, after
  // " - ", each fix that needs a second person marked "(approval)". A subcommand added to a workflow folder (or to
  // commands/runbook.ts) fails here until the manifest names it.
  it.each(commands.map((c) => [c.name, c] as const))('/%s: its description lists every subcommand', (_name, spec) => {
    const declared = manifest.features.slash_commands.find((c) => c.command === `/${spec.name}`)!;
    const list = spec.subcommands
      .map((s) => `${s.name}${s.remediation?.level === 'approval' ? ' (approval)' : ''}`)
      .join(', ');
    const at = declared.description.indexOf(' - ');
    expect(at, 'description is "<what> - <subcommands>"').toBeGreaterThan(0);
    expect(declared.description.slice(at + 3)).toBe(list);
    // The manifest schema's limits (slackapi/manifest-schema, manifest.schema.1.0.0.json).
    expect(declared.description.length).toBeLessThanOrEqual(2000);
    expect(declared.usage_hint.length).toBeLessThanOrEqual(1000);
    // The usage hint may pick a few; each alternative names a real subcommand (or help, or <subcommand>).
    for (const alternative of declared.usage_hint.split('|').map((a) => a.trim().split(/\s+/)[0]!)) {
      expect(['help', '<subcommand>', ...spec.subcommands.map((s) => s.name)]).toContain(alternative);
    }
  });

  it('routes interactivity and app_mention events to /slack/events over HTTP, with the needed scopes', () => {
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: EVENTS_URL });
    expect(manifest.settings.event_subscriptions).toEqual({ request_url: EVENTS_URL, bot_events: ['app_mention'] });
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(
      [
        'app_mentions:read',
        'chat:write',
        'chat:write.public',
        'commands',
        'usergroups:read',
        'users:read',
        // Incident buttons act as the clicker in PagerDuty: their profile email (issue 12).
        'users:read.email',
      ].sort(),
    );
  });
});
