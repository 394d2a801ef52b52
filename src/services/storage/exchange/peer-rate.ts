/**
 * How fast a peer delivers blocks, learned from the blocks it delivered (issue 4: "the fastest
 * holders preferred").
 *
 * Each delivery is one sample: its bytes, and the time the peer was busy with it — from when it
 * delivered its previous block, or from when the request was sent if it was idle since. With
 * requests pipelined, the gap between two deliveries is what the peer's link took for one block,
 * so the samples measure throughput rather than latency, as a download rate meter does.
 *
 * The rate is the ratio of two exponentially weighted moving averages, of bytes and of busy time,
 * rather than a moving average of per-sample ratios: a peer that serves pipelined requests side by
 * side delivers several blocks in the same millisecond, whose per-sample rates would be absurd, but
 * whose bytes still count while their time adds nothing.
 */

/** Below this a busy time is under a real clock's resolution (a millisecond); it only guards a division. */
const BUSY_MS_MIN = 1;

export class PeerRate {
  private bytesAverage = 0;
  private busyMsAverage = 0;
  private samples = 0;

  /** Whether at least one block with bytes in it has been measured. */
  get measured(): boolean {
    return this.samples > 0;
  }

  /** Bytes per millisecond; 0 when nothing has been measured. */
  get bytesPerMs(): number {
    if (this.samples === 0) return 0;
    return this.bytesAverage / Math.max(this.busyMsAverage, BUSY_MS_MIN);
  }

  /** Folds in one delivery of `bytes` (> 0) that kept the peer busy `busyMs` (≥ 0); `smoothing` ∈ (0, 1] weighs it. */
  add(bytes: number, busyMs: number, smoothing: number): void {
    if (!(bytes > 0) || !(busyMs >= 0) || !Number.isFinite(bytes) || !Number.isFinite(busyMs)) return;
    if (this.samples === 0) {
      this.bytesAverage = bytes;
      this.busyMsAverage = busyMs;
    } else {
      this.bytesAverage += smoothing * (bytes - this.bytesAverage);
      this.busyMsAverage += smoothing * (busyMs - this.busyMsAverage);
    }
    this.samples++;
  }
}
