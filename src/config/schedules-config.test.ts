import { describe, expect, it } from 'vitest';
import { integrations } from '../../integrations/index.js';
import { parseConfig } from './config-file.js';
import { problemsOf } from '../../test/support/config-problems.js';

const BASE = [
  'targets:',
  '  corvo:',
  '    prod: { url: "http://10.0.0.11:8080", apiKey: "k" }',
  'channels:',
  '  ops: { slack: C0OPS }',
  'schedules:',
].join('\n');

const parse = (schedules: string) => parseConfig(`${BASE}\n${schedules}\n`, 'bot.yaml', integrations, {});

describe('schedules:', () => {
  it('reads a cron schedule with its time zone and an every schedule, with their defaults', () => {
    const cfg = parse(
      [
        '  - { name: corvo-daily, system: corvo, target: prod, checklist: daily, pattern: "0 9 * * *",',
        '      timezone: Europe/Berlin, channel: ops, onlyOnChange: true }',
        '  - { name: corvo-health, system: corvo, target: prod, workflow: health, every: 10m, channel: ops }',
      ].join('\n'),
    );
    expect(cfg.schedules).toEqual([
      {
        name: 'corvo-daily',
        system: 'corvo',
        target: 'prod',
        checklist: 'daily',
        pattern: '0 9 * * *',
        timezone: 'Europe/Berlin',
        channel: 'ops',
        onlyOnChange: true,
      },
      {
        name: 'corvo-health',
        system: 'corvo',
        target: 'prod',
        workflow: 'health',
        every: 600_000,
        timezone: 'UTC',
        channel: 'ops',
        onlyOnChange: false,
      },
    ]);
  });

  it('leaving the block out means no schedules', () => {
    expect(parseConfig('targets: {}\n', 'bot.yaml', integrations, {}).schedules).toEqual([]);
  });

  it('lists every problem of every entry at once, with its line', () => {
    const problems = problemsOf(() =>
      parse(
        [
          '  - { name: a, system: corvo, target: prod, workflow: health, checklist: daily, every: 1m, channel: ops }',
          '  - { name: b, system: corvo, target: prod, workflow: health, channel: ops }',
          '  - { name: c, system: corvo, target: prod, workflow: health, every: 1m, pattern: "* * * * *", channel: ops }',
          '  - { name: d, system: corvo, target: prod, workflow: health, every: 10x, channel: ops }',
          '  - { name: e, system: corvo, target: prod, workflow: health, pattern: "0 9 * * *", timezone: Mars/Olympus, channel: ops }',
          '  - { name: f, system: corvo, target: prod, workflow: health, every: 500ms, channel: ops }',
          '  - { name: G H, system: corvo, target: prod, workflow: health, every: 1m, channel: ops }',
        ].join('\n'),
      ),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^schedules\.0 \(line 7\): set exactly one of checklist or workflow/),
      expect.stringMatching(/^schedules\.1 \(line 8\): set exactly one of pattern or every/),
      expect.stringMatching(/^schedules\.2 \(line 9\): set exactly one of pattern or every/),
      expect.stringMatching(/^schedules\.3\.every \(line 10\): not a duration/),
      expect.stringMatching(/^schedules\.4\.timezone \(line 11\): unknown time zone/),
      expect.stringMatching(/^schedules\.5\.every \(line 12\): every must be at least 1s/),
      expect.stringMatching(/^schedules\.6\.name \(line 13\): schedule names are lowercase/),
    ]);
  });

  it('checks names, systems, targets and channels against the rest of the file', () => {
    const problems = problemsOf(() =>
      parse(
        [
          '  - { name: a, system: corvo, target: prod, workflow: health, every: 1m, channel: ops }',
          '  - { name: a, system: corvo, target: staging, workflow: health, every: 1m, channel: ops }',
          '  - { name: b, system: nosuch, target: prod, workflow: health, every: 1m, channel: ops }',
          '  - { name: c, system: corvo, target: prod, workflow: health, every: 1m, channel: nowhere }',
        ].join('\n'),
      ),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^schedules\.1\.name \(line 8\): duplicate schedule "a"/),
      expect.stringMatching(/^schedules\.1\.target \(line 8\): no instance "staging" under targets\.corvo/),
      expect.stringMatching(/^schedules\.2\.system \(line 9\): unknown system "nosuch" \(one of: corvo, /),
      expect.stringMatching(/^schedules\.3\.channel \(line 10\): unknown channel "nowhere"/),
    ]);
  });
});
