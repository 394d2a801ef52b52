import type { Random } from '../core/random.ts';

/**
 * The simulator's seeded pseudo-random generator.
 *
 * The generator is xoshiro128** (Blackman and Vigna, "Scrambled linear pseudorandom number generators",
 * ACM TOMS 2021): 128 bits of state in four 32-bit words, period 2^128 - 1, and only 32-bit integer
 * operations per draw (`Math.imul`, shifts, xors), so the hot path never allocates and never touches
 * BigInt. It is not cryptographic; the simulator only needs speed, reproducibility and good statistics.
 *
 * Seeds and streams. A run is identified by one integer seed. Every consumer (each node, the network,
 * churn, the workload) gets its own stream, derived from the seed and a stream index by hashing, never
 * from the parent's current state: stream 7 is the same whatever was drawn before, so adding a draw in
 * one component does not perturb any other component, and a failing run can be replayed from its seed.
 * Streams nest: `prng.stream(3).stream(5)` is a stream of stream 3, and differs from `prng.stream(5)`.
 */
export class Prng implements Random {
  /** The four words that identify this stream (seed and stream path hashed); never change. */
  private readonly key0: number;
  private readonly key1: number;
  private readonly key2: number;
  private readonly key3: number;
  /** The xoshiro128** state, kept as int32 values so V8 keeps them unboxed. */
  private state0: number;
  private state1: number;
  private state2: number;
  private state3: number;

  private constructor(key0: number, key1: number, key2: number, key3: number) {
    this.key0 = key0;
    this.key1 = key1;
    this.key2 = key2;
    this.key3 = key3;
    this.state0 = key0 | 0;
    this.state1 = key1 | 0;
    this.state2 = key2 | 0;
    this.state3 = key3 | 0;
    // The all-zero state is the one fixed point of xoshiro; hashing makes it astronomically unlikely,
    // but it must still be impossible.
    if ((this.state0 | this.state1 | this.state2 | this.state3) === 0) this.state0 = 1;
  }

  /** A generator for the run identified by `seed`, any integer in [0, 2^53 - 1]. */
  static fromSeed(seed: number): Prng {
    checkIndex(seed, 'seed');
    const key = deriveKey(ROOT_KEY, DOMAIN_SEED, seed);
    return new Prng(key[0], key[1], key[2], key[3]);
  }

  /**
   * An independent generator for stream `index` (any integer in [0, 2^53 - 1]) of this generator's seed.
   * It depends only on the seed, on the path of stream indices that led to this generator, and on `index`;
   * draws made on this generator before the call make no difference.
   */
  stream(index: number): Prng {
    checkIndex(index, 'stream index');
    const key = deriveKey([this.key0, this.key1, this.key2, this.key3], DOMAIN_STREAM, index);
    return new Prng(key[0], key[1], key[2], key[3]);
  }

  /** A uniformly distributed unsigned 32-bit integer (xoshiro128**). */
  nextUint32(): number {
    const s0 = this.state0;
    const s1 = this.state1;
    const s2 = this.state2 ^ s0;
    const s3 = this.state3 ^ s1;
    const result = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9);
    this.state0 = s0 ^ s3;
    this.state1 = s1 ^ s2;
    this.state2 = s2 ^ (s1 << 9);
    this.state3 = rotateLeft(s3, 11);
    return result >>> 0;
  }

  /**
   * A uniformly distributed number in [0, 1) with 53 random bits (every double of the form k / 2^53),
   * built from two draws. 53 bits rather than 32 matter for inverse-CDF sampling of heavy tails, where
   * the smallest non-zero uniform bounds the largest sample.
   */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992; // (high * 2^26 + low) / 2^53
  }
}

const DOMAIN_SEED = 0x5eed;
const DOMAIN_STREAM = 0x57e4;

/** Arbitrary non-zero constants (the first digits of pi's fractional part) from which root keys are derived. */
const ROOT_KEY: readonly number[] = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344];

/** Per-lane salts (digits of e) so that the four lanes hash the same words differently. */
const LANE_SALTS: readonly number[] = [0xb7e15162, 0x8aed2a6a, 0xbf715880, 0x9cf4f3c7];

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

/**
 * A bijective 32-bit integer finaliser ("lowbias32" from Chris Wellons' hash-prospector search): every
 * input bit affects every output bit with probability close to one half.
 */
function mix32(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Hashes a parent key, a domain tag and a 53-bit integer into a new 128-bit key, SplitMix-style: each of
 * the four lanes absorbs every input word through the bijective mixer, salted by the lane and by a Weyl
 * sequence step, and a final round folds the lanes into each other so that every output word depends on
 * the whole parent key. This runs once per stream, not per draw, so it favours thoroughness over speed.
 */
function deriveKey(parent: readonly number[], domain: number, value: number): number[] {
  const low = value >>> 0;
  const high = Math.floor(value / 4294967296) >>> 0;
  const words = [domain, low, high];
  const lanes = [0, 0, 0, 0];
  for (let lane = 0; lane < 4; lane++) {
    let h = mix32(parent[lane] ^ LANE_SALTS[lane]);
    for (let w = 0; w < words.length; w++) {
      const weyl = Math.imul(0x9e3779b9, lane * 4 + w + 1);
      h = mix32((h + mix32(words[w] ^ weyl)) >>> 0);
    }
    lanes[lane] = h;
  }
  const key = [0, 0, 0, 0];
  for (let lane = 0; lane < 4; lane++) {
    key[lane] = mix32(lanes[lane] ^ mix32(lanes[(lane + 1) & 3] + parent[(lane + 2) & 3]) ^ lanes[(lane + 3) & 3]);
  }
  return key;
}

function checkIndex(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be an integer in [0, 2^53 - 1], got ${value}`);
  }
}
