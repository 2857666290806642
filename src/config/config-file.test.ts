import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { integrations } from '../../integrations/index.js';
import { systems } from '../../workflows/index.js';
import { loadConfig, parseConfig } from './config-file.js';
import { parseEnv } from './env.js';
import { problemsOf } from '../../test/support/config-problems.js';

describe('config file', () => {
  it('resolves ${ENV} secrets and keeps them out of every printout', () => {
    const cfg = parseConfig(
      'targets:\n  corvo:\n    prod: { url: "http://10.0.0.11:8080", apiKey: "${CORVO_API_KEY}" }\n',
      'bot.yaml',
      integrations,
      { CORVO_API_KEY: 'super-secret-key' },
    );
    const prod = cfg.targets.corvo!.prod as { apiKey: { reveal(): string }; timeoutMs: number };
    expect(prod.apiKey.reveal()).toBe('super-secret-key');
    expect(prod.timeoutMs).toBe(5000);
    expect(JSON.stringify(cfg)).not.toContain('super-secret-key');
    expect(inspect(cfg, { depth: 10 })).not.toContain('super-secret-key');
    expect(cfg.approvals).toMatchObject({ requireDistinctApprover: true, ttl: 15 * 60_000, approvers: [] });
  });

  it('names the file, the path inside it, the line and what is wrong — every problem at once', () => {
    const problems = problemsOf(() =>
      parseConfig(
        [
          'targets:',
          '  corvo:',
          '    prod: { url: "not a url", apiKey: "${MISSING_KEY}" }',
          'approvals:',
          '  approvers: ["bob"]',
          '  ttl: soon',
        ].join('\n'),
        'bot.yaml',
        integrations,
        {},
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^targets\.corvo\.prod\.apiKey \(line 3\): environment variable MISSING_KEY is not set/),
        expect.stringMatching(/^targets\.corvo\.prod\.url \(line 3\): /),
        expect.stringMatching(/^approvals\.approvers\.0 \(line 5\): must look like slack:U/),
        expect.stringMatching(/^approvals\.ttl \(line 6\): not a duration/),
      ]),
    );
  });

  it('refuses unknown systems and bad YAML', () => {
    expect(problemsOf(() => parseConfig('targets:\n  nosuch: {}\n', 'bot.yaml', integrations, {})).join()).toMatch(
      /targets.*nosuch/,
    );
    expect(problemsOf(() => parseConfig('targets: [unclosed\n', 'bot.yaml', integrations, {}))[0]).toMatch(
      /^line \d+:/,
    );
  });

  it('says which file is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rbb-cfg-'));
    expect(problemsOf(() => loadConfig(join(dir, 'absent.yaml'), integrations, {}))[0]).toMatch(/does not exist/);
    writeFileSync(join(dir, 'ok.yaml'), 'targets: {}\n');
    expect(loadConfig(join(dir, 'ok.yaml'), integrations, {}).targets).toEqual({});
  });
});

describe('runbook-bot.example.yaml', () => {
  it('is a valid config for every system of integrations/index.ts, with alert routes', () => {
    const file = new URL('../../runbook-bot.example.yaml', import.meta.url).pathname;
    // Every ${NAME} the example refers to, set: a URL for *_URL (database URLs), else a placeholder secret.
    const names = [...readFileSync(file, 'utf8').matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!);
    const env = Object.fromEntries(names.map((name) => [name, name.endsWith('_URL') ? 'postgres://u@h/d' : 'k']));
    const cfg = loadConfig(file, integrations, env);
    // A system added to the registry fails here until the example configures it.
    expect(Object.keys(cfg.targets).sort()).toEqual(integrations.map((i) => i.id).sort());
    const routed = new Set([...cfg.alerts.pagerduty, ...cfg.alerts.alertmanager].map((r) => r.system));
    expect([...routed].sort()).toEqual(['corvo', 'm4', 'streamhouse', 'tryitnow']);
    // The example spells out the retention defaults: the same values as leaving the block out.
    expect(cfg.retention).toEqual(parseConfig('targets: {}\n', 'bot.yaml', integrations, {}).retention);
    // Schedules, thresholds and escalation, with their names checked against the runbooks (as the bot loads it).
    const withRunbooks = loadConfig(file, systems, env);
    expect(withRunbooks.schedules?.map((x) => x.name)).toEqual(['tryitnow-daily', 'kyrodb-health']);
    expect(Object.keys(withRunbooks.thresholds ?? {}).sort()).toEqual(['corvo', 'kyrodb', 'm4']);
    expect(withRunbooks.escalation?.pagerduty?.routingKey.reveal()).toBe('k');
  });
});

describe('retention', () => {
  const DAY = 86_400_000;
  const parse = (text: string) => parseConfig(text, 'bot.yaml', integrations, {});
  it('defaults to 30d reports, 90d alert events, 400d audit, daily at 03:17 UTC in batches of 1000', () => {
    expect(parse('targets: {}\n').retention).toEqual({
      reports: 30 * DAY,
      alertEvents: 90 * DAY,
      audit: 400 * DAY,
      chatPosts: 30 * DAY,
      identities: 30 * DAY,
      noteDrafts: 7 * DAY,
      findingHistory: 90 * DAY,
      pattern: '17 3 * * *',
      batchSize: 1000,
    });
  });

  it('reads durations like the rest of the file and names what is wrong', () => {
    expect(problemsOf(() => parse('retention:\n  reports: 7d\n  audit: 2y\n'))).toEqual([
      expect.stringMatching(/^retention\.audit \(line 3\): not a duration/),
    ]);
    const ok = parse('retention:\n  reports: 7d12h\n');
    expect(ok.retention?.reports).toBe(7.5 * DAY);
    expect(ok.retention?.audit).toBe(400 * DAY);
    const problems = problemsOf(() => parse('retention:\n  report: 7d\n  pattern: daily\n'));
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/report/);
    expect(problems.join('\n')).toMatch(/retention\.pattern \(line 3\): must be a cron pattern/);
  });
});

describe('environment', () => {
  it('lists every problem without printing values', () => {
    const problems = problemsOf(() =>
      parseEnv({ REDIS_URL: 'http://wrong', DATABASE_URL: undefined, PORT: 'eighty', MAX_BODY_BYTES: '-1' }),
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['REDIS_URL', 'DATABASE_URL', 'PORT', 'MAX_BODY_BYTES']),
    );
    expect(problems.join('\n')).not.toContain('http://wrong');
  });

  it('applies the documented defaults and wraps secrets', () => {
    const env = parseEnv({
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://u:pw@127.0.0.1/db',
      PAGERDUTY_WEBHOOK_SECRETS: 'a, b',
    });
    expect(env).toMatchObject({
      PORT: 3000,
      MAX_BODY_BYTES: 1_048_576,
      LOG_LEVEL: 'info',
      SLACK_API_URL: 'https://slack.com/api/',
    });
    expect(String(env.DATABASE_URL)).toBe('[redacted]');
    expect(env.PAGERDUTY_WEBHOOK_SECRETS.map((s) => s.reveal())).toEqual(['a', 'b']);
  });
});

describe('issue 11: workspace pinning and HTTP bounds', () => {
  const base = { REDIS_URL: 'redis://localhost:6379', DATABASE_URL: 'postgres://u:p@localhost/db' };

  it('pins Slack workspaces only when slack.teamIds lists them, and checks the ids', () => {
    expect(parseConfig('targets: {}\n', 'bot.yaml', integrations, {}).slack).toEqual({ teamIds: [] });
    expect(parseConfig('slack:\n  teamIds: [T0123ABCD, E0ORG]\n', 'bot.yaml', integrations, {}).slack).toEqual({
      teamIds: ['T0123ABCD', 'E0ORG'],
    });
    expect(problemsOf(() => parseConfig('slack:\n  teamIds: [acme]\n', 'bot.yaml', integrations, {}))).toEqual([
      expect.stringMatching(/^slack\.teamIds\.0 \(line 2\): must be a Slack team id \(T…\) or enterprise id \(E…\)/),
    ]);
  });

  it('bounds slow and large requests by default, and refuses inconsistent bounds naming the variable', () => {
    expect(parseEnv(base)).toMatchObject({
      HTTP_HEADERS_TIMEOUT_MS: 10_000,
      HTTP_REQUEST_TIMEOUT_MS: 15_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 5_000,
      HTTP_MAX_CONNECTIONS: 512,
      MAX_DISCARD_BYTES: 64 * 1024 * 1024,
    });
    expect(
      problemsOf(() =>
        parseEnv({
          ...base,
          HTTP_HEADERS_TIMEOUT_MS: '20000',
          HTTP_REQUEST_TIMEOUT_MS: '10000',
          MAX_DISCARD_BYTES: '10',
        }),
      ),
    ).toEqual([
      'HTTP_REQUEST_TIMEOUT_MS: must be at least HTTP_HEADERS_TIMEOUT_MS (the request includes its headers)',
      'MAX_DISCARD_BYTES: must be at least MAX_BODY_BYTES',
    ]);
  });
});
