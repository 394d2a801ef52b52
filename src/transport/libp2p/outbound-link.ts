/**
 * Our one-way stream to one peer (protocol.ts): opened on the first message, hello first, then
 * every message we send that peer, until either side closes it or the connection goes.
 *
 * Frames given while the stream is being opened wait in a bounded queue. Nothing here retries:
 * when the dial fails or the stream closes, what was queued is dropped and the kernel's request
 * timeouts take over; the next message opens a new link.
 */
import type { Stream, StreamMessageEvent } from '@libp2p/interface';
import { StreamLimits } from './protocol.ts';

export type LinkState = 'opening' | 'open' | 'closed';

export interface OutboundLinkEvents {
  onFramesSent(frames: number, bytes: number): void;
  onFramesDropped(frames: number): void;
  onDialFailed(error: unknown): void;
  /** The remote wrote on a stream it may only read. */
  onProtocolViolation(reason: string): void;
  onClosed(link: OutboundLink): void;
}

export class OutboundLink {
  private currentState: LinkState = 'opening';
  private stream: Stream | null = null;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private readonly events: OutboundLinkEvents;
  /** Resolves once opening has succeeded or failed. */
  private readonly settled: Promise<void>;

  /** `open` dials and negotiates the protocol; `hello` is the first frame written. */
  constructor(open: () => Promise<Stream>, hello: Uint8Array, events: OutboundLinkEvents) {
    this.events = events;
    this.queue.push(hello);
    this.queuedBytes = hello.length;
    this.settled = open().then((stream) => this.onOpened(stream), (error: unknown) => this.onOpenFailed(error));
  }

  get state(): LinkState {
    return this.currentState;
  }

  /** Queues or writes one frame; returns false when it was dropped (link closed, or too much waiting). */
  send(frame: Uint8Array): boolean {
    switch (this.currentState) {
      case 'closed':
        return this.drop(1);
      case 'opening':
        if (this.queue.length >= StreamLimits.queuedFramesPerLinkMax || this.queuedBytes + frame.length > StreamLimits.queuedBytesPerLinkMax) {
          return this.drop(1);
        }
        this.queue.push(frame);
        this.queuedBytes += frame.length;
        return true;
      case 'open':
        return this.writeCounted(this.stream as Stream, frame);
    }
  }

  /**
   * Closes our end after what is queued and buffered has gone out — waiting for a link still being
   * opened, so that last words (the kernel's LEAVE) are not lost — or resets it when `signal` fires first.
   */
  async close(signal: AbortSignal): Promise<void> {
    if (this.currentState === 'opening') await Promise.race([this.settled, abortedPromise(signal)]);
    const stream = this.stream;
    if (this.currentState === 'opening') this.dropQueue();
    this.markClosed();
    if (stream === null || stream.status !== 'open') return;
    try {
      await stream.close({ signal });
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error('close failed'));
    }
  }

  private writeCounted(stream: Stream, frame: Uint8Array): boolean {
    if (!writeFrame(stream, frame)) return this.drop(1);
    this.events.onFramesSent(1, frame.length);
    return true;
  }

  private onOpened(stream: Stream): void {
    if (this.currentState === 'closed') {
      stream.abort(new Error('link closed while opening'));
      return;
    }
    this.stream = stream;
    this.currentState = 'open';
    stream.addEventListener('close', () => this.markClosed());
    stream.addEventListener('message', (_event: StreamMessageEvent) => {
      if (stream.status !== 'open') return;
      stream.abort(new Error('peergrid kad: data on a one-way stream'));
      this.events.onProtocolViolation('wrote on a stream it may only read');
    });
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    // The hello is protocol overhead, not a message: it is not counted as one sent.
    if (!writeFrame(stream, queued[0])) {
      this.drop(queued.length - 1);
      return;
    }
    for (let index = 1; index < queued.length; index++) this.writeCounted(stream, queued[index]);
  }

  private onOpenFailed(error: unknown): void {
    if (this.currentState === 'closed') return;
    this.events.onDialFailed(error);
    this.dropQueue();
    this.markClosed();
  }

  private dropQueue(): void {
    // The first queued frame is the hello, which is not a message.
    if (this.queue.length > 1) this.drop(this.queue.length - 1);
    this.queue = [];
    this.queuedBytes = 0;
  }

  private drop(frames: number): false {
    if (frames > 0) this.events.onFramesDropped(frames);
    return false;
  }

  private markClosed(): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    this.events.onClosed(this);
  }
}

/** Writes one frame; false when the stream cannot take it. */
function writeFrame(stream: Stream, frame: Uint8Array): boolean {
  // A peer that does not read must not make us buffer without bound: past the cap, drop.
  if (stream.status !== 'open' || stream.writeStatus !== 'writable') return false;
  if (stream.writeBufferLength + frame.length > StreamLimits.queuedBytesPerLinkMax) return false;
  try {
    stream.send(frame);
  } catch {
    return false;
  }
  return true;
}

/** Resolves when `signal` aborts (never rejects, so it can race a settling promise). */
function abortedPromise(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
