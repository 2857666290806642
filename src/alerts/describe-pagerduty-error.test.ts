/** What the clicker reads when PagerDuty refuses an incident action: bounded, and never a secret. */
import { describe, expect, it } from 'vitest';
import { registerSecretValue } from '../core/redact.js';
import { describePagerDutyError } from './incident-actions.js';

describe('describePagerDutyError', () => {
  it('bounds PagerDuty’s error text and removes a secret even where the cut would fall inside it', () => {
    const secret = 'pd-secret-token-0123456789abcdefghij';
    registerSecretValue(secret);
    const detail = `${'Invalid Input Provided; '.repeat(12)}${secret} ${'x'.repeat(5000)}`;
    const err = Object.assign(new Error('refused'), { name: 'PagerDutyApiError', status: 400, detail });
    const text = describePagerDutyError(err);
    expect(text.startsWith('PagerDuty answered 400: Invalid Input Provided;')).toBe(true);
    expect(text.length).toBeLessThan(340);
    expect(text).not.toContain(secret.slice(0, 8));
    expect(text).toContain('[redacted]');
  });
});
