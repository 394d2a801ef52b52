/**
 * Writes frames on one stream shared by many requests (a request channel, channel-messages.ts), one
 * whole frame after another: a frame sent in pieces must not have another frame's bytes in its
 * middle.
 *
 * Frames queued while the stream was busy (or in the same turn of the event loop) go out together,
 * copied into one `send`: each `send` becomes a muxer frame of its own, which the reader answers
 * with a window update (js-yamux sends one for every data frame it receives), and on loopback
 * every such small write costs both processes more than the copy (measured: the getter's socket
 * writes were a tenth of its time). "The same turn" is the whole phase of the event loop, not only
 * the caller's microtasks: a source's answers whose block reads finished in one poll of the loop
 * leave in one send, and a fetch's getter made 633 socket writes per 256 MiB instead of 1,108
 * (docs/BENCHMARKS.md, "Requests and answers sent together").
 *
 * Small frames go first: a frame queued as urgent (a cancel, a notFound, a refusal) waits only for
 * the frames being sent, never behind other large ones. A queued frame whose own signal aborts
 * before its turn is dropped unsent; once begun, a frame is finished, since the stream has no way
 * to cut one short but a reset. With a pacer, frames go one at a time, in the pacer's slices.
 */
import type { Stream } from '@libp2p/interface';
import { varintBytes } from '../frames.ts';
import { joinFrames, sendWithBackpressure, writeFrameWithHeader } from './frame-writer.ts';
import type { SendPacer } from './send-pacer.ts';

interface QueuedFrame {
  readonly header: Uint8Array;
  readonly body: Uint8Array;
  readonly signal: AbortSignal | null;
  resolve(bytes: number): void;
  reject(error: unknown): void;
}

export interface FrameQueueOptions {
  /** The stream's own life: aborting it fails the frames being sent and all those queued. */
  readonly signal: AbortSignal;
  readonly pacer?: SendPacer | null;
  readonly stallTimeoutMs?: number;
}

/** Frames joined into one send up to about this many bytes (a larger frame goes alone): bounds the copy. */
const JOINED_BYTES_MAX = 1024 * 1024;

export class FrameQueue {
  private readonly stream: Stream;
  private readonly options: FrameQueueOptions;
  private readonly urgent: QueuedFrame[] = [];
  private readonly normal: QueuedFrame[] = [];
  private draining = false;
  private failure: unknown = null;

  constructor(stream: Stream, options: FrameQueueOptions) {
    this.stream = stream;
    this.options = options;
  }

  /**
   * Queues `header` + `body` as one frame; resolves with the bytes written (prefix included) once
   * the stream has taken them. Rejects with the frame's `signal`'s reason if it aborts before the
   * frame's turn, and with the stream's failure if the stream fails first (every later write then
   * fails the same way).
   */
  write(header: Uint8Array, body: Uint8Array, urgent: boolean, signal: AbortSignal | null = null): Promise<number> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      (urgent ? this.urgent : this.normal).push({ header, body, signal, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // After this phase of the event loop, so the frames queued in it leave in one send.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const batch = this.takeBatch();
        if (batch.length === 0) return;
        try {
          if (this.options.pacer === undefined || this.options.pacer === null) {
            const joined = joinFrames(batch);
            await sendWithBackpressure(this.stream, joined, this.options);
            for (const frame of batch) frame.resolve(frameBytes(frame));
          } else {
            for (const frame of batch) frame.resolve(await writeFrameWithHeader(this.stream, frame.header, frame.body, this.options));
          }
        } catch (error) {
          // Those already resolved are unaffected.
          for (const frame of batch) frame.reject(error);
          this.fail(error);
          return;
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** The next frames to send: urgent ones first, those given up on dropped, up to JOINED_BYTES_MAX (at least one). */
  private takeBatch(): QueuedFrame[] {
    const batch: QueuedFrame[] = [];
    let bytes = 0;
    const joinable = this.options.pacer === undefined || this.options.pacer === null;
    for (const queue of [this.urgent, this.normal]) {
      while (queue.length > 0) {
        const next = queue[0];
        if (next.signal?.aborted === true) {
          queue.shift();
          next.reject(next.signal.reason);
          continue;
        }
        const size = frameBytes(next);
        if (batch.length > 0 && (!joinable || bytes + size > JOINED_BYTES_MAX)) return batch;
        queue.shift();
        batch.push(next);
        bytes += size;
      }
    }
    return batch;
  }

  private fail(error: unknown): void {
    this.failure = error;
    for (const queued of this.urgent.splice(0)) queued.reject(error);
    for (const queued of this.normal.splice(0)) queued.reject(error);
  }
}

/** A frame's bytes on the wire, its prefix included. */
function frameBytes(frame: QueuedFrame): number {
  const length = frame.header.length + frame.body.length;
  return varintBytes(length) + length;
}
