/**
 * A classic Rabin-fingerprint content-defined chunker, as LBFS used it (Muthitacharoen, Chen and
 * Mazières, "A Low-bandwidth Network File System", SOSP 2001, §3.1) — the baseline the chunking
 * benchmark measures FastCDC against. It is a benchmark baseline only: nothing stores chunks cut by it.
 *
 * The fingerprint (Rabin, "Fingerprinting by random polynomials", Harvard TR-15-81, 1981). Bytes are
 * the coefficients of a polynomial over GF(2), most significant bit of the oldest byte first; the
 * fingerprint of a window w_0 … w_47 (oldest first) is
 *     f = Σ w_i(x) · x^(8·(47 − i))  mod P(x)
 * for an irreducible P of degree 31, a 31-bit number. Sliding the window one byte costs two table
 * look-ups: with the incoming byte b and the outgoing byte o,
 *     f' = (f · x^8 + b) − o(x) · x^(8·48)   (mod P)
 * where f · x^8 mod P is the low 23 bits of f shifted left by 8, xored with APPEND[top 8 bits of f]
 * (APPEND[t] = t(x) · x^31 mod P), and the outgoing byte's term is REMOVE[o] (REMOVE[o] =
 * o(x) · x^(8·48) mod P). Removing after appending keeps the outgoing byte's look-up off the chain
 * that carries f from byte to byte.
 *
 * Why degree 31, not LBFS's wider fingerprint: JavaScript's bitwise operators work on 32-bit
 * integers. A degree-31 fingerprint shifted by 8 bits is computed as (f & 0x7fffff) << 8, which never
 * leaves 31 bits, so every step is int32 arithmetic that V8 keeps in registers. A degree-53
 * fingerprint would have to be split across two 32-bit words (or doubles, whose bitwise operations
 * are 32-bit anyway), roughly twice the work per byte — work the C implementations measured in the
 * papers do not pay, since 64-bit words are native there. So degree 31 is Rabin's fastest form here,
 * and the comparison errs in Rabin's favour. Nothing is lost for chunking: the cut tests at most
 * log2(64 MiB) = 26 low bits, and chunk identity is the SHA-256 of the chunk, not this fingerprint.
 *
 * The polynomial is drawn at random, as Rabin's scheme prescribes, but reproducibly: the first
 * candidate x^31 + … + 1 drawn from the simulator's PRNG (src/sim/prng.ts) with seed 0x72616269
 * ("rabi") that passes Rabin's irreducibility test (for a prime degree n, P is irreducible iff
 * x^(2^n) ≡ x mod P and P has no root in GF(2)). test/bench/rabin-chunker.test.ts re-derives it.
 *
 * The cut rule (LBFS §3.1): a chunk ends with the last byte of a window whose fingerprint's low
 * log2(averageBytes) bits equal a fixed value (LBFS: the low 13 bits, for 8 KiB chunks). The same
 * minBytes and maxBytes as FastCDC's configuration apply: no cut is tested before a chunk has
 * minBytes bytes (LBFS's minimum), a cut is forced at maxBytes. The fingerprint depends only on the
 * 48 bytes of the window, so the bytes before a chunk's first tested position need not be hashed but
 * for the 48 that fill the window — the cut points are exactly those of hashing every byte, and Rabin
 * skips the same share of the data as FastCDC's cut-point skipping. FastCDC's normalisation level is
 * ignored: LBFS has one mask.
 */
import type { ChunkingConfig } from '../../src/services/storage/chunking/chunking-config.ts';

/** The sliding window: LBFS fingerprints every overlapping 48-byte region. */
export const RABIN_WINDOW_BYTES = 48;

/** Degree of the modulus, so fingerprints have 31 bits (header: why 31). */
export const RABIN_DEGREE = 31;

/**
 * The irreducible modulus P(x), x^31 included as bit 31 (header: how it was drawn). As an int32 it is
 * negative; only its bit pattern matters.
 */
export const RABIN_POLYNOMIAL = 0xe492c761;

/** The seed the polynomial was drawn with (0x72616269, "rabi" in ASCII). */
export const RABIN_POLYNOMIAL_SEED = 0x72616269;

/**
 * The fixed value the fingerprint's low bits must equal at a cut (masked to the configured bits).
 * Not zero: a run of zero bytes (sparse files, padding, VM images) has fingerprint 0, and a zero
 * value would cut it into minimum-size chunks at every possible position; any fixed value has the
 * same probability on random data.
 */
export const RABIN_BREAKPOINT_VALUE = 0x5a3c_96e1;

/** f · x mod P for a fingerprint f of degree below 31 (one step of polynomial long division). */
export function timesXModulo(fingerprint: number, polynomial: number = RABIN_POLYNOMIAL): number {
  const shifted = fingerprint << 1;
  // Bit 31 set means a term x^31, which P cancels; the xor also clears bit 31.
  return shifted < 0 ? shifted ^ polynomial : shifted;
}

/** a(x) · b(x) mod P, both of degree below 31 (Horner over b's bits). */
export function multiplyModulo(a: number, b: number, polynomial: number = RABIN_POLYNOMIAL): number {
  let product = 0;
  for (let bit = RABIN_DEGREE - 1; bit >= 0; bit--) {
    product = timesXModulo(product, polynomial);
    if (((b >>> bit) & 1) === 1) product ^= a;
  }
  return product;
}

/** x^exponent mod P. */
export function xPowerModulo(exponent: number, polynomial: number = RABIN_POLYNOMIAL): number {
  let power = 1;
  for (let k = 0; k < exponent; k++) power = timesXModulo(power, polynomial);
  return power;
}

/**
 * The fingerprint of `bytes` computed from scratch, one bit at a time, without the tables: the
 * reference the rolling computation is tested against.
 */
export function fingerprintFromScratch(bytes: Uint8Array, polynomial: number = RABIN_POLYNOMIAL): number {
  let fingerprint = 0;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) fingerprint = timesXModulo(fingerprint, polynomial) ^ ((byte >>> bit) & 1);
  }
  return fingerprint;
}

/** APPEND[t] = t(x) · x^31 mod P: what the top 8 bits of f become when f is multiplied by x^8. */
function buildAppendTable(): Int32Array {
  const xToDegree = xPowerModulo(RABIN_DEGREE);
  return Int32Array.from({ length: 256 }, (_, top) => multiplyModulo(top, xToDegree));
}

/** REMOVE[o] = o(x) · x^(8·48) mod P: the term of a byte that has just left the window. */
function buildRemoveTable(): Int32Array {
  const xToWindowBits = xPowerModulo(8 * RABIN_WINDOW_BYTES);
  return Int32Array.from({ length: 256 }, (_, outgoing) => multiplyModulo(outgoing, xToWindowBits));
}

const APPEND_TABLE = buildAppendTable();
const REMOVE_TABLE = buildRemoveTable();

/**
 * The fingerprint of the window that ends just before `windowEnd`, data[windowEnd − 48, windowEnd),
 * by the append table alone (the window starts empty, so nothing leaves it). Requires windowEnd ≥ 48.
 */
export function windowFingerprint(data: Uint8Array, windowEnd: number): number {
  const append = APPEND_TABLE;
  let fingerprint = 0;
  for (let i = windowEnd - RABIN_WINDOW_BYTES; i < windowEnd; i++) {
    fingerprint = (((fingerprint & 0x7fffff) << 8) | data[i]) ^ append[fingerprint >>> 23];
  }
  return fingerprint;
}

/** Where rollToRabinCut leaves the fingerprint when it reaches the end of its range without a cut. */
export interface RabinRollState {
  fingerprint: number;
}

/**
 * Slides the window over data[from], data[from + 1], … data[to − 1], starting from `fingerprint`,
 * the fingerprint of data[from − 48, from), and returns the first index i whose window
 * data[i − 47 … i] has (fingerprint & mask) === breakpoint, or −1 when there is none — in which case
 * the fingerprint of the last window is left in `state.fingerprint`. Requires 48 ≤ from ≤ to ≤
 * data.length. The hot loop: int32 arithmetic only, the tables held in locals.
 */
export function rollToRabinCut(data: Uint8Array, from: number, to: number, fingerprint: number, mask: number, breakpoint: number, state: RabinRollState): number {
  const append = APPEND_TABLE;
  const remove = REMOVE_TABLE;
  let fp = fingerprint | 0;
  const end = to | 0;
  for (let i = from | 0; i < end; i++) {
    // f · x^8 + b, then minus the outgoing byte's term (header: the sliding step).
    fp = ((((fp & 0x7fffff) << 8) | data[i]) ^ append[fp >>> 23] ^ remove[data[i - 48]]) | 0;
    if ((fp & mask) === breakpoint) return i;
  }
  state.fingerprint = fp;
  return -1;
}

/** The configuration turned into what the cut loop tests. */
export interface RabinCutParameters {
  readonly minBytes: number;
  readonly maxBytes: number;
  /** The low log2(averageBytes) bits. */
  readonly mask: number;
  /** RABIN_BREAKPOINT_VALUE within the mask. */
  readonly breakpoint: number;
}

/**
 * The cut parameters for a FastCDC configuration: the same min and max, a mask of log2(average)
 * low bits (the configuration guarantees a power of two). Throws a RangeError when the window does not
 * fit in the skipped minimum, which a valid configuration (minBytes ≥ 64) never does.
 */
export function rabinCutParameters(config: ChunkingConfig): RabinCutParameters {
  if (config.minBytes <= RABIN_WINDOW_BYTES) {
    throw new RangeError(`the Rabin chunker needs minBytes > ${RABIN_WINDOW_BYTES} (its window), got ${config.minBytes}`);
  }
  const mask = config.averageBytes - 1;
  return { minBytes: config.minBytes, maxBytes: config.maxBytes, mask, breakpoint: RABIN_BREAKPOINT_VALUE & mask };
}

/**
 * The length of the chunk that starts at data[start], the data ending at data[end − 1]:
 * - minBytes or fewer left: they are the (last) chunk;
 * - the first position tested is the chunk's minBytes-th byte (a chunk of exactly minBytes), and
 *   only the 48 bytes before it are hashed to fill the window;
 * - a breakpoint at byte i ends the chunk with byte i (LBFS: the window is the chunk's tail);
 * - with none, the chunk ends at maxBytes or at the end of the data.
 */
export function rabinCutPoint(data: Uint8Array, start: number, end: number, parameters: RabinCutParameters, state: RabinRollState): number {
  const { minBytes, maxBytes, mask, breakpoint } = parameters;
  let length = end - start;
  if (length <= minBytes) return length;
  if (length > maxBytes) length = maxBytes;
  const firstTested = start + minBytes - 1;
  const filled = windowFingerprint(data, firstTested);
  const hit = rollToRabinCut(data, firstTested, start + length, filled, mask, breakpoint, state);
  return hit >= 0 ? hit + 1 - start : length;
}

/**
 * The end offsets of the Rabin chunks of `data`, in order — the same shape as FastCDC's `chunkEnds`
 * (fastcdc.ts): chunk k is data[ends[k − 1], ends[k]) with ends[−1] = 0, the last end is data.length,
 * and empty data has none.
 */
export function rabinChunkEnds(data: Uint8Array, config: ChunkingConfig): number[] {
  const parameters = rabinCutParameters(config);
  const state: RabinRollState = { fingerprint: 0 };
  const ends: number[] = [];
  let start = 0;
  while (start < data.length) {
    start += rabinCutPoint(data, start, data.length, parameters, state);
    ends.push(start);
  }
  return ends;
}
