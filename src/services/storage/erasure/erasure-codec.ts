/**
 * Reed-Solomon erasure coding of storage blocks (issue 4, erasure mode): a block becomes K data
 * fragments and M parity fragments, stored on K+M distinct nodes, and any K of them rebuild it.
 *
 * Layout. A block of n bytes is cut into K pieces of S = ⌈n / K⌉ bytes — piece i is bytes
 * [i·S, (i+1)·S) — the last pieces padded with zero bytes (for n = 1 and K = 10, piece 0 holds the
 * byte and pieces 1–9 are one zero byte each; for n = 0 every fragment is empty). Fragment i < K is
 * piece i (the code is systematic); fragment K + j is parity row j of the generator matrix
 * (generator-matrix.ts) applied to the pieces. So the fragment size is a function of n and K, and a
 * decoder must be told n: `decode` checks that every fragment has exactly S bytes.
 *
 * Errors. Configuring a codec with impossible K or M is a programmer error: RangeError. `decode`
 * takes fragments as they come from the network and reports every problem with them as a value,
 * `{ ok: false, error }` (as the wire codec does): wrong count, wrong sizes, fewer than K present.
 * It cannot detect a corrupted fragment — the block's hash, checked by the storage layer, does —
 * but on any input it neither throws nor reads out of bounds, and its work is linear in the bytes
 * given. The shard-level calls work on buffers the caller allocated: misuse of those (wrong count,
 * unequal lengths) throws RangeError, too few fragments present is a value.
 */
import { TOTAL_SHARDS_MAX, cauchyParityMatrix, generatorMatrix } from './generator-matrix.ts';
import { jsKernel } from './js-kernel.ts';
import type { Matrix } from './matrix.ts';
import { ReconstructionMatrixCache } from './reconstruction-matrix.ts';
import type { KernelName, ShardKernel } from './shard-kernel.ts';
import { createWasmKernel } from './wasm-kernel.ts';

export const kernelChoice = { auto: 'auto', js: 'js', wasm: 'wasm' } as const;
export type KernelChoice = (typeof kernelChoice)[keyof typeof kernelChoice];

export interface ErasureCodecConfig {
  /** K ≥ 1: fragments that hold the data, and how many any rebuild needs. */
  readonly dataShards: number;
  /** M ≥ 0: parity fragments, how many may be lost. K + M ≤ 256. */
  readonly parityShards: number;
  /** 'auto' (default): WebAssembly SIMD where the engine has it, else JavaScript; 'wasm' throws without it. */
  readonly kernel?: KernelChoice;
}

export type DecodeResult = { ok: true; data: Uint8Array } | { ok: false; error: string };
export type ReconstructResult = { ok: true } | { ok: false; error: string };

export interface ReconstructOptions {
  /** Rebuild only the missing data fragments, not the parity (what reading a block needs). */
  readonly dataOnly?: boolean;
}

export interface ErasureCodec {
  readonly dataShards: number;
  readonly parityShards: number;
  readonly totalShards: number;
  readonly kernelName: KernelName;
  /** S = ⌈originalLength / K⌉, the size of every fragment of a block of that length. */
  fragmentBytes(originalLength: number): number;
  /**
   * The K + M fragments of `data`, each of fragmentBytes(data.length) bytes. They are views into
   * one fresh ArrayBuffer (one allocation per block); copy a fragment to keep it apart from the rest.
   */
  encode(data: Uint8Array): Uint8Array[];
  /** The block back from any K of its fragments (null or undefined for a missing one). */
  decode(fragments: readonly (Uint8Array | null | undefined)[], originalLength: number): DecodeResult;
  /**
   * Writes the parity of shards[0 … K−1] into shards[K … K+M−1], all preallocated and of equal
   * length (any length; no padding is added).
   */
  encodeShards(shards: readonly Uint8Array[]): void;
  /**
   * Rebuilds in place the shards whose `present` flag is false (only the data ones with
   * `dataOnly`) from K of those present. All K + M buffers are preallocated and of equal length;
   * the present ones are only read.
   */
  reconstructShards(shards: readonly Uint8Array[], present: readonly boolean[], options?: ReconstructOptions): ReconstructResult;
}

function checkConfig(config: ErasureCodecConfig): void {
  const { dataShards, parityShards } = config;
  if (!Number.isInteger(dataShards) || dataShards < 1) throw new RangeError(`createErasureCodec: dataShards must be an integer ≥ 1, got ${dataShards}`);
  if (!Number.isInteger(parityShards) || parityShards < 0) throw new RangeError(`createErasureCodec: parityShards must be an integer ≥ 0, got ${parityShards}`);
  if (dataShards + parityShards > TOTAL_SHARDS_MAX) {
    throw new RangeError(`createErasureCodec: dataShards + parityShards must be at most ${TOTAL_SHARDS_MAX} (the Cauchy construction needs that many distinct GF(256) elements), got ${dataShards + parityShards}`);
  }
  const kernel = config.kernel ?? kernelChoice.auto;
  if (!Object.values(kernelChoice).includes(kernel)) throw new RangeError(`createErasureCodec: kernel must be 'auto', 'js' or 'wasm', got ${String(kernel)}`);
}

function chooseKernel(config: ErasureCodecConfig): ShardKernel {
  const choice = config.kernel ?? kernelChoice.auto;
  if (choice === kernelChoice.js) return jsKernel;
  const wasm = createWasmKernel(config.dataShards, config.parityShards);
  if (wasm !== null) return wasm;
  if (choice === kernelChoice.wasm) throw new Error('createErasureCodec: this engine has no WebAssembly SIMD');
  return jsKernel;
}

export function createErasureCodec(config: ErasureCodecConfig): ErasureCodec {
  checkConfig(config);
  const { dataShards, parityShards } = config;
  const totalShards = dataShards + parityShards;
  const kernel = chooseKernel(config);
  const parityMatrix: Matrix = cauchyParityMatrix(dataShards, parityShards);
  const reconstructionMatrices = new ReconstructionMatrixCache(generatorMatrix(dataShards, parityShards));

  function fragmentBytes(originalLength: number): number {
    if (!Number.isSafeInteger(originalLength) || originalLength < 0) throw new RangeError(`fragmentBytes: originalLength must be a non-negative integer, got ${originalLength}`);
    return Math.ceil(originalLength / dataShards);
  }

  function encode(data: Uint8Array): Uint8Array[] {
    if (!(data instanceof Uint8Array)) throw new TypeError('encode: data must be a Uint8Array');
    const size = fragmentBytes(data.length);
    const block = new Uint8Array(totalShards * size);
    block.set(data);
    const fragments = Array.from({ length: totalShards }, (_, i) => block.subarray(i * size, (i + 1) * size));
    kernel.multiply(parityMatrix, fragments.slice(0, dataShards), fragments.slice(dataShards), size);
    return fragments;
  }

  /** The first K present indexes (data fragments first, as they come first), or null if fewer. */
  function survivorsOf(present: readonly boolean[]): number[] | null {
    const survivors: number[] = [];
    for (let i = 0; i < totalShards && survivors.length < dataShards; i++) if (present[i]) survivors.push(i);
    return survivors.length === dataShards ? survivors : null;
  }

  function rebuild(survivors: readonly number[], targets: readonly number[], inputs: readonly Uint8Array[], outputs: readonly Uint8Array[], length: number): void {
    if (targets.length === 0) return;
    kernel.multiply(reconstructionMatrices.get(survivors, targets), inputs, outputs, length);
  }

  function decode(fragments: readonly (Uint8Array | null | undefined)[], originalLength: number): DecodeResult {
    if (!Array.isArray(fragments) || fragments.length !== totalShards) {
      return { ok: false, error: `expected ${totalShards} fragments (null for missing ones), got ${Array.isArray(fragments) ? fragments.length : typeof fragments}` };
    }
    if (!Number.isSafeInteger(originalLength) || originalLength < 0) return { ok: false, error: `originalLength must be a non-negative integer, got ${originalLength}` };
    const size = Math.ceil(originalLength / dataShards);
    const present: boolean[] = [];
    for (let i = 0; i < totalShards; i++) {
      const fragment = fragments[i];
      present.push(fragment !== null && fragment !== undefined);
      if (!present[i]) continue;
      if (!(fragment instanceof Uint8Array)) return { ok: false, error: `fragment ${i} is not a Uint8Array` };
      if (fragment.length !== size) return { ok: false, error: `fragment ${i} has ${fragment.length} bytes; a block of ${originalLength} bytes has fragments of ${size}` };
    }
    const survivors = survivorsOf(present);
    if (survivors === null) return { ok: false, error: `only ${present.filter(Boolean).length} of ${totalShards} fragments present; ${dataShards} are needed` };
    const block = new Uint8Array(dataShards * size);
    const targets: number[] = [];
    for (let i = 0; i < dataShards; i++) {
      const fragment = fragments[i];
      if (fragment instanceof Uint8Array) block.set(fragment, i * size);
      else targets.push(i);
    }
    rebuild(
      survivors,
      targets,
      survivors.map((i) => fragments[i] as Uint8Array),
      targets.map((t) => block.subarray(t * size, (t + 1) * size)),
      size,
    );
    return { ok: true, data: block.subarray(0, originalLength) };
  }

  function checkShards(caller: string, shards: readonly Uint8Array[]): number {
    if (!Array.isArray(shards) || shards.length !== totalShards) throw new RangeError(`${caller}: expected ${totalShards} shards, got ${Array.isArray(shards) ? shards.length : typeof shards}`);
    for (let i = 0; i < totalShards; i++) if (!(shards[i] instanceof Uint8Array)) throw new RangeError(`${caller}: shard ${i} is not a Uint8Array`);
    const length = shards[0].length;
    for (let i = 1; i < totalShards; i++) {
      if (shards[i].length !== length) throw new RangeError(`${caller}: shard ${i} has ${shards[i].length} bytes, shard 0 has ${length}`);
    }
    return length;
  }

  function encodeShards(shards: readonly Uint8Array[]): void {
    const length = checkShards('encodeShards', shards);
    kernel.multiply(parityMatrix, shards.slice(0, dataShards), shards.slice(dataShards), length);
  }

  function reconstructShards(shards: readonly Uint8Array[], present: readonly boolean[], options: ReconstructOptions = {}): ReconstructResult {
    const length = checkShards('reconstructShards', shards);
    if (!Array.isArray(present) || present.length !== totalShards) throw new RangeError(`reconstructShards: expected ${totalShards} present flags, got ${Array.isArray(present) ? present.length : typeof present}`);
    const survivors = survivorsOf(present);
    if (survivors === null) return { ok: false, error: `only ${present.filter(Boolean).length} of ${totalShards} shards present; ${dataShards} are needed` };
    const targets: number[] = [];
    const last = options.dataOnly === true ? dataShards : totalShards;
    for (let i = 0; i < last; i++) if (!present[i]) targets.push(i);
    rebuild(survivors, targets, survivors.map((i) => shards[i]), targets.map((t) => shards[t]), length);
    return { ok: true };
  }

  return { dataShards, parityShards, totalShards, kernelName: kernel.name, fragmentBytes, encode, decode, encodeShards, reconstructShards };
}
