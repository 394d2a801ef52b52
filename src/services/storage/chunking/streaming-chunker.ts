/**
 * FastCDC over a stream that arrives in pieces of any size. It finds exactly the cut points that
 * cutPoint (fastcdc.ts) finds over the whole stream held at once, without holding any data: FastCDC's
 * decision at a byte depends only on the byte's offset in its chunk and on the fingerprint rolled
 * since minBytes, and both are carried from one piece to the next.
 */
import type { ChunkingConfig } from './chunking-config.ts';
import { type CutParameters, cutParameters, defaultGearRoller } from './cut-parameters.ts';
import type { GearRoller, RollState } from './gear-roll.ts';

export class StreamingChunker {
  private readonly parameters: CutParameters;
  private readonly rollState: RollState = { fingerprint: 0 };
  /** Stream offset of the next byte to arrive. */
  private streamOffset = 0;
  /** Bytes of the current, unfinished chunk seen so far. */
  private chunkOffset = 0;
  /** The Gear fingerprint rolled over the current chunk from minBytes on (0 before). */
  private fingerprint = 0;
  private finished = false;

  /** `roll` chooses the inner loop's implementation (both give the same cut points). */
  constructor(config: ChunkingConfig, roll: GearRoller = defaultGearRoller) {
    this.parameters = cutParameters(config, roll);
  }

  /** Bytes pushed so far. */
  get bytesPushed(): number {
    return this.streamOffset;
  }

  /**
   * Takes the next piece of the stream and returns the stream offsets at which the chunks it
   * completes end (possibly none). The piece is only read during the call.
   */
  push(piece: Uint8Array): number[] {
    if (this.finished) throw new Error('StreamingChunker.push after finish');
    const { minBytes, normalBytes, maxBytes, maskStrict, maskLoose, roll } = this.parameters;
    const ends: number[] = [];
    const base = this.streamOffset;
    const length = piece.length;
    let chunkOffset = this.chunkOffset;
    let fingerprint = this.fingerprint;
    let i = 0;
    while (i < length) {
      // Cut-point skipping: the first minBytes of a chunk are passed over, not hashed.
      if (chunkOffset < minBytes) {
        const skip = Math.min(minBytes - chunkOffset, length - i);
        i += skip;
        chunkOffset += skip;
      }
      // Normalised chunking: the strict mask up to the normal size, the loose one after it.
      const inStrict = chunkOffset < normalBytes;
      if (chunkOffset >= minBytes && chunkOffset < maxBytes && i < length) {
        const limit = inStrict ? normalBytes : maxBytes;
        const to = Math.min(length, i + (limit - chunkOffset));
        const hit = roll(piece, i, to, fingerprint, inStrict ? maskStrict : maskLoose, this.rollState);
        if (hit >= 0) {
          // The chunk ends before the byte that completed the match; that byte opens the next chunk.
          ends.push(base + hit);
          i = hit;
          chunkOffset = 0;
          fingerprint = 0;
          continue;
        }
        chunkOffset += to - i;
        i = to;
        fingerprint = this.rollState.fingerprint;
      }
      // No match before maxBytes: the cut is forced there (the paper's MaxSize).
      if (chunkOffset === maxBytes) {
        ends.push(base + i);
        chunkOffset = 0;
        fingerprint = 0;
      }
    }
    this.streamOffset = base + length;
    this.chunkOffset = chunkOffset;
    this.fingerprint = fingerprint;
    return ends;
  }

  /** Ends the stream: returns the end of the last chunk, if any bytes are left unchunked. */
  finish(): number[] {
    if (this.finished) throw new Error('StreamingChunker.finish called twice');
    this.finished = true;
    return this.chunkOffset > 0 ? [this.streamOffset] : [];
  }
}
