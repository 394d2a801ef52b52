/**
 * FastCDC's cut-point search over a buffer held whole (Xia et al., "FastCDC: a Fast and Efficient
 * Content-Defined Chunking Approach for Data Deduplication", USENIX ATC 2016, Algorithm 1), and the
 * list of chunk ends it gives. Streams arriving in pieces use StreamingChunker, which finds the same
 * cut points.
 */
import type { ChunkingConfig } from './chunking-config.ts';
import { type CutParameters, cutParameters, defaultGearRoller } from './cut-parameters.ts';
import type { GearRoller, RollState } from './gear-roll.ts';

/**
 * The length of the chunk that starts at data[start], the data ending at data[end − 1] — Algorithm 1:
 * - fewer than minBytes left: they are the (last) chunk;
 * - the first minBytes are skipped, not hashed ("Cut-point skipping");
 * - from minBytes to the normal size the strict mask is used, after it the loose one ("Normalized
 *   chunking"); the fingerprint starts at 0 at minBytes;
 * - a hit at byte i (an offset in the chunk) makes the chunk i bytes long: the byte that completed
 *   the matching fingerprint opens the next chunk, as in the paper's `return i`;
 * - with no hit, the chunk ends at maxBytes or at the end of the data.
 */
export function cutPoint(data: Uint8Array, start: number, end: number, parameters: CutParameters, state: RollState = { fingerprint: 0 }): number {
  const { minBytes, normalBytes, maxBytes, roll } = parameters;
  let length = end - start;
  if (length <= minBytes) return length;
  if (length > maxBytes) length = maxBytes;
  const normal = normalBytes < length ? normalBytes : length;
  let hit = roll(data, start + minBytes, start + normal, 0, parameters.maskStrict, state);
  if (hit >= 0) return hit - start;
  if (normal === length) return length;
  hit = roll(data, start + normal, start + length, state.fingerprint, parameters.maskLoose, state);
  return hit >= 0 ? hit - start : length;
}

/**
 * The end offsets of the chunks of `data`, in order: chunk k is data[ends[k − 1], ends[k]) with
 * ends[−1] = 0, and the last end is data.length (none for empty data). `roll` chooses the inner
 * loop's implementation (both give the same ends); the default is the fastest available.
 */
export function chunkEnds(data: Uint8Array, config: ChunkingConfig, roll: GearRoller = defaultGearRoller): number[] {
  const parameters = cutParameters(config, roll);
  const state: RollState = { fingerprint: 0 };
  const ends: number[] = [];
  let start = 0;
  while (start < data.length) {
    start += cutPoint(data, start, data.length, parameters, state);
    ends.push(start);
  }
  return ends;
}
