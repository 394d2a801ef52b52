/**
 * The parameters of content-defined chunking, their bounds and their validation.
 *
 * FastCDC (Xia et al., USENIX ATC 2016) has three sizes: chunks are never shorter than the minimum
 * ("cut-point skipping": the first minBytes of a chunk are not even hashed), never longer than
 * the maximum, and the expected size is set by the number of bits in the cut masks. Normalised
 * chunking (§4.4) uses a harder mask before the average size and an easier one after it, so that
 * sizes cluster around the average; `normalizationLevel` is how many bits harder and easier.
 */

export interface ChunkingConfig {
  /** No chunk but the last of a stream is shorter (FastCDC's cut-point skipping; the paper's MinSize). */
  readonly minBytes: number;
  /**
   * The target size, a power of two: the cut masks have log2(averageBytes) ± normalizationLevel one
   * bits, and the mask switches at this offset (the paper's NormalSize, §4.4).
   */
  readonly averageBytes: number;
  /** No chunk is longer: a cut is forced here (the paper's MaxSize). */
  readonly maxBytes: number;
  /** Normalised chunking level NC, 0 … 3 (§4.4); 0 is plain one-mask chunking. The paper recommends 2. */
  readonly normalizationLevel: number;
}

/**
 * The bounds every configuration must fit in, each with its reason.
 * The fingerprint is 32 bits and the masks use bits 30 and below (see cut-parameters.ts), so a
 * mask has at most 30 bits: log2(averageBytes) + normalizationLevel ≤ 30 with room to spare.
 */
export const ChunkingLimits = {
  /** Below this a chunk's per-block overhead (a CID, a DHT record) dwarfs its data. Also keeps a chunk non-empty. */
  minBytesMin: 64,
  /** 2^8: smaller targets make no sense for a block store, and keep log2(averageBytes) − NC ≥ 5. */
  averageBytesMin: 256,
  /** 2^26 = 64 MiB: with NC ≤ 3 the strict mask has at most 29 bits. */
  averageBytesMax: 64 * 1024 * 1024,
  /** 256 MiB: a bound on the memory one chunk may take. */
  maxBytesMax: 256 * 1024 * 1024,
  normalizationLevelMax: 3,
} as const;

/**
 * The default average, 256 KiB, chosen by measurement (docs/STORAGE.md, "Chunking"): a 1-byte edit
 * in a 64 MiB file still reuses more than 99% of its chunks, the per-chunk costs (a CID, a block, a
 * DHT record) are a sixteenth of those at 16 KiB, and the largest chunk (1 MiB) is within the DAG
 * layer's block limit (DagLimits.blockBytesMax). A 1 MiB average reuses only 98.2%.
 */
export const DEFAULT_AVERAGE_BYTES = 256 * 1024;

/** Normalised chunking level 2, which the paper recommends (FastCDC §4.4, and its evaluation). */
export const DEFAULT_NORMALIZATION_LEVEL = 2;

/**
 * A configuration for `overrides.averageBytes` (default DEFAULT_AVERAGE_BYTES) in the usual
 * proportions: minimum a quarter of the average, maximum four times it. The paper's 2/8/64 KiB has a
 * maximum of 8×; with NC 2, about 5 chunks in a million reach 4× on random data (no hit in the
 * strict stretch, e^−0.19, then none in 3 averages at 4 / average a byte, e^−12), so 4× bounds the
 * block size at no cost in dedup. Any field given in `overrides` wins. Throws RangeError when the
 * result is not valid.
 */
export function chunkingConfig(overrides: Partial<ChunkingConfig> = {}): ChunkingConfig {
  const average = overrides.averageBytes ?? DEFAULT_AVERAGE_BYTES;
  return validateChunkingConfig({
    minBytes: overrides.minBytes ?? Math.floor(average / 4),
    averageBytes: average,
    maxBytes: overrides.maxBytes ?? average * 4,
    normalizationLevel: overrides.normalizationLevel ?? DEFAULT_NORMALIZATION_LEVEL,
  });
}

/** The default: 64 KiB / 256 KiB / 1 MiB, NC 2. */
export const DEFAULT_CHUNKING_CONFIG: ChunkingConfig = chunkingConfig();

function checkInteger(name: string, value: number, low: number, high: number): void {
  if (!Number.isSafeInteger(value) || value < low || value > high) {
    throw new RangeError(`chunking ${name} must be an integer in [${low}, ${high}], got ${String(value)}`);
  }
}

function isPowerOfTwo(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0 && 2 ** Math.round(Math.log2(value)) === value;
}

/**
 * Returns the configuration, frozen, if it is valid; throws a RangeError naming the bad field otherwise.
 * The average must be a power of two: the expected distance between cut points of a mask with n one
 * bits is 2^n, so other averages could not be had, only rounded — and a silently rounded average
 * would surprise. The error names the two nearest powers.
 */
export function validateChunkingConfig(config: ChunkingConfig): ChunkingConfig {
  const { minBytes, averageBytes, maxBytes, normalizationLevel } = config;
  checkInteger('averageBytes', averageBytes, ChunkingLimits.averageBytesMin, ChunkingLimits.averageBytesMax);
  if (!isPowerOfTwo(averageBytes)) {
    const below = 2 ** Math.floor(Math.log2(averageBytes));
    throw new RangeError(
      `chunking averageBytes must be a power of two (the cut masks have log2(average) bits), got ${averageBytes}; the nearest are ${below} and ${below * 2}`,
    );
  }
  checkInteger('minBytes', minBytes, ChunkingLimits.minBytesMin, ChunkingLimits.averageBytesMax);
  if (minBytes > averageBytes) {
    throw new RangeError(`chunking minBytes (${minBytes}) must not exceed averageBytes (${averageBytes})`);
  }
  checkInteger('maxBytes', maxBytes, ChunkingLimits.averageBytesMin, ChunkingLimits.maxBytesMax);
  if (maxBytes < averageBytes) {
    throw new RangeError(`chunking maxBytes (${maxBytes}) must be at least averageBytes (${averageBytes})`);
  }
  checkInteger('normalizationLevel', normalizationLevel, 0, ChunkingLimits.normalizationLevelMax);
  return Object.freeze({ minBytes, averageBytes, maxBytes, normalizationLevel });
}
