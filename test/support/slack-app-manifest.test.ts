import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

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
    const commands = manifest.features.slash_commands;
    expect(commands.map((c) => c.command).sort()).toEqual(
      ['/corvo', '/kyrodb', '/m4', '/runbook', '/streamhouse', '/tryitnow'].sort(),
    );
    for (const c of commands) {
      expect(c.url).toBe(EVENTS_URL);
      expect(c.description.length).toBeGreaterThan(0);
      expect(c.usage_hint).toMatch(/help/);
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
