/**
 * What the codec asks of its arithmetic: multiply a matrix of GF(256) coefficients by a set of
 * equal-length byte regions. Encoding is one such product (the parity rows of the generator times
 * the data fragments) and so is reconstruction (the rows of the inverted survivor matrix times the
 * surviving fragments). Two implementations: plain JavaScript (`js-kernel.ts`, the reference) and
 * WebAssembly SIMD (`wasm-kernel.ts`, the fast path). Both must give byte-identical output.
 */
import type { Matrix } from './matrix.ts';

export const kernelName = { js: 'js', wasmSimd: 'wasm-simd', wasmRelaxedSimd: 'wasm-relaxed-simd' } as const;
export type KernelName = (typeof kernelName)[keyof typeof kernelName];

export interface ShardKernel {
  readonly name: KernelName;
  /**
   * For each output r and each byte position b < length:
   *   outputs[r][b] = Σ_i coefficients(r, i) · inputs[i][b]   (sum and product in GF(256)).
   * Outputs are overwritten, never read. The caller guarantees coefficients.rows = outputs.length,
   * coefficients.columns = inputs.length, and that every region holds at least `length` bytes; an
   * output must not overlap an input. A kernel may keep derived tables per matrix (by identity), so
   * a matrix must not be mutated once used.
   */
  multiply(coefficients: Matrix, inputs: readonly Uint8Array[], outputs: readonly Uint8Array[], length: number): void;
}
