/**
 * A streaming parser for `text/event-stream` (WHATWG HTML "Server-sent events", §9.2.6): lines end in CRLF, LF or
 * CR; `:` starts a comment (oRPC's keep-alive pings are empty comments); `data` lines of one event are joined with
 * LF; a blank line dispatches. Bytes may be split anywhere, including inside a UTF-8 sequence.
 */

/** One dispatched event. `event` is `message` when the server named none. */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

export interface SseParser {
  /** Feeds bytes (or text); returns the events completed by them. */
  push(chunk: Uint8Array | string): SseMessage[];
  /** End of stream: a trailing event without its blank line is discarded, as the spec says. */
  end(): SseMessage[];
  /** Comment lines seen so far (keep-alive pings). */
  readonly comments: number;
}

export function createSseParser(): SseParser {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let first = true;
  let comments = 0;
  let event = '';
  let data: string[] = [];
  let hasData = false;
  let id: string | undefined;
  /** The previous chunk ended in CR: a LF opening this one is the second half of that CRLF. */
  let skipLf = false;

  function line(text: string, out: SseMessage[]): void {
    if (text === '') {
      // Dispatch. The spec drops events with no data; oRPC's `done` may come without data, so a named event counts.
      if (hasData || event !== '') {
        out.push({
          event: event === '' ? 'message' : event,
          data: data.join('\n'),
          ...(id === undefined ? {} : { id }),
        });
      }
      event = '';
      data = [];
      hasData = false;
      return;
    }
    if (text.startsWith(':')) {
      comments += 1;
      return;
    }
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        event = value;
        break;
      case 'data':
        data.push(value);
        hasData = true;
        break;
      case 'id':
        if (!value.includes('\u0000')) id = value;
        break;
      default:
        // `retry` and unknown fields are ignored.
        break;
    }
  }

  function drain(): SseMessage[] {
    const out: SseMessage[] = [];
    if (skipLf && buffer.startsWith('\n')) buffer = buffer.slice(1);
    if (buffer.length > 0) skipLf = false;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const ch = buffer[i];
      if (ch !== '\n' && ch !== '\r') continue;
      line(buffer.slice(start, i), out);
      if (ch === '\r') {
        if (i === buffer.length - 1) skipLf = true;
        else if (buffer[i + 1] === '\n') i += 1;
      }
      start = i + 1;
    }
    buffer = buffer.slice(start);
    return out;
  }

  return {
    push(chunk) {
      let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      buffer += text;
      return drain();
    },
    end() {
      buffer += decoder.decode();
      const out = drain();
      buffer = '';
      return out;
    },
    get comments() {
      return comments;
    },
  };
}
