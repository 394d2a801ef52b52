/**
 * A log-scale histogram of the round-trip times a node has measured, for timeouts towards peers it
 * has no samples of yet. Internet RTTs are heavy-tailed (on the PlanetLab matrix the median is
 * 135 ms and the 99th percentile over 400 ms), so the smoothed mean plus four deviations (RFC 6298)
 * would declare the slowest few percent of live peers silent on first contact; a high quantile of
 * what was actually measured does not. Old samples fade: counts halve every `halfLifeSamples`.
 */
const BUCKETS = 48;
/** Bucket i holds RTTs in [LOWEST_MS·RATIO^i, LOWEST_MS·RATIO^(i+1)); RATIO = 2^(1/4), so 48 buckets span 1 ms … 4 s. */
const LOWEST_MS = 1;
const LOG_RATIO = Math.log(2) / 4;

export class RttHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private readonly halfLifeSamples: number;

  constructor(halfLifeSamples = 512) {
    this.halfLifeSamples = halfLifeSamples;
  }

  get samples(): number {
    return this.total;
  }

  add(rttMs: number): void {
    const bucket = Math.min(BUCKETS - 1, Math.max(0, Math.floor(Math.log(Math.max(rttMs, LOWEST_MS) / LOWEST_MS) / LOG_RATIO)));
    this.counts[bucket]++;
    this.total++;
    if (this.total >= 2 * this.halfLifeSamples) {
      for (let i = 0; i < BUCKETS; i++) this.counts[i] /= 2;
      this.total /= 2;
    }
  }

  /** The upper edge of the bucket holding the q-quantile (0 < q ≤ 1), or NaN with no samples. */
  quantileMs(q: number): number {
    if (this.total === 0) return NaN;
    const wanted = q * this.total;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= wanted) return LOWEST_MS * Math.exp((i + 1) * LOG_RATIO);
    }
    return LOWEST_MS * Math.exp(BUCKETS * LOG_RATIO);
  }
}
