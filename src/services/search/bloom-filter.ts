/**
 * A Bloom filter (Bloom, "Space/time trade-offs in hash coding with allowable errors", CACM 1970)
 * for intersecting posting lists between the nodes that hold each term of a conjunctive query, as
 * in Reynolds & Vahdat, "Efficient peer-to-peer keyword searching", Middleware 2003: the holder of
 * the rarest term sends a filter of its CIDs to the holder of the next term, which keeps only the
 * CIDs of its own list that the filter might contain (filterItems) and sends those on; the false
 * positives that slip through are removed at the end against the exact lists. A filter costs about
 * 1.2 bytes per CID at 1% false positives, instead of a whole CID (36+ bytes) per posting.
 *
 * Sizing (forItems): for n expected items and a false-positive rate p, the optimal bit count is
 * m = -n ln p / (ln 2)^2, rounded up here to whole bytes, and the optimal hash count is
 * k = round(m / n · ln 2), at least 1. Both are capped (BloomLimits) so that a hostile or careless
 * size cannot allocate without bound; a capped filter has a higher rate than asked for, which
 * expectedFalsePositiveRate reports.
 *
 * Hashing: the k bit positions come from double hashing, g_i(x) = h1(x) + i · h2(x) mod m for
 * i = 0 … k-1 (Kirsch & Mitzenmacher, "Less hashing, same performance: building a better Bloom
 * filter", ESA 2006), which keeps the asymptotic false-positive rate of k independent hashes. h1 is
 * 32-bit FNV-1a over the item's UTF-8 bytes followed by MurmurHash3's 32-bit finaliser (FNV alone
 * diffuses poorly into the low bits); h2 is a MurmurHash3-style (x86, 32-bit) hash of the same
 * bytes with its own seed, forced odd so that, with m a multiple of 8, the step h2 mod m is never
 * zero and the k positions never collapse into one. Sums stay below 2^37, exact in a double. Both
 * hashes are written here; everything is deterministic, so the same items always give the same
 * bytes on every node.
 *
 * Encoded layout, version 1 (integers unsigned, big-endian):
 *
 *   offset  size       field
 *   0       1          version (1)
 *   1       1          hash count k, 1 … BloomLimits.hashesMax
 *   2       4          bit count m, a multiple of 8, 8 … BloomLimits.bitsMax
 *   6       m / 8      the bit array: bit i is bit (i mod 8) of byte i div 8, least significant first
 *
 * Nothing may follow. Because m is a whole number of bytes there are no padding bits, so every
 * accepted input is the one encoding of its filter (decode then encode gives the same bytes).
 * decode never throws: a bad input is an error value saying what is wrong.
 */

export const BloomLimits = {
  /** The encoding's version byte. */
  version: 1,
  /** Bytes before the bit array: version, hash count, bit count. */
  headerBytes: 6,
  /** The smallest filter: one byte of bits. */
  bitsMin: 8,
  /** The largest filter: 8 Mi bits, 1 MiB of bit array (about 875,000 CIDs at 1%). */
  bitsMax: 8 * 1024 * 1024,
  /** The most hash functions (positions per item); 16 is optimal for p ≈ 1.5e-5. */
  hashesMax: 16,
} as const;

export type BloomDecodeResult = { ok: true; filter: BloomFilter } | { ok: false; error: string };

const LN2 = Math.LN2;

export class BloomFilter {
  readonly #bitArray: Uint8Array;
  readonly #bits: number;
  readonly #hashes: number;

  private constructor(bitArray: Uint8Array, hashes: number) {
    this.#bitArray = bitArray;
    this.#bits = bitArray.length * 8;
    this.#hashes = hashes;
  }

  /**
   * An empty filter sized for `expectedItems` items at `falsePositiveRate` (0 < p < 1), optimally
   * within BloomLimits (see the file header). Zero expected items sizes for one. Throws RangeError
   * on arguments that are not numbers in range: they are the caller's, never a peer's.
   */
  static forItems(expectedItems: number, falsePositiveRate: number): BloomFilter {
    if (!Number.isSafeInteger(expectedItems) || expectedItems < 0) {
      throw new RangeError(`expectedItems must be a non-negative integer, not ${expectedItems}`);
    }
    if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) {
      throw new RangeError(`falsePositiveRate must be strictly between 0 and 1, not ${falsePositiveRate}`);
    }
    const sizing = optimalSizing(expectedItems, falsePositiveRate);
    return BloomFilter.ofSize(sizing.bits, sizing.hashes);
  }

  /** A filter of `items`, sized for their count (duplicates included) at `falsePositiveRate`. */
  static ofItems(items: readonly string[], falsePositiveRate: number): BloomFilter {
    const filter = BloomFilter.forItems(items.length, falsePositiveRate);
    for (const item of items) filter.add(item);
    return filter;
  }

  /**
   * An empty filter of exactly `bits` bits (a multiple of 8 within BloomLimits) and `hashes` hash
   * functions. Throws RangeError otherwise.
   */
  static ofSize(bits: number, hashes: number): BloomFilter {
    const problem = sizeProblem(bits, hashes);
    if (problem !== null) throw new RangeError(problem);
    return new BloomFilter(new Uint8Array(bits / 8), hashes);
  }

  /** m, the number of bits. */
  get bits(): number {
    return this.#bits;
  }

  /** k, the number of positions set per item. */
  get hashes(): number {
    return this.#hashes;
  }

  /** The size of encode()'s output. */
  get bytes(): number {
    return BloomLimits.headerBytes + this.#bitArray.length;
  }

  /** How many bits are set; with bits and hashes, it estimates how many distinct items were added. */
  get bitsSet(): number {
    let count = 0;
    for (const byte of this.#bitArray) count += POPCOUNT[byte];
    return count;
  }

  add(item: string): void {
    const [h1, step] = hashPair(item);
    const bits = this.#bits;
    for (let i = 0; i < this.#hashes; i++) {
      const position = (h1 + i * step) % bits;
      this.#bitArray[position >>> 3] |= 1 << (position & 7);
    }
  }

  /** False for an item never added; true for every item added, and for a few others (false positives). */
  mightContain(item: string): boolean {
    const [h1, step] = hashPair(item);
    const bits = this.#bits;
    for (let i = 0; i < this.#hashes; i++) {
      const position = (h1 + i * step) % bits;
      if ((this.#bitArray[position >>> 3] & (1 << (position & 7))) === 0) return false;
    }
    return true;
  }

  /** The version-1 encoding (layout in the file header). */
  encode(): Uint8Array {
    const out = new Uint8Array(this.bytes);
    out[0] = BloomLimits.version;
    out[1] = this.#hashes;
    writeU32(out, 2, this.#bits);
    out.set(this.#bitArray, BloomLimits.headerBytes);
    return out;
  }

  /** Reads a version-1 encoding, copying the bits (the input may be reused). Never throws. */
  static decode(bytes: Uint8Array): BloomDecodeResult {
    const header = BloomLimits.headerBytes;
    if (bytes.length < header) {
      return { ok: false, error: `truncated bloom filter: ${bytes.length} bytes, the header alone is ${header}` };
    }
    if (bytes[0] !== BloomLimits.version) {
      return { ok: false, error: `unsupported bloom filter version ${bytes[0]} (expected ${BloomLimits.version})` };
    }
    const hashes = bytes[1];
    const bits = readU32(bytes, 2);
    const problem = sizeProblem(bits, hashes);
    if (problem !== null) return { ok: false, error: `bad bloom filter header: ${problem}` };
    const expected = header + bits / 8;
    if (bytes.length < expected) {
      return { ok: false, error: `truncated bloom filter: ${bytes.length} bytes, ${bits} bits need ${expected}` };
    }
    if (bytes.length > expected) {
      return { ok: false, error: `${bytes.length - expected} trailing bytes after a bloom filter of ${bits} bits` };
    }
    return { ok: true, filter: new BloomFilter(bytes.slice(header, expected), hashes) };
  }
}

/**
 * The optimal bit and hash counts for `expectedItems` items at `falsePositiveRate`, capped by
 * BloomLimits: m = -n ln p / (ln 2)^2 rounded up to whole bytes, k = round(m / n · ln 2), at
 * least 1. Arguments are assumed valid (forItems checks them).
 */
export function optimalSizing(expectedItems: number, falsePositiveRate: number): { bits: number; hashes: number } {
  const items = Math.max(1, expectedItems);
  const bitsIdeal = (-items * Math.log(falsePositiveRate)) / (LN2 * LN2);
  const bits = Math.min(BloomLimits.bitsMax, Math.max(BloomLimits.bitsMin, Math.ceil(bitsIdeal / 8) * 8));
  const hashes = Math.min(BloomLimits.hashesMax, Math.max(1, Math.round((bits / items) * LN2)));
  return { bits, hashes };
}

/**
 * The false-positive rate expected of a filter of `bits` bits and `hashes` hash functions holding
 * `items` distinct items: (1 - e^(-k n / m))^k.
 */
export function expectedFalsePositiveRate(bits: number, hashes: number, items: number): number {
  if (items <= 0) return 0;
  return Math.pow(1 - Math.exp((-hashes * items) / bits), hashes);
}

/**
 * The items the filter might contain, in their order: one step of a Reynolds–Vahdat intersection
 * (the receiver's posting list against the sender's filter). Every item both hold is kept; a few
 * that only the receiver holds may be kept too.
 */
export function filterItems(items: readonly string[], filter: BloomFilter): string[] {
  return items.filter((item) => filter.mightContain(item));
}

/** What is wrong with a filter of this size, or null if nothing. */
function sizeProblem(bits: number, hashes: number): string | null {
  if (!Number.isInteger(hashes) || hashes < 1 || hashes > BloomLimits.hashesMax) {
    return `hash count ${hashes} is outside 1…${BloomLimits.hashesMax}`;
  }
  if (!Number.isInteger(bits) || bits < BloomLimits.bitsMin || bits > BloomLimits.bitsMax) {
    return `bit count ${bits} is outside ${BloomLimits.bitsMin}…${BloomLimits.bitsMax}`;
  }
  if (bits % 8 !== 0) return `bit count ${bits} is not a whole number of bytes`;
  return null;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, byte) => {
  let count = 0;
  for (let b = byte; b !== 0; b >>>= 1) count += b & 1;
  return count;
});

const utf8 = new TextEncoder();

/** The seed of h2 (the ASCII bytes of "blm2" as a big-endian 32-bit integer). */
const MURMUR_SEED = 0x626c6d32;

/** h1 and the odd step h2 of an item, both unsigned 32-bit. */
function hashPair(item: string): [number, number] {
  const bytes = utf8.encode(item);
  return [fmix32(fnv1a32(bytes)), (murmur3x86_32(bytes, MURMUR_SEED) | 1) >>> 0];
}

/** 32-bit FNV-1a (Fowler, Noll, Vo): offset basis 2166136261, prime 16777619. Exported for its test vectors. */
export function fnv1a32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i];
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 x86 32-bit (Appleby): little-endian 4-byte blocks, a tail, the length, fmix32. Exported for its test vectors. */
export function murmur3x86_32(bytes: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  const blocksEnd = bytes.length & ~3;
  for (let i = 0; i < blocksEnd; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = bytes.length & 3;
  if (tail !== 0) {
    let k = bytes[blocksEnd];
    if (tail >= 2) k |= bytes[blocksEnd + 1] << 8;
    if (tail === 3) k |= bytes[blocksEnd + 2] << 16;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  return fmix32(h);
}

function writeU32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}
