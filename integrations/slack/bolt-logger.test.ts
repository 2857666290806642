import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { Secret } from '../../src/core/secret.js';
import { createBoltLogger } from './bolt-logger.js';

const TOKEN = 'S1gn1ngS3cretForBoltLoggerTest0123456789';

describe('Bolt logger', () => {
  it('redacts before capping a line at 300 characters, so a cut leaves no part of a secret', () => {
    new Secret(TOKEN);
    const lines: string[] = [];
    const capture: Logger = {
      debug: () => {},
      info: () => {},
      warn: (_obj, msg) => lines.push(msg ?? ''),
      error: (_obj, msg) => lines.push(msg ?? ''),
      child: () => capture,
    };
    createBoltLogger(capture).error(new Error(`${'x'.repeat(280)} ${TOKEN}`));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(TOKEN.slice(0, 8));
    expect(lines[0]!.length).toBeLessThanOrEqual(300);
  });
});
