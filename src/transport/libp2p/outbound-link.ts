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

export interface OutboundLinkEvents<Tag> {
  onFramesSent(frames: number, bytes: number): void;
  /** Frames that never left, by the tags they were given to `send` with. */
  onFramesDropped(tags: readonly Tag[]): void;
  onDialFailed(error: unknown): void;
  /** The stream is open and what was queued has been written (for timing, link-timing.ts). */
  onOpened?(): void;
  /** The remote wrote on a stream it may only read. */
  onProtocolViolation(reason: string): void;
  onClosed(link: OutboundLink<Tag>): void;
}

/**
 * `Tag` is whatever the owner wants back for a frame that is dropped (the transport passes the
 * message and its addressee, so the kernel can fail that request at once).
 */
export class OutboundLink<Tag> {
  private currentState: LinkState = 'opening';
  private stream: Stream | null = null;
  /** Frames waiting for the stream; the hello first, which has no tag. */
  private queue: Uint8Array[] = [];
  private queueTags: Tag[] = [];
  private queuedBytes = 0;
  private readonly events: OutboundLinkEvents<Tag>;
  /** Resolves once opening has succeeded or failed. */
  private readonly settled: Promise<void>;

  /** `open` dials and negotiates the protocol; `hello` is the first frame written. */
  constructor(open: () => Promise<Stream>, hello: Uint8Array, events: OutboundLinkEvents<Tag>) {
    this.events = events;
    this.queue.push(hello);
    this.queuedBytes = hello.length;
    this.settled = open().then((stream) => this.onOpened(stream), (error: unknown) => this.onOpenFailed(error));
  }

  get state(): LinkState {
    return this.currentState;
  }

  /** Queues or writes one frame; returns false when it was dropped (link closed, or too much waiting). */
  send(frame: Uint8Array, tag: Tag): boolean {
    switch (this.currentState) {
      case 'closed':
        return this.drop([tag]);
      case 'opening':
        if (this.queue.length >= StreamLimits.queuedFramesPerLinkMax || this.queuedBytes + frame.length > StreamLimits.queuedBytesPerLinkMax) {
          return this.drop([tag]);
        }
        this.queue.push(frame);
        this.queueTags.push(tag);
        this.queuedBytes += frame.length;
        return true;
      case 'open':
        return this.writeCounted(this.stream as Stream, frame, tag);
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

  private writeCounted(stream: Stream, frame: Uint8Array, tag: Tag): boolean {
    if (!writeFrame(stream, frame)) return this.drop([tag]);
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
    const tags = this.queueTags;
    this.queue = [];
    this.queueTags = [];
    this.queuedBytes = 0;
    // The hello is protocol overhead, not a message: it is not counted as one sent.
    if (!writeFrame(stream, queued[0])) {
      this.drop(tags);
      return;
    }
    for (let index = 1; index < queued.length; index++) this.writeCounted(stream, queued[index], tags[index - 1]);
    this.events.onOpened?.();
  }

  private onOpenFailed(error: unknown): void {
    if (this.currentState === 'closed') return;
    this.events.onDialFailed(error);
    this.dropQueue();
    this.markClosed();
  }

  private dropQueue(): void {
    // The hello (the first queued frame) has no tag: it is not a message.
    const tags = this.queueTags;
    this.queue = [];
    this.queueTags = [];
    this.queuedBytes = 0;
    this.drop(tags);
  }

  private drop(tags: readonly Tag[]): false {
    if (tags.length > 0) this.events.onFramesDropped(tags);
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
