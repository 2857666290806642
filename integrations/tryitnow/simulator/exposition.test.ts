import { describe, expect, it } from 'vitest';
import { formatGoFloat } from './exposition.js';

describe('formatGoFloat (strconv.FormatFloat(f, "g", -1, 64))', () => {
  it('prints like client_golang', () => {
    expect(
      [0, 1, 212, 241.7, 0.001, 0.0001, 0.00001, 123456, 1e6, 1234567, -2.5e-7, Infinity].map(formatGoFloat),
    ).toEqual([
      '0',
      '1',
      '212',
      '241.7',
      '0.001',
      '0.0001',
      '1e-05',
      '123456',
      '1e+06',
      '1.234567e+06',
      '-2.5e-07',
      '+Inf',
    ]);
  });
});
