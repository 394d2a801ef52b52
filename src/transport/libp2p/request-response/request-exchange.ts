/**
 * One request as the client sees it: open a stream, write the request frame and end our write
 * side, then hand the response frames to the caller as they arrive, until the server ends its side.
 *
 * It starts at once, not when first read, so a caller can put several requests in flight and read
 * them in turn. Frames wait in a queue until read; past `QUEUED_BYTES_HIGH` the stream is paused,
 * which stops the muxer's window updates and so, after at most a window, the server. Every failure
 * becomes one RequestFailedError, thrown by the next read: the queue is dropped with it, since a
 * partial response from a failing peer is not worth keeping.
 */
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import { FrameDecoder } from '../frames.ts';
import { writeFrame } from './frame-writer.ts';
import { SilenceWatch } from './silence-watch.ts';
import { RequestFailedError, RequestFailure, type RequestFailureReason } from './request-failed-error.ts';
import { chunksOf, isOversizeFrameError } from './stream-chunks.ts';

export interface ExchangeLimits {
  /** The largest response frame accepted; a larger one fails the request ('tooLarge'). */
  readonly responseFrameBytesMax: number;
  /** The most frames a response may have ('tooLarge' beyond). */
  readonly responseFramesMax: number;
  /** The whole exchange, from the call to the end of the response (the last frame received). */
  readonly timeoutMs: number;
  /** No byte from the server for this long fails the request (not counted while we hold the stream paused). */
  readonly idleTimeoutMs: number;
}

/** Received frames we hold before pausing the stream: a block's worth (the largest is 4 MiB), so reading stays a frame ahead of the caller. */
const QUEUED_BYTES_HIGH = 4 * 1024 * 1024;
/** Resumed once the caller has read this far down, so the pipe refills before the queue runs dry. */
const QUEUED_BYTES_LOW = QUEUED_BYTES_HIGH / 2;
/**
 * While paused, a Yamux stream still receives what its window already allowed: up to the window's
 * maximum, 16 MiB by default. libp2p resets a stream whose unread buffer passes
 * `maxReadBufferLength` (4 MiB by default), so while paused we allow the whole window, and a little.
 */
const PAUSED_READ_BUFFER_BYTES_MAX = 17 * 1024 * 1024;

interface Waiter {
  resolve(result: IteratorResult<Uint8Array, undefined>): void;
  reject(error: unknown): void;
}

export class RequestExchange implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array, undefined> {
  private readonly limits: ExchangeLimits;
  private readonly request: Uint8Array;
  private readonly decoder: FrameDecoder;
  /** Aborts the dial and the request's write when the exchange fails. */
  private readonly controller = new AbortController();
  private readonly callerSignal: AbortSignal | undefined;
  private stream: Stream | null = null;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private framesReceived = 0;
  private paused = false;
  private waiter: Waiter | null = null;
  /** No more network activity: ended, failed or cancelled. */
  private finished = false;
  private ended = false;
  private failure: RequestFailedError | null = null;
  private failureThrown = false;
  private iterated = false;
  private wholeTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly silence: SilenceWatch;

  /** `open` dials and negotiates the protocol; it must give up when its signal aborts. */
  constructor(open: (signal: AbortSignal) => Promise<Stream>, request: Uint8Array, limits: ExchangeLimits, signal?: AbortSignal) {
    this.limits = limits;
    this.request = request;
    this.silence = new SilenceWatch(limits.idleTimeoutMs, () => !this.finished && !this.paused, () =>
      this.fail(RequestFailure.timeout, `no byte from the server for ${limits.idleTimeoutMs} ms`));
    this.decoder = new FrameDecoder(limits.responseFrameBytesMax);
    this.callerSignal = signal;
    if (signal?.aborted === true) {
      this.fail(RequestFailure.aborted, 'aborted before it was sent', signal.reason);
      return;
    }
    signal?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.wholeTimer = setTimeout(() => this.fail(RequestFailure.timeout, `no whole response within ${limits.timeoutMs} ms`), limits.timeoutMs);
    let opening: Promise<Stream>;
    try {
      opening = open(this.controller.signal);
    } catch (error) {
      opening = Promise.reject(error);
    }
    opening
      .then((stream) => this.onOpened(stream), (error: unknown) => this.onOpenFailed(error))
      .catch((error: unknown) => this.fail(RequestFailure.reset, `the stream failed as it opened: ${describe(error)}`, error));
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array, undefined> {
    if (this.iterated) throw new Error('a response can be read only once');
    this.iterated = true;
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (this.waiter !== null) return Promise.reject(new Error('a response is read by one reader, one frame at a time'));
    if (this.queue.length > 0) return Promise.resolve({ done: false, value: this.take() });
    if (this.failure !== null && !this.failureThrown) {
      this.failureThrown = true;
      return Promise.reject(this.failure);
    }
    if (this.ended || this.failure !== null) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The caller stopped reading (a `break` out of `for await`): the stream is reset, nothing is thrown. */
  return(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (!this.finished) {
      this.failureThrown = true;
      this.fail(RequestFailure.aborted, 'the caller stopped reading');
    }
    this.queue = [];
    this.queuedBytes = 0;
    return Promise.resolve({ done: true, value: undefined });
  }

  private readonly onCallerAbort = (): void => {
    this.fail(RequestFailure.aborted, 'aborted by the caller', this.callerSignal?.reason);
  };

  private onOpenFailed(error: unknown): void {
    // A failure we caused (timeout, abort) is already recorded; the dial's own error adds nothing.
    if (this.finished) return;
    const name = error instanceof Error ? error.name : '';
    if (name === 'UnsupportedProtocolError') this.fail(RequestFailure.protocol, 'the peer does not speak the protocol', error);
    // Negotiated, then reset before libp2p handed it over: the peer refused it (over its stream caps).
    else if (name === 'StreamResetError') this.fail(RequestFailure.reset, 'the peer reset the stream as it opened', error);
    else this.fail(RequestFailure.dial, `cannot open a stream: ${describe(error)}`, error);
  }

  private onOpened(stream: Stream): void {
    if (this.finished) {
      stream.abort(new Error('peergrid request: no longer wanted'));
      return;
    }
    this.stream = stream;
    if (stream.status !== 'open') {
      // Reset while libp2p finished opening it (a server over its stream caps does that), before
      // we could listen for its close.
      this.fail(RequestFailure.reset, `the stream was ${stream.status} as it opened`);
      return;
    }
    stream.addEventListener('message', (event: StreamMessageEvent) => this.onMessage(event));
    stream.addEventListener('close', (event: StreamCloseEvent) => this.onClose(event), { once: true });
    // 'end' may have come already, while libp2p negotiated the protocol: then what its negotiation
    // read ahead and gave back is delivered to our 'message' listener in a microtask, queued as we
    // added it, and the end must be taken after that.
    if (stream.readableEnded) queueMicrotask(() => this.onEnd());
    else stream.addEventListener('end', () => this.onEnd(), { once: true });
    this.silence.start();
    void this.writeRequest(stream);
  }

  private async writeRequest(stream: Stream): Promise<void> {
    try {
      await writeFrame(stream, this.request, { signal: this.controller.signal });
      // Half-close: the server knows the request is whole, and can still answer on its side.
      await stream.close({ signal: this.controller.signal });
    } catch (error) {
      // A reset shows as the stream's close event; anything else that stops the write fails here.
      if (!this.finished && stream.status === 'open') this.fail(RequestFailure.reset, `cannot send the request: ${describe(error)}`, error);
    }
  }

  private onMessage(event: StreamMessageEvent): void {
    if (this.finished) return;
    this.silence.heard();
    for (const chunk of chunksOf(event.data)) {
      const result = this.decoder.push(chunk);
      if (!result.ok) {
        if (isOversizeFrameError(result.error)) this.fail(RequestFailure.tooLarge, `a response frame above ${this.limits.responseFrameBytesMax} bytes`);
        else this.fail(RequestFailure.protocol, `bad response frame: ${result.error}`);
        return;
      }
      for (const frame of result.frames) {
        this.framesReceived++;
        if (this.framesReceived > this.limits.responseFramesMax) {
          this.fail(RequestFailure.tooLarge, `more than ${this.limits.responseFramesMax} response frames`);
          return;
        }
        this.deliver(frame);
      }
    }
    if (this.queuedBytes >= QUEUED_BYTES_HIGH) this.pause();
  }

  private onEnd(): void {
    const stream = this.stream;
    // A reset also ends reading; its close event says which it was.
    if (this.finished || stream === null || stream.status === 'reset' || stream.status === 'aborted') return;
    if (this.decoder.bufferedBytes > 0) {
      this.fail(RequestFailure.protocol, 'the response ended inside a frame');
      return;
    }
    this.ended = true;
    this.finish();
    if (this.waiter !== null && this.queue.length === 0) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter.resolve({ done: true, value: undefined });
    }
  }

  private onClose(event: StreamCloseEvent): void {
    // Closed without an error: both sides ended their writes, and 'end' comes (or came) once all
    // that arrived has been read, even if that waits for us to resume the stream.
    if (this.finished || event.error === undefined) return;
    this.fail(RequestFailure.reset, `the stream was reset: ${describe(event.error)}`, event.error);
  }

  private deliver(frame: Uint8Array): void {
    if (this.waiter !== null) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter.resolve({ done: false, value: frame });
      return;
    }
    this.queue.push(frame);
    this.queuedBytes += frame.length;
  }

  private take(): Uint8Array {
    const frame = this.queue.shift() as Uint8Array;
    this.queuedBytes -= frame.length;
    if (this.paused && this.queuedBytes <= QUEUED_BYTES_LOW) this.resume();
    return frame;
  }

  private pause(): void {
    const stream = this.stream;
    if (this.paused || stream === null || stream.readStatus !== 'readable') return;
    this.paused = true;
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, PAUSED_READ_BUFFER_BYTES_MAX);
    stream.pause();
    // Silence while we hold the stream is ours, not the server's.
    this.silence.stop();
  }

  private resume(): void {
    const stream = this.stream;
    this.paused = false;
    if (this.finished || stream === null || stream.readStatus !== 'paused') return;
    this.silence.start();
    stream.resume();
  }

  /** Stops the timers and the caller's abort listener: the network part is over. */
  private finish(): void {
    this.finished = true;
    if (this.wholeTimer !== null) clearTimeout(this.wholeTimer);
    this.wholeTimer = null;
    this.silence.stop();
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }

  private fail(reason: RequestFailureReason, message: string, cause?: unknown): void {
    if (this.finished) return;
    this.finish();
    const failure = new RequestFailedError(reason, message, cause === undefined ? undefined : { cause });
    this.failure = failure;
    this.queue = [];
    this.queuedBytes = 0;
    this.controller.abort(failure);
    this.stream?.abort(failure);
    if (this.waiter !== null) {
      const waiter = this.waiter;
      this.waiter = null;
      this.failureThrown = true;
      waiter.reject(failure);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
