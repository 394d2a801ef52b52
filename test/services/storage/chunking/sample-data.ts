/**
 * Deterministic test inputs, generated here (not by the simulator's PRNG) so that the golden cut
 * points depend on nothing but this file and the chunker.
 */

/** Marsaglia's xorshift32 (J. Stat. Softw. 8(14), 2003; shifts 13, 17, 5), seeded away from 0. */
export class Xorshift32 {
  private state: number;

  constructor(seed: number) {
    this.state = (seed | 0) === 0 ? 0x9e3779b9 | 0 : seed | 0;
  }

  nextUint32(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x;
    return x >>> 0;
  }

  /** An integer in [0, bound), bound ≤ 2^32 (with a negligible bias). */
  below(bound: number): number {
    return Math.floor((this.nextUint32() / 2 ** 32) * bound);
  }
}

/** `length` pseudo-random bytes from `seed`. */
export function randomBytes(seed: number, length: number): Uint8Array {
  const random = new Xorshift32(seed);
  const bytes = new Uint8Array(length);
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    const word = random.nextUint32();
    bytes[i] = word;
    bytes[i + 1] = word >>> 8;
    bytes[i + 2] = word >>> 16;
    bytes[i + 3] = word >>> 24;
  }
  for (; i < length; i++) bytes[i] = random.nextUint32();
  return bytes;
}

/**
 * Low-entropy bytes: runs of symbols from a small alphabet, where the Gear fingerprint repeats and
 * cut points fall exactly on minBytes, on the normal size or on maxBytes — the edges a random input
 * rarely reaches.
 */
export function lowEntropyBytes(seed: number, length: number): Uint8Array {
  const random = new Xorshift32(seed);
  const alphabet = Array.from({ length: 1 + random.below(4) }, () => random.below(256));
  const bytes = new Uint8Array(length);
  let i = 0;
  while (i < length) {
    const symbol = alphabet[random.below(alphabet.length)];
    const run = 1 + random.below(random.below(2) === 0 ? 4 : 2000);
    bytes.fill(symbol, i, Math.min(length, i + run));
    i += run;
  }
  return bytes;
}

/** Lines of words from a small vocabulary: text-like data, compressible, with repeated substrings. */
export function textBytes(seed: number, length: number): Uint8Array {
  const random = new Xorshift32(seed);
  const words = Array.from({ length: 200 }, () => Array.from({ length: 2 + random.below(8) }, () => String.fromCharCode(97 + random.below(26))).join(''));
  const bytes = new Uint8Array(length);
  let i = 0;
  let column = 0;
  while (i < length) {
    // Zipf-like: low word indices far more often.
    const word = words[Math.floor(words.length * random.below(1000) ** 2 / 1e6)];
    for (let k = 0; k < word.length && i < length; k++) bytes[i++] = word.charCodeAt(k);
    column += word.length + 1;
    if (i < length) bytes[i++] = column > 72 ? 10 : 32;
    if (column > 72) column = 0;
  }
  return bytes;
}
