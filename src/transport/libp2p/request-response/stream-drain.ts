/**
 * Waiting for a libp2p 3 stream to take more data. `stream.send` returns false once the muxer's
 * window or the socket is full; the bytes are kept, but a writer that keeps sending would buffer
 * without bound, so it waits for 'drain'.
 *
 * We listen for 'drain' ourselves rather than call `stream.onDrain()`: in @libp2p/utils 7 that
 * method keeps the first drain's promise, already resolved, and hands it out again, so a second
 * wait on the same stream would not wait at all.
 */
import type { Stream, StreamCloseEvent } from '@libp2p/interface';

/** The reader let `stallTimeoutMs` pass without taking anything: a slow or stalled peer. */
export class WriteStalledError extends Error {
  constructor(stallTimeoutMs: number) {
    super(`the remote read nothing for ${stallTimeoutMs} ms`);
    this.name = 'WriteStalledError';
  }
}

/**
 * Resolves when the stream can take more data (at once if it can now). Rejects when the stream
 * closes first, when `signal` aborts (with its reason), or after `stallTimeoutMs` (WriteStalledError).
 */
export function waitForDrain(stream: Stream, signal: AbortSignal, stallTimeoutMs?: number): Promise<void> {
  if (!stream.writableNeedsDrain) return Promise.resolve();
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const cleanUp = (): void => {
      if (timer !== null) clearTimeout(timer);
      stream.removeEventListener('drain', onDrain);
      stream.removeEventListener('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const onDrain = (): void => {
      cleanUp();
      resolve();
    };
    const onClose = (event: StreamCloseEvent): void => {
      cleanUp();
      reject(event.error ?? new Error('the stream closed while waiting to write'));
    };
    const onAbort = (): void => {
      cleanUp();
      reject(signal.reason);
    };
    stream.addEventListener('drain', onDrain);
    stream.addEventListener('close', onClose);
    signal.addEventListener('abort', onAbort);
    if (stallTimeoutMs !== undefined) {
      timer = setTimeout(() => {
        cleanUp();
        reject(new WriteStalledError(stallTimeoutMs));
      }, stallTimeoutMs);
    }
  });
}
