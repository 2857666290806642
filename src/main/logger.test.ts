// Log lines pass through the one redaction function on their way out: a configured secret or a token-shaped value
// never reaches stdout, wherever in the line it sits (message, fields, bindings, an error's message).
import { describe, expect, it } from 'vitest';
import { Secret } from '../core/secret.js';
import { createRedactingDestination, createRootLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(line) } };
}

describe('createRootLogger', () => {
  it('redacts configured secrets and token shapes from every part of every line', () => {
    const key = 'logger-test-corvo-key-31337';
    new Secret(key);
    const out = capture();
    const log = createRootLogger('debug', 'test', createRedactingDestination(out.stream));
    const child = log.child({ component: `bound ${key}` });
    child.error(
      {
        err: new Error(`POST /x: Corvo answered 401: invalid API key ${key}`),
        detail: `xoxb-123456-abcdef-XYZ ${key}`,
      },
      `message with ${key} and Bearer abcdef0123456789`,
    );
    child.info(`postgres://bot:pw-0001@db/x`);
    const text = out.lines.join('');
    expect(out.lines).toHaveLength(2);
    expect(text).not.toContain(key);
    expect(text).not.toContain('xoxb-123456');
    expect(text).not.toContain('abcdef0123456789');
    expect(text).not.toContain('pw-0001');
    const first = JSON.parse(out.lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({
      component: 'bound [redacted]',
      msg: 'message with [redacted] and Bearer [redacted]',
      err: { name: 'Error', message: 'POST /x: Corvo answered 401: invalid API key [redacted]' },
      detail: '[redacted] [redacted]',
    });
  });
});
