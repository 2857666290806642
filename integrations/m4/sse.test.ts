import { describe, expect, it } from 'vitest';
import { createSseParser } from './sse.js';

describe('createSseParser', () => {
  it('reads oRPC framing: empty-comment pings, named events, JSON data', () => {
    const p = createSseParser();
    const out = p.push(': \n\nevent: message\ndata: {"seq":6}\n\nevent: message\ndata: {"seq":7}\n\n');
    expect(out).toEqual([
      { event: 'message', data: '{"seq":6}' },
      { event: 'message', data: '{"seq":7}' },
    ]);
    expect(p.comments).toBe(1);
  });

  it('joins data lines with LF, defaults the event name, keeps the id', () => {
    const p = createSseParser();
    expect(p.push('id: 4\ndata: a\ndata:b\n\n')).toEqual([{ event: 'message', data: 'a\nb', id: '4' }]);
  });

  it('accepts CRLF and CR line endings, including a CRLF split across chunks', () => {
    const p = createSseParser();
    expect(p.push('data: x\r')).toEqual([]);
    expect(p.push('\n\r\ndata: y\r\r')).toEqual([
      { event: 'message', data: 'x' },
      { event: 'message', data: 'y' },
    ]);
    // The CR that ended the last chunk is a whole line end: a LF opening the next chunk is not a blank line.
    expect(p.push('data: z\r')).toEqual([]);
    expect(p.push('\ndata: z2\n\n')).toEqual([{ event: 'message', data: 'z\nz2' }]);
  });

  it('survives bytes split inside a line and inside a UTF-8 character', () => {
    const bytes = Buffer.from('event: message\ndata: {"name":"plän"}\n\n', 'utf8');
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of "ä"
    const p = createSseParser();
    expect([
      ...p.push(bytes.subarray(0, 9)),
      ...p.push(bytes.subarray(9, cut)),
      ...p.push(bytes.subarray(cut)),
    ]).toEqual([{ event: 'message', data: '{"name":"plän"}' }]);
  });

  it('dispatches a named event without data (oRPC `done`) but not an empty block', () => {
    const p = createSseParser();
    expect(p.push('event: done\n\n\n\n')).toEqual([{ event: 'done', data: '' }]);
  });

  it('drops an unterminated trailing event at end of stream', () => {
    const p = createSseParser();
    expect(p.push('data: complete\n\ndata: partial')).toEqual([{ event: 'message', data: 'complete' }]);
    expect(p.end()).toEqual([]);
  });
});
