/** Matrix inversion over GF(256) against the adjugate formula computed with Leibniz determinants. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { gfDivide, gfMultiply } from '../../../../src/services/storage/erasure/galois-field.ts';
import {
  identityMatrix,
  invertMatrix,
  matrixEntry,
  matrixFromRows,
  multiplyMatrices,
  selectRows,
  zeroMatrix,
  type Matrix,
} from '../../../../src/services/storage/erasure/matrix.ts';

function* permutations(items: number[]): Generator<{ order: number[]; odd: boolean }> {
  if (items.length <= 1) {
    yield { order: items.slice(), odd: false };
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const p of permutations(rest)) yield { order: [items[i], ...p.order], odd: p.odd !== (i % 2 === 1) };
  }
}

/** det by the Leibniz formula; in characteristic 2 the signs vanish, so it is a plain XOR of products. */
function naiveDeterminant(rows: number[][]): number {
  if (rows.length === 0) return 1;
  let sum = 0;
  for (const { order } of permutations(rows.map((_, i) => i))) {
    let product = 1;
    order.forEach((column, row) => (product = gfMultiply(product, rows[row][column])));
    sum ^= product;
  }
  return sum;
}

/** inverse = adjugate / det, cofactors by Leibniz — or null when det = 0. */
function naiveInverse(rows: number[][]): number[][] | null {
  const det = naiveDeterminant(rows);
  if (det === 0) return null;
  const n = rows.length;
  const minor = (skipRow: number, skipColumn: number): number[][] =>
    rows.filter((_, r) => r !== skipRow).map((row) => row.filter((_, c) => c !== skipColumn));
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => gfDivide(naiveDeterminant(minor(j, i)), det)));
}

function toRows(matrix: Matrix): number[][] {
  return Array.from({ length: matrix.rows }, (_, r) => Array.from({ length: matrix.columns }, (_, c) => matrixEntry(matrix, r, c)));
}

/** Small matrices whose entries are often 0 or 1, so that singular ones are common. */
const smallMatrix = fc.integer({ min: 1, max: 5 }).chain((n) =>
  fc.array(fc.array(fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 255 })), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
);

describe('invertMatrix', () => {
  it('agrees with the adjugate formula, singular or not', () => {
    let singular = 0;
    fc.assert(
      fc.property(smallMatrix, (rows) => {
        const expected = naiveInverse(rows);
        const actual = invertMatrix(matrixFromRows(rows));
        if (expected === null) singular++;
        assert.deepEqual(actual === null ? null : toRows(actual), expected);
      }),
      { seed: 3, numRuns: 500 },
    );
    assert.ok(singular > 20, `the generator should produce singular matrices too (got ${singular})`);
  });

  it('A · A⁻¹ = A⁻¹ · A = I for random larger matrices', () => {
    const large = fc.integer({ min: 6, max: 40 }).chain((n) => fc.uint8Array({ minLength: n * n, maxLength: n * n }).map((entries) => ({ rows: n, columns: n, entries })));
    fc.assert(
      fc.property(large, (matrix) => {
        const inverse = invertMatrix(matrix);
        if (inverse === null) return;
        assert.deepEqual(multiplyMatrices(matrix, inverse), identityMatrix(matrix.rows));
        assert.deepEqual(multiplyMatrices(inverse, matrix), identityMatrix(matrix.rows));
      }),
      { seed: 4, numRuns: 100 },
    );
  });

  it('needs row swaps when the diagonal starts with zeros, and leaves its argument alone', () => {
    const matrix = matrixFromRows([[0, 1], [1, 0]]);
    assert.deepEqual(toRows(invertMatrix(matrix)!), [[0, 1], [1, 0]]);
    assert.deepEqual(toRows(matrix), [[0, 1], [1, 0]]);
    assert.equal(invertMatrix(zeroMatrix(3, 3)), null);
    assert.deepEqual(invertMatrix(zeroMatrix(0, 0)), zeroMatrix(0, 0));
    assert.throws(() => invertMatrix(zeroMatrix(2, 3)), RangeError);
  });

  it('selectRows and multiplyMatrices', () => {
    const matrix = matrixFromRows([[1, 2], [3, 4], [5, 6]]);
    assert.deepEqual(toRows(selectRows(matrix, [2, 0])), [[5, 6], [1, 2]]);
    assert.deepEqual(multiplyMatrices(identityMatrix(3), matrix), matrix);
    assert.throws(() => multiplyMatrices(matrix, matrix), RangeError);
    assert.throws(() => matrixFromRows([[1], [1, 2]]), RangeError);
  });
});
