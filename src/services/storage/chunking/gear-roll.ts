/**
 * The inner loop of FastCDC: roll the Gear fingerprint over a range of bytes and stop at the first
 * cut point. Everything else in the chunker is bookkeeping around this function, so it is written
 * for V8: int32 arithmetic only (`| 0`), the table a module constant held in a local, no allocation,
 * and four bytes per iteration so that loop overhead is paid a quarter as often.
 *
 * The Gear step is the paper's fp = (fp << 1) + Gear[b] (FastCDC, ATC 2016, Algorithm 1), in 32
 * bits; a position is a cut point when fp & mask == 0 (the paper's simplified hash judgment).
 * Unrolling computes the very same fingerprints, in the same order, so the cut points are those of
 * the byte-at-a-time loop; test/services/storage/chunking/ checks this against a naive reference.
 * The WebAssembly version of this loop (wasm-gear-roll.ts) is the faster one; this one is the
 * reference and the fallback.
 */
import { GEAR } from './gear-table.ts';

/** Where rollToCut leaves the fingerprint when it reaches the end of its range without a cut. */
export interface RollState {
  fingerprint: number;
}

/** The signature of the roll, in JavaScript here and in WebAssembly in wasm-gear-roll.ts. */
export type GearRoller = (data: Uint8Array, from: number, to: number, fingerprint: number, mask: number, state: RollState) => number;

/**
 * Rolls the fingerprint `fingerprint` over data[from], data[from + 1], … data[to − 1] and returns the
 * index of the first byte after whose step fp & mask is 0, or −1 when there is none — in which case
 * the fingerprint after data[to − 1] is left in `state.fingerprint`, so a later range can continue it.
 * Requires 0 ≤ from ≤ to ≤ data.length.
 */
export function rollToCut(data: Uint8Array, from: number, to: number, fingerprint: number, mask: number, state: RollState): number {
  const gear = GEAR;
  let fp = fingerprint | 0;
  let i = from | 0;
  const end = to | 0;
  const unrolledEnd = (end - 3) | 0;
  while (i < unrolledEnd) {
    const fp0 = ((fp << 1) + gear[data[i]]) | 0;
    const fp1 = ((fp0 << 1) + gear[data[i + 1]]) | 0;
    const fp2 = ((fp1 << 1) + gear[data[i + 2]]) | 0;
    fp = ((fp2 << 1) + gear[data[i + 3]]) | 0;
    // Cut points are rare (one in thousands of bytes), so one combined test is the common path.
    if (((fp0 & mask) === 0) || ((fp1 & mask) === 0) || ((fp2 & mask) === 0) || ((fp & mask) === 0)) {
      if ((fp0 & mask) === 0) return i;
      if ((fp1 & mask) === 0) return i + 1;
      if ((fp2 & mask) === 0) return i + 2;
      return i + 3;
    }
    i += 4;
  }
  for (; i < end; i++) {
    fp = ((fp << 1) + gear[data[i]]) | 0;
    if ((fp & mask) === 0) return i;
  }
  state.fingerprint = fp;
  return -1;
}
