/**
 * The fast kernel: the SIMD program of `wasm-kernel-program.ts` run over regions copied into its
 * linear memory a tile at a time.
 *
 * Each kernel instance owns one memory, sized once for its largest use (K inputs, M outputs), laid
 * out as
 *
 *   [ nibble tables: outputsMax · inputsMax · 32 B ][ input tiles: inputsMax · tile ][ output tiles: outputsMax · tile ]
 *
 * and never grown. A call copies one tile of every input in, runs the program once per group of up
 * to KERNEL_GROUP_MAX outputs, and copies the output tiles out. Tiles keep the working set in cache and
 * bound the memory whatever the fragment size. The program works on whole
 * 32-byte steps; a last tile that is not a multiple of 32 is processed to the next multiple, over
 * whatever bytes the scratch holds past the end: every output byte depends only on the input bytes at
 * the same position, so those extra bytes never reach the output that is copied out. All accesses
 * stay inside the memory, which WebAssembly checks in any case (an out-of-bounds access traps, it
 * cannot read outside).
 */
import { nibbleTables } from './galois-field.ts';
import type { Matrix } from './matrix.ts';
import { kernelName, type ShardKernel } from './shard-kernel.ts';
import { WASM_PAGE_BYTES, webAssemblyApi, type WasmInstance } from './webassembly-api.ts';
import {
  KERNEL_GROUP_MAX,
  KERNEL_STEP_BYTES,
  TABLE_BYTES_PER_COEFFICIENT,
  kernelFunctionName,
  kernelProgram,
  swizzleFlavour,
  type SwizzleFlavour,
} from './wasm-kernel-program.ts';

/**
 * Scratch for the tiles of all inputs and outputs together. Measured on RS 10+4 encoding one
 * cached 1 MiB block (AMD EPYC, 32 KiB L1d, 512 KiB L2, best of three runs on a busy machine): 24 KiB
 * of scratch (tiles that fit the first-level cache) about 4,400 MiB/s; 96 KiB (7 KiB tiles, in the
 * second-level cache, fewer calls) about 5,400 MiB/s; 192 KiB about 5,000 MiB/s.
 */
export const SCRATCH_BYTES_TARGET = 96 * 1024;

/** The largest tile per region, so that few shards do not make the scratch needlessly large. */
export const TILE_BYTES_MAX = 8192;

type KernelFunction = (tables: number, inputs: number, inputStride: number, inputCount: number, outputs: number, outputStride: number, length: number) => void;

interface OutputGroup {
  readonly firstRow: number;
  readonly size: number;
  readonly tablesOffset: number;
}

interface PreparedMatrix {
  readonly tables: Uint8Array;
  readonly groups: readonly OutputGroup[];
}

const compiledModules = new Map<SwizzleFlavour, object | null>();

/** The compiled program for a flavour, or null when this engine cannot run it. Compiled once per process. */
function compiledModule(flavour: SwizzleFlavour): object | null {
  const cached = compiledModules.get(flavour);
  if (cached !== undefined) return cached;
  const api = webAssemblyApi();
  let module: object | null = null;
  if (api !== undefined) {
    const { bytes } = kernelProgram(flavour);
    if (api.validate(bytes)) module = new api.Module(bytes);
  }
  compiledModules.set(flavour, module);
  return module;
}

/** The best swizzle this engine runs (relaxed where available), or null without WebAssembly SIMD. */
export function wasmSimdFlavour(): SwizzleFlavour | null {
  if (compiledModule(swizzleFlavour.relaxed) !== null) return swizzleFlavour.relaxed;
  if (compiledModule(swizzleFlavour.plain) !== null) return swizzleFlavour.plain;
  return null;
}

/** Splits `rows` outputs into groups of at most KERNEL_GROUP_MAX, as equal as possible (5 → 3 + 2). */
export function outputGroupSizes(rows: number): number[] {
  const count = Math.ceil(rows / KERNEL_GROUP_MAX);
  return Array.from({ length: count }, (_, index) => Math.floor(rows / count) + (index < rows % count ? 1 : 0));
}

/** The nibble tables of a matrix, laid out group by group as the program reads them. */
export function prepareMatrix(coefficients: Matrix): PreparedMatrix {
  const { rows, columns, entries } = coefficients;
  const tables = new Uint8Array(rows * columns * TABLE_BYTES_PER_COEFFICIENT);
  const groups: OutputGroup[] = [];
  let firstRow = 0;
  for (const size of outputGroupSizes(rows)) {
    const tablesOffset = firstRow * columns * TABLE_BYTES_PER_COEFFICIENT;
    for (let i = 0; i < columns; i++) {
      for (let j = 0; j < size; j++) {
        nibbleTables(entries[(firstRow + j) * columns + i], tables, tablesOffset + (i * size + j) * TABLE_BYTES_PER_COEFFICIENT);
      }
    }
    groups.push({ firstRow, size, tablesOffset });
    firstRow += size;
  }
  return { tables, groups };
}

function roundUp(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

/**
 * A kernel for products of at most `outputsMax` rows by `inputsMax` columns, or null where
 * WebAssembly SIMD is unavailable (or the requested flavour is). Owns about
 * outputsMax · inputsMax · 32 B of tables plus SCRATCH_BYTES_TARGET of tiles.
 */
export function createWasmKernel(inputsMax: number, outputsMax: number, flavour: SwizzleFlavour | null = wasmSimdFlavour()): ShardKernel | null {
  if (!Number.isInteger(inputsMax) || inputsMax < 1 || !Number.isInteger(outputsMax) || outputsMax < 0) {
    throw new RangeError(`createWasmKernel: inputsMax ${inputsMax}, outputsMax ${outputsMax}`);
  }
  const api = webAssemblyApi();
  const module = flavour === null ? null : compiledModule(flavour);
  if (api === undefined || module === null || flavour === null) return null;

  const tile = Math.min(TILE_BYTES_MAX, Math.max(KERNEL_STEP_BYTES, Math.floor(SCRATCH_BYTES_TARGET / (inputsMax + outputsMax) / KERNEL_STEP_BYTES) * KERNEL_STEP_BYTES));
  const inputsBase = roundUp(outputsMax * inputsMax * TABLE_BYTES_PER_COEFFICIENT, 64);
  const outputsBase = inputsBase + inputsMax * tile;
  const totalBytes = outputsBase + outputsMax * tile;
  const memory = new api.Memory({ initial: Math.max(1, Math.ceil(totalBytes / WASM_PAGE_BYTES)) });
  const instance: WasmInstance = new api.Instance(module, { env: { memory } });
  const functions: KernelFunction[] = [];
  for (let size = 1; size <= KERNEL_GROUP_MAX; size++) functions[size] = instance.exports[kernelFunctionName(size)] as KernelFunction;
  const bytes = new Uint8Array(memory.buffer);
  const prepared = new WeakMap<Matrix, PreparedMatrix>();
  let loaded: PreparedMatrix | null = null;

  function multiply(coefficients: Matrix, inputs: readonly Uint8Array[], outputs: readonly Uint8Array[], length: number): void {
    const { rows, columns } = coefficients;
    if (columns !== inputs.length || rows !== outputs.length || columns > inputsMax || rows > outputsMax || columns < 1) {
      throw new RangeError(`wasm kernel: a ${rows}×${columns} matrix with ${outputs.length} outputs and ${inputs.length} inputs (at most ${outputsMax}×${inputsMax})`);
    }
    if (rows === 0 || length === 0) return;
    let matrix = prepared.get(coefficients);
    if (matrix === undefined) {
      matrix = prepareMatrix(coefficients);
      prepared.set(coefficients, matrix);
    }
    if (loaded !== matrix) {
      bytes.set(matrix.tables, 0);
      loaded = matrix;
    }
    for (let offset = 0; offset < length; offset += tile) {
      const count = Math.min(tile, length - offset);
      for (let i = 0; i < columns; i++) bytes.set(inputs[i].subarray(offset, offset + count), inputsBase + i * tile);
      const steps = roundUp(count, KERNEL_STEP_BYTES);
      for (const group of matrix.groups) {
        functions[group.size](group.tablesOffset, inputsBase, tile, columns, outputsBase + group.firstRow * tile, tile, steps);
      }
      for (let j = 0; j < rows; j++) outputs[j].set(bytes.subarray(outputsBase + j * tile, outputsBase + j * tile + count), offset);
    }
  }

  return { name: flavour === swizzleFlavour.relaxed ? kernelName.wasmRelaxedSimd : kernelName.wasmSimd, multiply };
}
