/**
 * The matrix that rebuilds lost fragments from K surviving ones.
 *
 * Let G be the (K+M)×K generator and S the K×K matrix of the survivors' rows of G. The survivors
 * are S · data, so data = S⁻¹ · survivors, and any fragment t is G_t · data = (G_t · S⁻¹) ·
 * survivors. Stacking the rows G_t · S⁻¹ of the fragments wanted gives one matrix, so lost data and
 * lost parity alike come out of one pass of the kernel over the K survivors (for a lost data
 * fragment, G_t is a unit row and G_t · S⁻¹ is just row t of S⁻¹).
 *
 * Inverting is cheap next to the data (K³ field operations: 1,000 for K = 10, against millions of
 * bytes per block), but blocks of one object tend to lose the same fragments, so the matrices are
 * kept in a small cache keyed by the erasure pattern.
 */
import { invertMatrix, multiplyMatrices, selectRows, type Matrix } from './matrix.ts';

/** Rows G_t · S⁻¹ for t in `targets`, S the rows `survivors` (K of them) of `generator`. */
export function reconstructionMatrix(generator: Matrix, survivors: readonly number[], targets: readonly number[]): Matrix {
  const inverse = invertMatrix(selectRows(generator, survivors));
  // The generator is MDS (generator-matrix.ts), so K distinct rows are always invertible.
  if (inverse === null) throw new Error(`reconstructionMatrix: rows ${survivors.join(',')} are singular — the generator is not MDS`);
  return multiplyMatrices(selectRows(generator, targets), inverse);
}

/**
 * Erasure patterns remembered per codec. A bound is needed because patterns come from the network
 * (which fragments arrived); 64 patterns of a 10+4 code take 64 · 4 · 10 bytes plus the kernel's
 * tables (32 bytes a coefficient), about 100 KiB in all.
 */
export const RECONSTRUCTION_CACHE_ENTRIES_MAX = 64;

export class ReconstructionMatrixCache {
  private readonly entries = new Map<string, Matrix>();
  private readonly generator: Matrix;

  constructor(generator: Matrix) {
    this.generator = generator;
  }

  get(survivors: readonly number[], targets: readonly number[]): Matrix {
    const key = `${survivors.join(',')}>${targets.join(',')}`;
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      // Re-insert, so that the Map's insertion order is least recently used first.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const matrix = reconstructionMatrix(this.generator, survivors, targets);
    if (this.entries.size >= RECONSTRUCTION_CACHE_ENTRIES_MAX) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, matrix);
    return matrix;
  }

  get size(): number {
    return this.entries.size;
  }
}
