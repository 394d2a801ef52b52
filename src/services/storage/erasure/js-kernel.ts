/**
 * The reference kernel in plain JavaScript, and the fallback where WebAssembly SIMD is missing:
 * one table lookup per byte and coefficient, the product read from the field's multiplication table
 * row of the coefficient. Obviously correct, and some 30 times slower than the SIMD kernel.
 */
import { productRow } from './galois-field.ts';
import type { Matrix } from './matrix.ts';
import { kernelName, type ShardKernel } from './shard-kernel.ts';

export function multiplyRegions(coefficients: Matrix, inputs: readonly Uint8Array[], outputs: readonly Uint8Array[], length: number): void {
  const { rows, columns, entries } = coefficients;
  for (let r = 0; r < rows; r++) {
    const output = outputs[r];
    let written = false;
    for (let i = 0; i < columns; i++) {
      const coefficient = entries[r * columns + i];
      if (coefficient === 0) continue;
      const product = productRow(coefficient);
      const input = inputs[i];
      if (!written) {
        for (let b = 0; b < length; b++) output[b] = product[input[b]];
        written = true;
      } else {
        for (let b = 0; b < length; b++) output[b] ^= product[input[b]];
      }
    }
    if (!written) output.fill(0, 0, length);
  }
}

export const jsKernel: ShardKernel = { name: kernelName.js, multiply: multiplyRegions };
