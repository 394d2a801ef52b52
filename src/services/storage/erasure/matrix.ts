/**
 * Small dense matrices over GF(256), row-major in one Uint8Array: what the code needs to build its
 * generator matrix and to invert the K×K submatrix of the fragments that survived.
 */
import { gfInverse, gfMultiply } from './galois-field.ts';

export interface Matrix {
  readonly rows: number;
  readonly columns: number;
  /** Entry (r, c) at index r * columns + c. */
  readonly entries: Uint8Array;
}

export function zeroMatrix(rows: number, columns: number): Matrix {
  return { rows, columns, entries: new Uint8Array(rows * columns) };
}

export function identityMatrix(size: number): Matrix {
  const matrix = zeroMatrix(size, size);
  for (let i = 0; i < size; i++) matrix.entries[i * size + i] = 1;
  return matrix;
}

export function matrixFromRows(rows: readonly (readonly number[])[]): Matrix {
  const columns = rows.length === 0 ? 0 : rows[0].length;
  const matrix = zeroMatrix(rows.length, columns);
  rows.forEach((row, r) => {
    if (row.length !== columns) throw new RangeError('matrixFromRows: rows of unequal length');
    matrix.entries.set(row, r * columns);
  });
  return matrix;
}

export function matrixEntry(matrix: Matrix, row: number, column: number): number {
  return matrix.entries[row * matrix.columns + column];
}

/** The matrix made of the given rows of `matrix`, in the order given. */
export function selectRows(matrix: Matrix, rowIndexes: readonly number[]): Matrix {
  const out = zeroMatrix(rowIndexes.length, matrix.columns);
  rowIndexes.forEach((row, i) => {
    out.entries.set(matrix.entries.subarray(row * matrix.columns, (row + 1) * matrix.columns), i * matrix.columns);
  });
  return out;
}

export function multiplyMatrices(left: Matrix, right: Matrix): Matrix {
  if (left.columns !== right.rows) throw new RangeError(`multiplyMatrices: ${left.rows}×${left.columns} by ${right.rows}×${right.columns}`);
  const out = zeroMatrix(left.rows, right.columns);
  for (let r = 0; r < left.rows; r++) {
    for (let c = 0; c < right.columns; c++) {
      let sum = 0;
      for (let k = 0; k < left.columns; k++) sum ^= gfMultiply(left.entries[r * left.columns + k], right.entries[k * right.columns + c]);
      out.entries[r * right.columns + c] = sum;
    }
  }
  return out;
}

/**
 * The inverse of a square matrix by Gauss-Jordan elimination, or null when it is singular.
 * Subtraction is XOR in GF(2^8), and any non-zero pivot will do: there is no rounding to guard
 * against, so no partial pivoting is needed — the first row with a non-zero entry is taken.
 */
export function invertMatrix(matrix: Matrix): Matrix | null {
  const size = matrix.rows;
  if (matrix.columns !== size) throw new RangeError(`invertMatrix: ${matrix.rows}×${matrix.columns} is not square`);
  // [work | inverse] kept as two matrices; every row operation is applied to both.
  const work = Uint8Array.from(matrix.entries);
  const inverse = identityMatrix(size).entries;
  for (let column = 0; column < size; column++) {
    let pivotRow = column;
    while (pivotRow < size && work[pivotRow * size + column] === 0) pivotRow++;
    if (pivotRow === size) return null;
    if (pivotRow !== column) {
      swapRows(work, size, pivotRow, column);
      swapRows(inverse, size, pivotRow, column);
    }
    const scale = gfInverse(work[column * size + column]);
    scaleRow(work, size, column, scale);
    scaleRow(inverse, size, column, scale);
    for (let row = 0; row < size; row++) {
      const factor = work[row * size + column];
      if (row === column || factor === 0) continue;
      addScaledRow(work, size, column, row, factor);
      addScaledRow(inverse, size, column, row, factor);
    }
  }
  return { rows: size, columns: size, entries: inverse };
}

function swapRows(entries: Uint8Array, size: number, a: number, b: number): void {
  for (let c = 0; c < size; c++) {
    const t = entries[a * size + c];
    entries[a * size + c] = entries[b * size + c];
    entries[b * size + c] = t;
  }
}

function scaleRow(entries: Uint8Array, size: number, row: number, factor: number): void {
  for (let c = 0; c < size; c++) entries[row * size + c] = gfMultiply(entries[row * size + c], factor);
}

/** row `target` += factor · row `source`. */
function addScaledRow(entries: Uint8Array, size: number, source: number, target: number, factor: number): void {
  for (let c = 0; c < size; c++) entries[target * size + c] ^= gfMultiply(entries[source * size + c], factor);
}
