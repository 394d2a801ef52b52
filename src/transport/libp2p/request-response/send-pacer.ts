/**
 * Paces what a server sends, across all its streams, to a byte rate (`serveBytesPerSecond`):
 * benchmarks use it to make one source slow. Writers take tokens for each slice before sending
 * it, and sleep on a timer while the shared bucket (token-bucket.ts) is in debt.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TokenBucket } from './token-bucket.ts';

/**
 * 64 KiB: small enough that the pace is smooth at tens of KiB/s and a paced stream never bursts
 * far ahead of the rate, large enough that even at 1 GB/s a timer fires only every 64 µs of budget.
 */
export const PACER_BURST_BYTES_DEFAULT = 64 * 1024;

export class SendPacer {
  /** The most a writer takes at once: a frame is sent in slices of this size. */
  readonly sliceBytes: number;
  private readonly bucket: TokenBucket;
  private readonly nowMs: () => number;

  constructor(bytesPerSecond: number, burstBytes = PACER_BURST_BYTES_DEFAULT, nowMs: () => number = () => performance.now()) {
    this.bucket = new TokenBucket(bytesPerSecond, burstBytes, nowMs());
    this.sliceBytes = Math.max(1, Math.floor(burstBytes));
    this.nowMs = nowMs;
  }

  /** Resolves when `bytes` may be sent; rejects with the signal's reason (and gives them back) if it aborts first. */
  async take(bytes: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const waitMs = this.bucket.reserve(bytes, this.nowMs());
    if (waitMs <= 0) return;
    try {
      // Timers fire in whole milliseconds and never early; rounding up keeps us under the rate.
      await sleep(Math.ceil(waitMs), undefined, { signal });
    } catch (error) {
      this.bucket.refund(bytes, this.nowMs());
      throw signal.aborted ? signal.reason : error;
    }
  }
}
