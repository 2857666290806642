import { describe, expect, it } from 'vitest';
import { parseGoDuration } from './go-duration.js';

describe('parseGoDuration', () => {
  it.each([
    ['50µs', 50e-6],
    ['50μs', 50e-6],
    ['100us', 100e-6],
    ['2ms', 0.002],
    ['1.5ms', 0.0015],
    ['850ns', 850e-9],
    ['1s', 1],
    ['1m0s', 60],
    ['1h2m3.5s', 3723.5],
    ['0s', 0],
    ['0', 0],
    ['-8ms', -0.008],
    ['+Inf', Infinity],
  ])('%s → %d s', (text, seconds) => {
    expect(parseGoDuration(text)).toBeCloseTo(seconds, 12);
  });

  it.each(['', 'ms', '5', '5 ms', '5xs', 'abc', '1m junk'])('rejects %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});
