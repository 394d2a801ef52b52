/**
 * A token bucket over bytes, with time as an argument: `bytesPerSecond` refill, at most
 * `burstBytes` saved up while idle.
 *
 * Tokens may go below zero. A reservation is always granted and answered with how long its sender
 * must wait before sending, so senders sharing the bucket queue in the order they reserved, and
 * the rate over any long stretch is exact: a timer that fires late is credited with the time it
 * lost (up to the burst), so timer lateness does not add up.
 */
export class TokenBucket {
  private readonly bytesPerSecond: number;
  private readonly burstBytes: number;
  private tokens: number;
  private updatedAtMs: number;

  constructor(bytesPerSecond: number, burstBytes: number, nowMs: number) {
    if (!(bytesPerSecond > 0) || !Number.isFinite(bytesPerSecond)) throw new RangeError('bytesPerSecond must be a positive finite number');
    if (!(burstBytes >= 1) || !Number.isFinite(burstBytes)) throw new RangeError('burstBytes must be at least 1');
    this.bytesPerSecond = bytesPerSecond;
    this.burstBytes = burstBytes;
    this.tokens = burstBytes;
    this.updatedAtMs = nowMs;
  }

  /** Debits `bytes`; returns how many milliseconds after `nowMs` they may be sent (0: at once). */
  reserve(bytes: number, nowMs: number): number {
    this.refill(nowMs);
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.bytesPerSecond;
  }

  /** Gives back a reservation whose sender gave up before sending. */
  refund(bytes: number, nowMs: number): void {
    this.refill(nowMs);
    this.tokens = Math.min(this.burstBytes, this.tokens + bytes);
  }

  private refill(nowMs: number): void {
    const elapsedMs = nowMs - this.updatedAtMs;
    if (elapsedMs <= 0) return;
    this.updatedAtMs = nowMs;
    this.tokens = Math.min(this.burstBytes, this.tokens + (elapsedMs * this.bytesPerSecond) / 1000);
  }
}
