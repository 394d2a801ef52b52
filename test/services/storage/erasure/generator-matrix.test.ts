/**
 * The code is MDS: every K of the K+M rows of the generator form an invertible matrix, so any K
 * fragments rebuild the block. Checked for every choice of rows when K+M ≤ 12, at random up to
 * K+M = 30 and at the limit K+M = 256; and the construction it replaces is shown to fail.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { gfInverse, gfMultiply, gfPower } from '../../../../src/services/storage/erasure/galois-field.ts';
import { TOTAL_SHARDS_MAX, cauchyParityMatrix, generatorMatrix } from '../../../../src/services/storage/erasure/generator-matrix.ts';
import { identityMatrix, invertMatrix, matrixEntry, selectRows, zeroMatrix, type Matrix } from '../../../../src/services/storage/erasure/matrix.ts';
import { subsets } from './support.ts';


/** K distinct row indexes out of n, from a shuffle. */
function randomSubset(n: number, k: number, keys: readonly number[]): number[] {
  return Array.from({ length: n }, (_, i) => i)
    .sort((a, b) => keys[a] - keys[b] || a - b)
    .slice(0, k)
    .sort((a, b) => a - b);
}

describe('the generator matrix', () => {
  it('is the identity over the Cauchy block 1 / ((K + i) ^ j)', () => {
    const generator = generatorMatrix(4, 3);
    assert.deepEqual(selectRows(generator, [0, 1, 2, 3]), identityMatrix(4));
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 4; j++) {
        assert.equal(matrixEntry(generator, 4 + i, j), gfInverse((4 + i) ^ j));
        assert.equal(gfMultiply(matrixEntry(generator, 4 + i, j), (4 + i) ^ j), 1);
      }
    }
    assert.equal(generatorMatrix(3, 0).rows, 3);
    assert.throws(() => cauchyParityMatrix(200, 57), RangeError);
  });

  it('every K of its K+M rows are invertible, for every K+M ≤ 12 (exhaustive)', () => {
    let checked = 0;
    for (let total = 1; total <= 12; total++) {
      for (let k = 1; k <= total; k++) {
        const generator = generatorMatrix(k, total - k);
        for (const rows of subsets(total, k)) {
          assert.notEqual(invertMatrix(selectRows(generator, rows)), null, `K=${k} M=${total - k} rows ${rows.join(',')}`);
          checked++;
        }
      }
    }
    assert.equal(checked, 2 ** 13 - 13 - 1); // Σ_{n ≤ 12} (2^n − 1)
  });

  it('every K of its K+M rows are invertible, at random for K+M ≤ 30', () => {
    const shape = fc.integer({ min: 2, max: 30 }).chain((total) =>
      fc.tuple(fc.constant(total), fc.integer({ min: 1, max: total - 1 }), fc.array(fc.double({ noNaN: true }), { minLength: total, maxLength: total })),
    );
    fc.assert(
      fc.property(shape, ([total, k, keys]) => {
        const rows = randomSubset(total, k, keys);
        assert.notEqual(invertMatrix(selectRows(generatorMatrix(k, total - k), rows)), null, `K=${k} M=${total - k} rows ${rows.join(',')}`);
      }),
      { seed: 5, numRuns: 2000 },
    );
  });

  it('every K of its K+M rows are invertible at the limit K+M = 256 (data rows lost at either end)', () => {
    for (const k of [128, 250]) {
      const generator = generatorMatrix(k, TOTAL_SHARDS_MAX - k);
      for (let trial = 0; trial < 2; trial++) {
        // Lose the first (trial = 0) or last data rows: as many as there are parity rows.
        const lost = TOTAL_SHARDS_MAX - k;
        const rows = Array.from({ length: TOTAL_SHARDS_MAX }, (_, i) => i).filter((i) => (trial === 0 ? i >= lost : i < k - lost || i >= k));
        assert.equal(rows.length, k);
        assert.notEqual(invertMatrix(selectRows(generator, rows)), null, `K=${k} trial ${trial}`);
      }
    }
  });

  it('the identity stacked on Vandermonde rows j^i (the 1997 tutorial construction) is not MDS', () => {
    // Plank & Ding, 2003: this construction can lose data with only M fragments lost. Example:
    // K = 3, M = 4; fragments 0, 1, 2 and 5 lost, rows 3, 4, 6 left: [1 1 1], [1 2 3], [1 8 15].
    const k = 3;
    const naive: Matrix = zeroMatrix(k + 4, k);
    naive.entries.set(identityMatrix(k).entries);
    for (let i = 0; i < 4; i++) for (let j = 0; j < k; j++) naive.entries[(k + i) * k + j] = gfPower(j + 1, i);
    assert.equal(invertMatrix(selectRows(naive, [3, 4, 6])), null);
    assert.notEqual(invertMatrix(selectRows(generatorMatrix(k, 4), [3, 4, 6])), null);
  });
});
