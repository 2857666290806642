import { describe, expect, it } from 'vitest';
import { parseMatchValue } from './parse-match-value.js';

describe('parseMatchValue', () => {
  it('reads /regex/flags and leaves plain values alone', () => {
    expect(parseMatchValue('/^a.c$/i')?.test('ABC')).toBe(true);
    expect(parseMatchValue('plain')).toBeUndefined();
    expect(parseMatchValue('/a/g')?.flags).toBe('');
    expect(() => parseMatchValue('/(/')).toThrow();
  });
});
