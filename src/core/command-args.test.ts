// Argument values end up in request paths: a dot segment is refused whatever a pattern allows, for typed commands
// and for parameters that came from a target alike.
import { describe, expect, it } from 'vitest';
import { checkParams, isValidArg } from './command-args.js';
import type { ArgSpec } from './command-spec.js';
import { createSystemCommand } from './create-system-command.js';
import { parseCommandText } from './parse-command-text.js';
import { isUserFacingError } from './user-facing-error.js';

/** As Streamhouse's subject: dots are legitimate (`com.acme.Order`), so the pattern alone lets `..` through. */
const SUBJECT: ArgSpec = {
  name: 'subject',
  description: 'subject',
  required: false,
  pattern: /^[A-Za-z0-9._:-]{1,255}$/,
};
const spec = createSystemCommand(
  'streamhouse',
  'Streamhouse',
  [
    {
      id: 'schemas',
      description: 'schemas',
      args: [SUBJECT],
      options: [{ name: 'topic', description: 't', pattern: /^[\w.%-]+$/ }],
    },
  ],
  [],
);

function usage(text: string): string {
  try {
    parseCommandText(spec, text, ['prod']);
  } catch (err) {
    if (isUserFacingError(err)) return err.message;
    throw err;
  }
  throw new Error(`"${text}" was accepted`);
}

describe('arguments and dot segments', () => {
  it.each(['schemas ..', 'schemas .', 'schemas a.b/..', 'schemas --topic %2e%2e', 'schemas --topic=.'])(
    '`/streamhouse %s` is answered with usage, nothing runs',
    (text) => {
      expect(usage(text)).toMatch(/^Invalid (<subject>|value for --topic)/);
    },
  );

  it('ordinary dotted values still pass', () => {
    const parsed = parseCommandText(spec, 'schemas com.acme.Order --topic orders.v2', ['prod']);
    expect(parsed).toMatchObject({ kind: 'run', args: { subject: 'com.acme.Order', topic: 'orders.v2' } });
    expect(isValidArg(SUBJECT, '..a')).toBe(true);
  });

  it('checkParams applies a fix’s specs to parameters from a target', () => {
    const QUEUE: ArgSpec = { name: 'queue', description: 'queue name', required: true, pattern: /^[A-Za-z0-9._-]+$/ };
    expect(checkParams([QUEUE], { queue: 'emails' })).toBeUndefined();
    expect(checkParams([QUEUE], { queue: '..' })).toBe('<queue> is not a valid queue name');
    expect(checkParams([QUEUE], { queue: 'Q <!channel>' })).toBe('<queue> is not a valid queue name');
    expect(checkParams([QUEUE], {})).toBe('<queue> is missing');
    expect(checkParams([QUEUE], { queue: 'emails', path: '/admin' })).toBe('"path" is not a parameter of this fix');
    expect(checkParams([], {})).toBeUndefined();
  });
});
