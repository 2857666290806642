// Unit tests of block-kit-limits.ts, the builder renderReport uses to keep every Block Kit limit.
import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import {
  type BlockGroup,
  escapeMrkdwn,
  fitBlockGroups,
  measureBlocks,
  mrkdwnText,
  plainText,
  toOneLine,
  truncateText,
} from './block-kit-limits.js';

describe('escapeMrkdwn', () => {
  it('escapes exactly &, < and >', () => {
    expect(escapeMrkdwn('a & b <!channel> c > d *e* `f`')).toBe('a &amp; b &lt;!channel&gt; c &gt; d *e* `f`');
    expect(escapeMrkdwn('&amp;')).toBe('&amp;amp;');
  });
});

describe('toOneLine', () => {
  it('collapses whitespace and newlines', () => {
    expect(toOneLine('  a\n\tb   c \r\n')).toBe('a b c');
  });
});

describe('truncateText', () => {
  it('returns text that fits unchanged', () => {
    expect(truncateText('hello', 5)).toBe('hello');
    expect(truncateText('', 0)).toBe('');
  });

  it('cuts with a note counting exactly the hidden characters', () => {
    const text = 'a'.repeat(5000);
    const out = truncateText(text, 100);
    expect(out).toHaveLength(100);
    const match = /^(a+)… \(([\d,]+) more characters\)$/.exec(out);
    expect(match).not.toBeNull();
    expect(match![1]!.length + Number(match![2]!.replace(/,/g, ''))).toBe(5000);
    expect(truncateText('abcdefghij'.repeat(5), 40)).toBe('abcdefghijabcdefgh… (32 more characters)');
  });

  it('never exceeds the limit, for every limit and length', () => {
    for (const len of [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, 12_345]) {
      const text = 'x'.repeat(len);
      for (let max = 0; max <= 120; max++) {
        const out = truncateText(text, max);
        expect(out.length, `len ${len} max ${max}`).toBeLessThanOrEqual(max);
        if (len <= max) expect(out).toBe(text);
        else if (max > 0) expect(out.endsWith('…') || out.endsWith('more characters)')).toBe(true);
      }
    }
  });

  it('falls back to a bare ellipsis when the note does not fit', () => {
    expect(truncateText('abcdefghijklmnopqrstuvwxyz0123456789', 10)).toBe('abcdefghi…');
  });

  it('does not split a surrogate pair', () => {
    const text = `${'a'.repeat(8)}🔥🔥🔥🔥`;
    const out = truncateText(text, 10);
    expect(out).toBe('aaaaaaaa…');
    for (let max = 0; max < 40; max++) {
      const t = truncateText('🔥'.repeat(30), max);
      expect(/[\ud800-\udbff](?![\udc00-\udfff])/.test(t), `max ${max}: ${t}`).toBe(false);
    }
  });

  it('in mrkdwn, does not cut inside an entity and counts hidden characters unescaped', () => {
    const escaped = escapeMrkdwn('<'.repeat(100));
    for (let max = 1; max < 60; max++) {
      const out = truncateText(escaped, max, { mrkdwn: true });
      expect(out.length).toBeLessThanOrEqual(max);
      expect(/&(?!lt;)/.test(out), `max ${max}: ${out}`).toBe(false);
    }
    const out = truncateText(escaped, 50, { mrkdwn: true });
    const match = /^((?:&lt;)*)… \((\d+) more characters\)$/.exec(out);
    expect(match, out).not.toBeNull();
    expect(match![1]!.length / 4 + Number(match![2])).toBe(100);
  });
});

describe('text objects', () => {
  it('are never empty and respect their limit', () => {
    expect(plainText('', 75)).toEqual({ type: 'plain_text', text: ' ', emoji: true });
    expect(plainText('x'.repeat(200), 75).text).toHaveLength(75);
    expect(mrkdwnText('y'.repeat(4000)).text).toHaveLength(3000);
    expect(mrkdwnText('z')).toEqual({ type: 'mrkdwn', text: 'z', verbatim: true });
  });
});

// ---------------------------------------------------------------------------------------------------------------

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
const notice = (omitted: readonly string[]): KnownBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: `omitted: ${omitted.join(',')}` }],
});
const textsOf = (blocks: readonly KnownBlock[]): string[] =>
  blocks.map((b) =>
    b.type === 'section' ? (b.text?.text ?? '') : b.type === 'context' ? JSON.stringify(b.elements) : b.type,
  );

function group(name: string, priority: number, sizes: number[], required = false): BlockGroup<string> {
  return {
    priority,
    required,
    meta: name,
    render: () => sizes.map((n, i) => [section(`${name}${i}:${'x'.repeat(n)}`)]),
  };
}

describe('fitBlockGroups', () => {
  it('keeps everything, in display order, when it fits', () => {
    const { blocks, omitted } = fitBlockGroups([group('a', 2, [10]), group('b', 1, [10]), group('c', 3, [10])], {
      notice,
    });
    expect(textsOf(blocks).map((t) => t.slice(0, 3))).toEqual(['a0:', 'b0:', 'c0:']);
    expect(omitted).toEqual([]);
  });

  it('uses the rich variant only when room is left, most important first', () => {
    const { blocks } = fitBlockGroups([group('a', 1, [500, 100]), group('b', 2, [500, 100])], {
      notice,
      maxChars: 1000,
    });
    // Both fit compact (~170 chars each); then only one rich upgrade (+400) fits: the more important one's.
    expect(textsOf(blocks).map((t) => t.slice(0, 3))).toEqual(['a0:', 'b1:']);
    expect(measureBlocks(blocks)).toBeLessThanOrEqual(1000);
  });

  it('drops the least important groups past the first that does not fit and names them in a final notice', () => {
    const groups = [
      group('head', 0, [20], true),
      group('low', 9, [100]),
      group('crit', 1, [100]),
      group('big', 2, [5000]),
      group('small', 3, [10]),
      group('foot', 0, [20], true),
    ];
    const rendered: string[] = [];
    const spy = groups.map((g) => ({ ...g, render: () => (rendered.push(g.meta), g.render()) }));
    const { blocks, omitted } = fitBlockGroups(spy, { notice, maxChars: 1500 });
    expect(textsOf(blocks).map((t) => t.slice(0, 5))).toEqual(['head0', 'crit0', 'foot0', '[{"ty']);
    expect(textsOf(blocks).at(-1)).toContain('omitted: low,big,small');
    expect(omitted).toEqual(['low', 'big', 'small']);
    // `small` would fit, but nothing less important than a hidden group is shown; it is not even rendered.
    expect(rendered).toEqual(['head', 'foot', 'crit', 'big']);
    expect(measureBlocks(blocks)).toBeLessThanOrEqual(1500);
  });

  it('respects the block count, keeping one block for the notice', () => {
    const groups = Array.from({ length: 20 }, (_, i) => group(`g${i}`, i, [1]));
    const { blocks, omitted } = fitBlockGroups(groups, { notice, maxBlocks: 8 });
    expect(blocks).toHaveLength(8);
    expect(omitted).toHaveLength(13);
  });

  it('makes shown groups give way when the notice is larger than its reserve', () => {
    const bigNotice = (o: readonly string[]): KnownBlock => section(`${o.length} omitted ${'n'.repeat(700)}`);
    const groups = Array.from({ length: 30 }, (_, i) => group(`g${i}`, i, [100]));
    const { blocks, omitted } = fitBlockGroups(groups, { notice: bigNotice, maxChars: 3000 });
    expect(measureBlocks(blocks)).toBeLessThanOrEqual(3000);
    expect(blocks.length - 1 + omitted.length).toBe(30);
    expect(textsOf(blocks).at(-1)).toMatch(new RegExp(`^${omitted.length} omitted`));
  });

  it('keeps required groups even when nothing else fits', () => {
    const { blocks, omitted } = fitBlockGroups([group('head', 0, [100], true), group('x', 1, [2000])], {
      notice,
      maxChars: 1000,
    });
    expect(textsOf(blocks)[0]?.slice(0, 5)).toBe('head0');
    expect(omitted).toEqual(['x']);
    expect(measureBlocks(blocks)).toBeLessThanOrEqual(1000);
  });
});
