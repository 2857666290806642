import { describe, expect, it } from 'vitest';
import { integrations } from '../../integrations/index.js';
import { parseConfig } from './config-file.js';
import { ConfigError } from './env.js';

const BASE = `
targets:
  corvo:
    prod: { url: "http://10.0.0.11:8080" }
channels:
  incidents: { slack: "C0INCIDENTS" }
`;

const parse = (yaml: string) => parseConfig(BASE + yaml, 'runbook-bot.yaml', integrations, {});

function problems(yaml: string): string[] {
  try {
    parse(yaml);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('alerts config', () => {
  it('parses rules, storm control and pacing, with defaults', () => {
    const c = parse(`
alerts:
  pagerduty:
    - match: { service: "Corvo Production", title: "/sqlite/i" }
      system: corvo
      target: prod
      channel: incidents
      workflow: sqlite-diverged
  defaultChannel: incidents
`);
    expect(c.alerts.pagerduty[0]!.match.title).toBe('/sqlite/i');
    expect(c.alerts.storm).toEqual({ threshold: 10, window: 60_000 });
    expect(c.pacing).toEqual({ messagesPerSecond: 1, burst: 3 });
    const tuned = parse(`
alerts:
  storm: { threshold: 25, window: 5m }
pacing: { messagesPerSecond: 0.5, burst: 1 }
`);
    expect(tuned.alerts.storm).toEqual({ threshold: 25, window: 300_000 });
    expect(tuned.pacing).toEqual({ messagesPerSecond: 0.5, burst: 1 });
  });

  it('names the path of every mistake: bad regex, unknown channel, system, target, default channel', () => {
    const found = problems(`
alerts:
  pagerduty:
    - match: { title: "/(unclosed/" }
      system: corvo
      channel: nowhere
  alertmanager:
    - match: { alertname: X }
      system: nosuchsystem
    - match: { alertname: Y }
      system: corvo
      target: staging
  defaultChannel: missing
`);
    expect(found.join('\n')).toMatch(/alerts\.pagerduty\.0\.match\.title.*invalid regular expression/);
    expect(found.join('\n')).toMatch(/alerts\.pagerduty\.0\.channel.*unknown channel "nowhere"/);
    expect(found.join('\n')).toMatch(/alerts\.alertmanager\.0\.system.*unknown system "nosuchsystem"/);
    expect(found.join('\n')).toMatch(/alerts\.alertmanager\.1\.target.*no instance "staging" under targets\.corvo/);
    expect(found.join('\n')).toMatch(/alerts\.defaultChannel.*unknown channel "missing"/);
  });
});
