import { describe, expect, it } from 'vitest';
import { Secret } from './secret.js';
import { describeError } from './setup-check.js';

describe('describeError', () => {
  it('redacts before capping at 200 characters, so a cut leaves no part of a secret', () => {
    const key = 'SetupCheckSecretValue0123456789abcdef';
    new Secret(key);
    const text = describeError(new Error(`${'x'.repeat(185)} ${key}`));
    expect(text).not.toContain(key.slice(0, 8));
    expect(text.length).toBeLessThanOrEqual(200);
  });

  it('redacts a connection string password cut by the cap', () => {
    const text = describeError(
      new Error(`${'y'.repeat(170)} redis://default:Pa55wordThatIsLong99@redis.internal:6379`),
    );
    expect(text).not.toContain('Pa55word');
  });
});
