/**
 * The kernels: the JavaScript one against a naive byte-by-byte product, and the WebAssembly one —
 * both swizzle flavours — byte-identical to the JavaScript one on random matrices and lengths that
 * cross tile boundaries and end off a 32-byte step.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { multiplyRegions } from '../../../../src/services/storage/erasure/js-kernel.ts';
import { matrixFromRows, type Matrix } from '../../../../src/services/storage/erasure/matrix.ts';
import { KERNEL_GROUP_MAX, swizzleFlavour } from '../../../../src/services/storage/erasure/wasm-kernel-program.ts';
import { TILE_BYTES_MAX, createWasmKernel, outputGroupSizes, prepareMatrix, wasmSimdFlavour } from '../../../../src/services/storage/erasure/wasm-kernel.ts';
import { naiveProduct, pseudoRandomBytes } from './support.ts';

interface Case {
  readonly matrix: Matrix;
  readonly inputs: Uint8Array[];
  readonly length: number;
}

/** A random product: 1–12 inputs, 0–9 outputs (so 1–3 groups), coefficients often 0 or 1, any length up to three tiles. */
const caseArbitrary: fc.Arbitrary<Case> = fc
  .record({
    inputCount: fc.integer({ min: 1, max: 12 }),
    outputCount: fc.integer({ min: 0, max: 9 }),
    length: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 3 * TILE_BYTES_MAX + 40 })),
    slack: fc.integer({ min: 0, max: 5 }),
    seed: fc.integer(),
  })
  .chain(({ inputCount, outputCount, length, slack, seed }) =>
    fc
      .array(fc.array(fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 255 })), { minLength: inputCount, maxLength: inputCount }), {
        minLength: outputCount,
        maxLength: outputCount,
      })
      .map((rows) => ({
        matrix: rows.length === 0 ? { rows: 0, columns: inputCount, entries: new Uint8Array(0) } : matrixFromRows(rows),
        // Inputs may be longer than `length` (slack): only the first `length` bytes count.
        inputs: Array.from({ length: inputCount }, (_, i) => pseudoRandomBytes(length + slack, seed + i)),
        length,
      })),
  );

/** Outputs pre-filled with junk past `length`, which a kernel must leave alone. */
function junkOutputs(count: number, length: number): Uint8Array[] {
  return Array.from({ length: count }, (_, j) => pseudoRandomBytes(length + 3, 1000 + j));
}

describe('the JavaScript kernel', () => {
  it('equals the naive product and writes nothing past length', () => {
    fc.assert(
      fc.property(caseArbitrary, ({ matrix, inputs, length }) => {
        const outputs = junkOutputs(matrix.rows, length);
        const before = outputs.map((output) => output.slice(length));
        multiplyRegions(matrix, inputs, outputs, length);
        const expected = naiveProduct(matrix, inputs, length);
        outputs.forEach((output, j) => {
          assert.deepEqual(output.subarray(0, length), expected[j]);
          assert.deepEqual(output.subarray(length), before[j]);
        });
      }),
      { seed: 7, numRuns: 40 },
    );
  });
});

describe('the WebAssembly kernel', () => {
  it('is available here, with relaxed SIMD', () => {
    assert.equal(wasmSimdFlavour(), swizzleFlavour.relaxed);
  });

  for (const flavour of [swizzleFlavour.plain, swizzleFlavour.relaxed]) {
    it(`(${flavour} swizzle) gives the same bytes as the JavaScript kernel and writes nothing past length`, () => {
      const kernel = createWasmKernel(12, 9, flavour);
      assert.ok(kernel !== null);
      fc.assert(
        fc.property(caseArbitrary, ({ matrix, inputs, length }) => {
          const expected = junkOutputs(matrix.rows, length);
          const actual = junkOutputs(matrix.rows, length);
          multiplyRegions(matrix, inputs, expected, length);
          kernel.multiply(matrix, inputs, actual, length);
          assert.deepEqual(actual, expected);
        }),
        { seed: flavour === swizzleFlavour.plain ? 8 : 9, numRuns: 150 },
      );
    });
  }

  it('keeps one kernel correct across matrices of different shapes, one after another', () => {
    const kernel = createWasmKernel(6, 5)!;
    const inputs = Array.from({ length: 6 }, (_, i) => pseudoRandomBytes(1000, i));
    const a = matrixFromRows([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]);
    const b = matrixFromRows([[200, 0, 1], [3, 3, 3], [0, 0, 0], [255, 254, 253], [9, 8, 7]]);
    for (const [matrix, used] of [[a, inputs], [b, inputs.slice(0, 3)], [a, inputs]] as const) {
      const actual = junkOutputs(matrix.rows, 999);
      kernel.multiply(matrix, used, actual, 999);
      assert.deepEqual(actual.map((out) => out.subarray(0, 999)), naiveProduct(matrix, used, 999));
    }
  });

  it('refuses products larger than it was sized for', () => {
    const kernel = createWasmKernel(2, 1)!;
    const inputs = [new Uint8Array(4), new Uint8Array(4), new Uint8Array(4)];
    assert.throws(() => kernel.multiply(matrixFromRows([[1, 1, 1]]), inputs, [new Uint8Array(4)], 4), RangeError);
    assert.throws(() => kernel.multiply(matrixFromRows([[1, 1], [1, 1]]), inputs.slice(0, 2), [new Uint8Array(4), new Uint8Array(4)], 4), RangeError);
    assert.throws(() => createWasmKernel(0, 1), RangeError);
  });

  it('groups outputs by at most KERNEL_GROUP_MAX, as evenly as possible, and lays the tables out per group', () => {
    assert.equal(KERNEL_GROUP_MAX, 4);
    assert.deepEqual(outputGroupSizes(0), []);
    assert.deepEqual(outputGroupSizes(4), [4]);
    assert.deepEqual(outputGroupSizes(5), [3, 2]);
    assert.deepEqual(outputGroupSizes(9), [3, 3, 3]);
    const prepared = prepareMatrix(matrixFromRows([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]));
    assert.deepEqual(prepared.groups, [{ firstRow: 0, size: 3, tablesOffset: 0 }, { firstRow: 3, size: 2, tablesOffset: 3 * 2 * 32 }]);
    // Group 0, input 1, output 2 is the coefficient 6: its low table at (1·3 + 2)·32, c·1 at index 1.
    assert.equal(prepared.tables[(1 * 3 + 2) * 32 + 1], 6);
    // Group 1, input 0, output 1 is the coefficient 9.
    assert.equal(prepared.tables[3 * 2 * 32 + (0 * 2 + 1) * 32 + 1], 9);
  });
});
