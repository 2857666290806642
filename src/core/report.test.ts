import { describe, expect, it } from 'vitest';
import { countsText, sortFindings, verdictCountsText, type Finding, type Severity } from './report.js';

const f = (code: string, severity: Severity): Finding => ({ code, severity, title: code, evidence: '' });

describe('sortFindings', () => {
  it('puts the worst first and keeps the given order within a severity', () => {
    const sorted = sortFindings([
      f('a', 'ok'),
      f('b', 'warning'),
      f('c', 'critical'),
      f('d', 'inconclusive'),
      f('e', 'warning'),
      f('g', 'critical'),
    ]);
    expect(sorted.map((x) => x.code)).toEqual(['c', 'g', 'b', 'e', 'd', 'a']);
  });
});

describe('countsText', () => {
  it('counts what is not ok, worst first', () => {
    expect(countsText([f('a', 'warning'), f('b', 'critical'), f('c', 'warning'), f('d', 'ok')])).toBe(
      '1 critical, 2 warning',
    );
    expect(countsText([f('a', 'inconclusive'), f('b', 'ok')])).toBe('1 inconclusive');
  });

  it('says all checks are ok when none is anything else', () => {
    expect(countsText([f('a', 'ok'), f('b', 'ok')])).toBe('all 2 checks ok');
  });
});

describe('verdictCountsText', () => {
  const mixed = [f('a', 'ok'), f('b', 'critical'), f('c', 'ok'), f('d', 'warning')];
  it('counts every severity, passed last, or leaves passed out', () => {
    expect(verdictCountsText(mixed, true)).toBe('1 critical, 1 warning, 2 passed');
    expect(verdictCountsText(mixed, false)).toBe('1 critical, 1 warning');
  });
  it('says when everything passed or nothing ran', () => {
    expect(verdictCountsText([f('a', 'ok'), f('b', 'ok')], false)).toBe('all 2 checks passed');
    expect(verdictCountsText([], true)).toBe('no checks ran');
  });
});
