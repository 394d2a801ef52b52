/**
 * A naive FastCDC, straight from the paper's pseudo-code (Xia et al., USENIX ATC 2016, Algorithm 1),
 * one byte at a time, with plain arithmetic instead of bit tricks: the fingerprint is an ordinary
 * number reduced mod 2^32, and a mask is a list of bit positions tested one by one. Slow and
 * obviously right; the optimised chunker must find exactly its cut points.
 *
 * The only choices not in the paper are ours and documented in src/services/storage/chunking/:
 * a 32-bit fingerprint, and masks of the top bits below bit 31 (cut-parameters.ts).
 */
import type { ChunkingConfig } from '../../../../src/services/storage/chunking/chunking-config.ts';
import { GEAR_SEED, gearTable } from '../../../../src/services/storage/chunking/gear-table.ts';

const TWO_TO_32 = 2 ** 32;
const gear: number[] = Array.from(gearTable(GEAR_SEED));

/** log2 of a power of two, by counting. */
function log2(value: number): number {
  let bits = 0;
  while (2 ** bits < value) bits++;
  return bits;
}

/** The positions of a mask with `count` one bits whose highest is bit 30: 30, 29, …, 31 − count. */
function maskPositions(count: number): number[] {
  return Array.from({ length: count }, (_, k) => 30 - k);
}

/** fp & mask == 0, bit by bit. */
function noMaskBitSet(fp: number, positions: readonly number[]): boolean {
  return positions.every((position) => Math.floor(fp / 2 ** position) % 2 === 0);
}

/** Algorithm 1: the length of the chunk at the start of `src` (n bytes). */
function cutPointReference(src: Uint8Array, config: ChunkingConfig, maskS: number[], maskL: number[]): number {
  const minSize = config.minBytes;
  const maxSize = config.maxBytes;
  let normalSize = config.averageBytes;
  let n = src.length;
  let fp = 0;
  let i = minSize;
  if (n <= minSize) return n;
  if (n >= maxSize) n = maxSize;
  else if (n <= normalSize) normalSize = n;
  for (; i < normalSize; i++) {
    fp = (fp * 2 + gear[src[i]]) % TWO_TO_32;
    if (noMaskBitSet(fp, maskS)) return i;
  }
  for (; i < n; i++) {
    fp = (fp * 2 + gear[src[i]]) % TWO_TO_32;
    if (noMaskBitSet(fp, maskL)) return i;
  }
  return i;
}

/** The chunk ends of `data`: cut, move past the chunk, cut again. */
export function referenceChunkEnds(data: Uint8Array, config: ChunkingConfig): number[] {
  const bits = log2(config.averageBytes);
  const maskS = maskPositions(bits + config.normalizationLevel);
  const maskL = maskPositions(bits - config.normalizationLevel);
  const ends: number[] = [];
  let start = 0;
  while (start < data.length) {
    start += cutPointReference(data.subarray(start), config, maskS, maskL);
    ends.push(start);
  }
  return ends;
}
