import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const read = (file: string) =>
  parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')) as Record<string, unknown> & {
    features: { slash_commands: Record<string, unknown>[] };
    oauth_config: { scopes: { bot: string[] } };
    settings: Record<string, unknown> & {
      interactivity: Record<string, unknown>;
      event_subscriptions: Record<string, unknown>;
      socket_mode_enabled: boolean;
    };
  };

const http = read('slack-app-manifest.yml');
const socket = read('slack-app-manifest.socket-mode.yml');

describe('slack-app-manifest.socket-mode.yml', () => {
  it('turns Socket Mode on and names no Request URL anywhere', () => {
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(socket)).not.toMatch(/url"\s*:/i);
    expect(socket.settings.interactivity).toEqual({ is_enabled: true });
    expect(socket.settings.event_subscriptions).toEqual({ bot_events: http.settings.event_subscriptions.bot_events });
  });

  it('is the HTTP manifest otherwise: same app, commands (without url) and scopes', () => {
    expect(socket.display_information).toEqual(http.display_information);
    expect(socket.features.slash_commands).toEqual(http.features.slash_commands.map(({ url: _url, ...rest }) => rest));
    expect(socket.oauth_config).toEqual(http.oauth_config);
    const { socket_mode_enabled: _a, interactivity: _b, event_subscriptions: _c, ...otherSettings } = socket.settings;
    const { socket_mode_enabled: _d, interactivity: _e, event_subscriptions: _f, ...httpSettings } = http.settings;
    expect(otherSettings).toEqual(httpSettings);
  });
});
