/**
 * Smoothed round-trip time and its variation, and the retransmission timeout derived from them,
 * as TCP does it (RFC 6298 §2). Used per routing-table contact and once per node for contacts
 * without samples of their own.
 */
export interface RttSample {
  srttMs: number;
  rttVarMs: number;
}

/** Folds one measurement into the estimate; an estimate with srttMs = 0 has no samples yet. */
export function addRttSample(estimate: RttSample, sampleMs: number): void {
  if (estimate.srttMs === 0) {
    estimate.srttMs = sampleMs;
    estimate.rttVarMs = sampleMs / 2;
    return;
  }
  estimate.rttVarMs = 0.75 * estimate.rttVarMs + 0.25 * Math.abs(estimate.srttMs - sampleMs);
  estimate.srttMs = 0.875 * estimate.srttMs + 0.125 * sampleMs;
}

/** RTO = SRTT + 4·RTTVAR, clamped; `fallbackMs` when there is no sample. */
export function retransmissionTimeoutMs(estimate: RttSample, fallbackMs: number, minMs: number, maxMs: number): number {
  const rto = estimate.srttMs === 0 ? fallbackMs : estimate.srttMs + 4 * estimate.rttVarMs;
  return Math.min(maxMs, Math.max(minMs, rto));
}
