import type { IncomingMessage } from 'node:http';

/**
 * The body was larger than the limit. `drained` tells whether the rest of it was read (and thrown away) to its end:
 * then the 413 reaches a client that writes its whole body before it reads the answer (Go's and undici's clients
 * do); otherwise the connection has to be cut.
 */
export class BodyTooLargeError extends Error {
  constructor(
    readonly limit: number,
    readonly drained: boolean,
  ) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export interface ReadBodyOptions {
  /** Largest body kept, bytes. */
  readonly limit: number;
  /**
   * Over the limit, at most this many bytes in all are read and thrown away (never buffered) so that the sender
   * finishes writing and can read the 413; past it the read stops at once. Default: `limit`.
   */
  readonly discardLimit?: number;
}

/**
 * Buffers a request body up to `limit` bytes. A body over the limit (declared by Content-Length or found while
 * reading a chunked one) is not buffered: the rest is read and discarded up to `discardLimit`, then the promise
 * rejects with {@link BodyTooLargeError}. Time is bounded by the server's request timeout, not here.
 */
export function readBody(req: IncomingMessage, o: ReadBodyOptions): Promise<Buffer> {
  const discardLimit = Math.max(o.discardLimit ?? o.limit, o.limit);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > discardLimit) {
    return Promise.reject(new BodyTooLargeError(o.limit, false));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > o.limit;
    let done = false;
    const finish = (err: Error | undefined, body?: Buffer) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (err) reject(err);
      else resolve(body!);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > discardLimit) {
        req.pause();
        finish(new BodyTooLargeError(o.limit, false));
        return;
      }
      if (tooLarge || size > o.limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () =>
      tooLarge ? finish(new BodyTooLargeError(o.limit, true)) : finish(undefined, Buffer.concat(chunks, size)),
    );
    req.on('error', (err) => finish(err));
    // 'close' follows every request, read or not: build the Error (its stack costs CPU on every request) only when
    // the body was cut short.
    req.on('close', () => {
      if (!done) finish(new Error('the client closed the connection before the body ended'));
    });
  });
}
