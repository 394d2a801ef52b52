/**
 * The asking side of one request channel (channel-messages.ts): many requests on one open stream,
 * each answered by one frame, matched by id. It keeps at most `requestsInFlightMax` requests sent
 * and unanswered (the server's cap); more wait here, in order.
 *
 * A request ends in its answer or a RequestFailedError: 'timeout' after its own `timeoutMs',
 * 'aborted' when its caller's signal aborts (a cancel is sent, so the server drops it if it has not
 * begun to send it), 'reset' when the server failed it. The channel as a whole fails — and with it
 * every request on it — when the stream is reset or ended by the server ('reset'), when the server
 * sends nothing for `idleTimeoutMs` while requests wait ('timeout'), an answer above
 * `responseFrameBytesMax` ('tooLarge') or bytes that are not a channel message ('protocol'). A
 * channel with nothing to do for `closeWhenIdleMs` closes itself. Once it is closed or failed,
 * `open` is false and the owner (channel-pool.ts) opens another for the next request.
 */
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import { FrameDecoder } from '../frames.ts';
import { CHANNEL_HEADER_BYTES_MAX, CHANNEL_ID_MAX, ChannelKind, decodeChannelMessage, encodeChannelHeader } from './channel-messages.ts';
import { SilenceWatch } from './silence-watch.ts';
import { FrameQueue } from './frame-queue.ts';
import { RequestFailedError, RequestFailure, type RequestFailureReason } from './request-failed-error.ts';
import { chunksOf, isOversizeFrameError } from './stream-chunks.ts';

export interface ChannelLimits {
  /** The largest answer accepted; a larger one fails the channel ('tooLarge'). */
  readonly responseFrameBytesMax: number;
  /** Requests sent and unanswered at once; must not exceed the server's cap (an offence there). */
  readonly requestsInFlightMax: number;
  /** Requests wait and no byte comes from the server for this long: the channel fails ('timeout'). */
  readonly idleTimeoutMs: number;
  /** Nothing sent or waiting for this long: the channel closes itself. */
  readonly closeWhenIdleMs: number;
}

export interface ChannelRequestOptions {
  /** From this call to the answer. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

interface Pending {
  /** Given when asked, so that ids go out in increasing order whichever requests wait. */
  readonly id: number;
  sent: boolean;
  readonly payload: Uint8Array;
  readonly resolve: (answer: Uint8Array) => void;
  readonly reject: (error: RequestFailedError) => void;
  timer: ReturnType<typeof setTimeout> | null;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class RequestChannel {
  private readonly stream: Stream;
  private readonly limits: ChannelLimits;
  private readonly onClosed: (channel: RequestChannel) => void;
  /** Aborted when the channel fails: stops the frame queue's waits. */
  private readonly controller = new AbortController();
  private readonly frames: FrameQueue;
  private readonly decoder: FrameDecoder;
  private readonly sent = new Map<number, Pending>();
  private readonly waiting: Pending[] = [];
  /** The last id given to a request, and the last sent. */
  private lastId = 0;
  private lastSentId = 0;
  private closed = false;
  private readonly silence: SilenceWatch;
  private closeTimer: ReturnType<typeof setTimeout> | null = null;

  /** `stream` is open and negotiated; `onClosed` is called once, when the channel takes no more requests. */
  constructor(stream: Stream, limits: ChannelLimits, onClosed: (channel: RequestChannel) => void) {
    this.stream = stream;
    this.limits = limits;
    this.onClosed = onClosed;
    this.silence = new SilenceWatch(limits.idleTimeoutMs, () => !this.closed && this.sent.size > 0, () =>
      this.fail(RequestFailure.timeout, `no byte from the server for ${limits.idleTimeoutMs} ms`));
    this.frames = new FrameQueue(stream, { signal: this.controller.signal });
    this.decoder = new FrameDecoder(limits.responseFrameBytesMax + CHANNEL_HEADER_BYTES_MAX);
    if (stream.status !== 'open') {
      this.fail(RequestFailure.reset, `the channel's stream was ${stream.status} as it opened`);
      return;
    }
    stream.addEventListener('message', (event: StreamMessageEvent) => this.onMessage(event));
    stream.addEventListener('close', (event: StreamCloseEvent) => this.onClose(event), { once: true });
    // See serve-channel.ts: bytes read ahead during negotiation come in a microtask, before the end.
    if (stream.readableEnded) queueMicrotask(() => this.onEnd());
    else stream.addEventListener('end', () => this.onEnd(), { once: true });
    this.armCloseTimer();
  }

  /** Whether it takes requests: not closed, and ids left (after 2^32 − 1 requests the owner opens another). */
  get open(): boolean {
    return !this.closed && this.lastId < CHANNEL_ID_MAX;
  }

  /** Requests sent and unanswered, and waiting to be sent. */
  get requestsPending(): number {
    return this.sent.size + this.waiting.length;
  }

  /** Sends `payload` as a request (at once, or when a slot frees); resolves with the answer. */
  request(payload: Uint8Array, options: ChannelRequestOptions): Promise<Uint8Array> {
    if (!this.open) return Promise.reject(new RequestFailedError(RequestFailure.reset, 'the channel is closed'));
    if (payload.length === 0) throw new RangeError('a request is a non-empty Uint8Array');
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(new RequestFailedError(RequestFailure.aborted, 'aborted before it was sent', { cause: signal.reason }));
    return new Promise<Uint8Array>((resolve, reject) => {
      const pending: Pending = {
        id: ++this.lastId, sent: false, payload, resolve, reject, timer: null, signal,
        onAbort: () => this.giveUp(pending, new RequestFailedError(RequestFailure.aborted, 'aborted by the caller', { cause: signal?.reason })),
      };
      pending.timer = setTimeout(() => this.giveUp(pending, new RequestFailedError(RequestFailure.timeout, `no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
      signal?.addEventListener('abort', pending.onAbort, { once: true });
      this.clearCloseTimer();
      this.waiting.push(pending);
      this.sendWaiting();
    });
  }

  /** Takes no more requests; those pending fail ('aborted'), and the stream is closed. */
  close(): void {
    if (this.closed) return;
    this.markClosed();
    this.rejectAll(new RequestFailedError(RequestFailure.aborted, 'the channel was closed'));
    this.stream.close().catch(() => this.stream.abort(new Error('peergrid request channel: closing failed')));
  }

  private send(pending: Pending): void {
    pending.sent = true;
    this.lastSentId = pending.id;
    this.sent.set(pending.id, pending);
    if (this.sent.size === 1) {
      // The server owes us bytes from now on.
      this.silence.start();
    }
    this.frames.write(encodeChannelHeader(ChannelKind.request, pending.id), pending.payload, false).catch((error: unknown) => {
      if (!this.closed) this.fail(RequestFailure.reset, `cannot send a request: ${describe(error)}`, error);
    });
  }

  /** A request ends before its answer (its timeout, its caller): a sent one is cancelled on the server. */
  private giveUp(pending: Pending, error: RequestFailedError): void {
    if (pending.sent) {
      if (this.sent.get(pending.id) !== pending) return;
      this.sent.delete(pending.id);
      // Behind the request's own frame, never before it (as an urgent frame could be, were the
      // request still queued): a cancel of a request the server has not seen is an offence there.
      if (!this.closed) this.frames.write(encodeChannelHeader(ChannelKind.cancel, pending.id), EMPTY, false).catch(() => {});
    } else {
      const at = this.waiting.indexOf(pending);
      if (at < 0) return;
      this.waiting.splice(at, 1);
    }
    this.settle(pending);
    pending.reject(error);
    this.sendWaiting();
  }

  private onMessage(event: StreamMessageEvent): void {
    if (this.closed) return;
    this.silence.heard();
    for (const chunk of chunksOf(event.data)) {
      const result = this.decoder.push(chunk);
      if (!result.ok) {
        if (isOversizeFrameError(result.error)) this.fail(RequestFailure.tooLarge, `an answer above ${this.limits.responseFrameBytesMax} bytes`);
        else this.fail(RequestFailure.protocol, `bad answer frame: ${result.error}`);
        return;
      }
      for (const frame of result.frames) if (!this.onFrame(frame)) return;
    }
  }

  /** Handles one frame; false when it failed the channel. */
  private onFrame(frame: Uint8Array): boolean {
    const decoded = decodeChannelMessage(frame);
    if (!decoded.ok) {
      this.fail(RequestFailure.protocol, `bad channel message: ${decoded.error}`);
      return false;
    }
    const message = decoded.message;
    if (message.kind !== ChannelKind.response && message.kind !== ChannelKind.failed) {
      this.fail(RequestFailure.protocol, 'a request sent to the client');
      return false;
    }
    if (message.id > this.lastSentId) {
      this.fail(RequestFailure.protocol, `an answer to request ${message.id}, never sent`);
      return false;
    }
    const pending = this.sent.get(message.id);
    // Cancelled or timed out: its answer was already on the way.
    if (pending === undefined) return true;
    if (message.kind === ChannelKind.response && message.payload.length > this.limits.responseFrameBytesMax) {
      this.fail(RequestFailure.tooLarge, `an answer above ${this.limits.responseFrameBytesMax} bytes`);
      return false;
    }
    this.sent.delete(message.id);
    this.settle(pending);
    if (message.kind === ChannelKind.response) pending.resolve(message.payload);
    else pending.reject(new RequestFailedError(RequestFailure.reset, 'the server failed the request'));
    this.sendWaiting();
    return true;
  }

  /** Sends what waits, up to the cap. */
  private sendWaiting(): void {
    while (!this.closed && this.waiting.length > 0 && this.sent.size < this.limits.requestsInFlightMax) {
      this.send(this.waiting.shift() as Pending);
    }
    if (this.closed) return;
    if (this.sent.size === 0) this.silence.stop();
    if (this.requestsPending === 0) this.armCloseTimer();
  }

  private onEnd(): void {
    if (this.closed && this.sent.size === 0) return;
    // The server takes no more requests; what it has not answered it never will.
    this.fail(RequestFailure.reset, 'the server ended the channel');
  }

  private onClose(event: StreamCloseEvent): void {
    if (this.closed && this.requestsPending === 0) return;
    this.fail(RequestFailure.reset, event.error === undefined ? 'the channel closed' : `the channel was reset: ${describe(event.error)}`, event.error);
  }

  private fail(reason: RequestFailureReason, message: string, cause?: unknown): void {
    const error = new RequestFailedError(reason, message, cause === undefined ? undefined : { cause });
    this.markClosed();
    this.rejectAll(error);
    this.controller.abort(error);
    this.stream.abort(error);
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.silence.stop();
    this.clearCloseTimer();
    this.onClosed(this);
  }

  private rejectAll(error: RequestFailedError): void {
    const all = [...this.sent.values(), ...this.waiting];
    this.sent.clear();
    this.waiting.length = 0;
    for (const pending of all) {
      this.settle(pending);
      pending.reject(error);
    }
  }

  private settle(pending: Pending): void {
    if (pending.timer !== null) clearTimeout(pending.timer);
    pending.timer = null;
    pending.signal?.removeEventListener('abort', pending.onAbort);
  }

  private armCloseTimer(): void {
    if (this.closeTimer !== null || this.closed) return;
    this.closeTimer = setTimeout(() => {
      this.closeTimer = null;
      if (this.requestsPending === 0) this.close();
    }, this.limits.closeWhenIdleMs);
    // An idle channel alone does not keep the process alive.
    this.closeTimer.unref?.();
  }

  private clearCloseTimer(): void {
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    this.closeTimer = null;
  }
}

const EMPTY = new Uint8Array(0);

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
