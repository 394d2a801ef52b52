/** Helpers shared by the erasure tests: deterministic bytes and a naive product to compare against. */
import { gfMultiply } from '../../../../src/services/storage/erasure/galois-field.ts';
import type { Matrix } from '../../../../src/services/storage/erasure/matrix.ts';

/** `length` bytes from a xorshift32 stream seeded by `seed` (fast, so large inputs need no shrinking). */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = (seed | 0) || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

/** outputs[r][b] = Σ_i m(r, i) · inputs[i][b], byte by byte with the log-table multiplication. */
export function naiveProduct(matrix: Matrix, inputs: readonly Uint8Array[], length: number): Uint8Array[] {
  return Array.from({ length: matrix.rows }, (_, r) => {
    const out = new Uint8Array(length);
    for (let b = 0; b < length; b++) {
      let sum = 0;
      for (let i = 0; i < matrix.columns; i++) sum ^= gfMultiply(matrix.entries[r * matrix.columns + i], inputs[i][b]);
      out[b] = sum;
    }
    return out;
  });
}

/** Every k-element subset of 0 … n-1, in lexicographic order. */
export function* subsets(n: number, k: number, start = 0, chosen: number[] = []): Generator<number[]> {
  if (chosen.length === k) {
    yield chosen.slice();
    return;
  }
  for (let i = start; i <= n - (k - chosen.length); i++) {
    chosen.push(i);
    yield* subsets(n, k, i + 1, chosen);
    chosen.pop();
  }
}
