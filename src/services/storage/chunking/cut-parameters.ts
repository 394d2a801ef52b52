/**
 * What the cut-point search needs, derived once from a configuration: above all the two cut masks
 * of normalised chunking (FastCDC, ATC 2016, §4.4). A position is a cut point when the Gear
 * fingerprint ANDed with the mask is zero, which for random data happens with probability 2^-bits.
 * Before the average size the strict mask (the paper's MaskS) has log2(average) + NC one bits, after
 * it the loose mask (MaskL) has log2(average) − NC.
 *
 * Which bits. Bit k of a Gear fingerprint depends on the last k + 1 bytes only (each step shifts
 * the fingerprint left by one), so a mask of low bits sees a window of a few bytes: the weakness of
 * plain Gear-based chunking that the paper's enhanced hash judgment fixes by padding the mask with
 * zero bits, spreading its one bits upwards so that the window grows to about 48 bytes of its 64-bit
 * fingerprint. Our fingerprint is 32 bits (JavaScript's fast integers), so we take the highest bits:
 * the masks are contiguous, ending at bit 30, and every cut decision sees a 31-byte window.
 *
 * Bit 31 is left out on purpose: with it unused, rolling two bytes at a time as the 2020 version of
 * the paper does (Xia et al., "The Design of Fast Content-Defined Chunking for Data Deduplication
 * Based Storage Systems", IEEE TPDS 2020: compare fp << 1 with mask << 1 after the first of two
 * bytes) would find exactly the same cut points, so that optimisation stays open without changing
 * the format.
 */
import type { ChunkingConfig } from './chunking-config.ts';
import { type GearRoller, rollToCut } from './gear-roll.ts';
import { rollToCutWasm } from './wasm-gear-roll.ts';

/** The roll the chunker uses unless told otherwise: WebAssembly where available, else JavaScript. */
export const defaultGearRoller: GearRoller = rollToCutWasm ?? rollToCut;

/** The highest fingerprint bit a mask may use; see above for why not 31. */
export const MASK_TOP_BIT = 30;

/** A mask with `bits` one bits, the highest at MASK_TOP_BIT, as an int32. */
export function topBitsMask(bits: number): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > MASK_TOP_BIT) throw new RangeError(`a cut mask has 1 … ${MASK_TOP_BIT} bits, not ${bits}`);
  return (((2 ** bits - 1) * 2 ** (MASK_TOP_BIT + 1 - bits)) | 0);
}

/** Everything the cut-point search needs, derived once from a (validated) configuration. */
export interface CutParameters {
  readonly minBytes: number;
  /** Where the strict mask gives way to the loose one: the average size (the paper's NormalSize). */
  readonly normalBytes: number;
  readonly maxBytes: number;
  /** MaskS: log2(average) + NC bits. */
  readonly maskStrict: number;
  /** MaskL: log2(average) − NC bits. */
  readonly maskLoose: number;
  /** The inner loop: either implementation finds the same cut points. */
  readonly roll: GearRoller;
}

export function cutParameters(config: ChunkingConfig, roll: GearRoller = defaultGearRoller): CutParameters {
  const bits = Math.round(Math.log2(config.averageBytes));
  return Object.freeze({
    minBytes: config.minBytes,
    normalBytes: config.averageBytes,
    maxBytes: config.maxBytes,
    maskStrict: topBitsMask(bits + config.normalizationLevel),
    maskLoose: topBitsMask(bits - config.normalizationLevel),
    roll,
  });
}
