/**
 * The Rabin-fingerprint chunker the chunking benchmark compares FastCDC with
 * (bench/storage/rabin-chunker.ts): its modulus is the irreducible polynomial the header says, the
 * rolling fingerprint is the from-scratch one, its cuts are those of fingerprinting every window, they
 * respect min and max, the mean chunk is what the cut rule predicts, and a 1-byte insert changes
 * only the chunks near it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ChunkingConfig, chunkingConfig } from '../../src/services/storage/chunking/chunking-config.ts';
import { Prng } from '../../src/sim/prng.ts';
import {
  fingerprintFromScratch,
  multiplyModulo,
  RABIN_BREAKPOINT_VALUE,
  RABIN_DEGREE,
  RABIN_POLYNOMIAL,
  RABIN_POLYNOMIAL_SEED,
  RABIN_WINDOW_BYTES,
  rabinChunkEnds,
  type RabinRollState,
  rollToRabinCut,
  windowFingerprint,
} from '../../bench/storage/rabin-chunker.ts';
import { chunkHashes } from '../../bench/storage/chunking.ts';

function randomBytes(length: number, seed: number): Uint8Array {
  const random = Prng.fromSeed(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = random.nextUint32() & 0xff;
  return bytes;
}

function bitCount(value: number): number {
  let count = 0;
  for (let rest = value >>> 0; rest !== 0; rest >>>= 1) count += rest & 1;
  return count;
}

/**
 * Rabin's irreducibility test for a polynomial of the prime degree 31 (bit 31 set): irreducible iff
 * x^(2^31) ≡ x mod P and P has no root in GF(2) — P(0) = 1 (constant term) and P(1) = 1 (odd weight).
 */
function isIrreducibleDegree31(polynomial: number): boolean {
  if ((polynomial >>> RABIN_DEGREE) !== 1 || (polynomial & 1) === 0 || bitCount(polynomial) % 2 === 0) return false;
  let power = 2; // x
  for (let k = 0; k < RABIN_DEGREE; k++) power = multiplyModulo(power, power, polynomial);
  return power === 2;
}

/** Carry-less product of two polynomials whose product has degree at most 31. */
function carrylessProduct(a: number, b: number): number {
  let product = 0;
  for (let bit = 0; bit < 32; bit++) if (((b >>> bit) & 1) === 1) product ^= a << bit;
  return product >>> 0;
}

function lengthsOf(ends: readonly number[]): number[] {
  return ends.map((end, k) => end - (k === 0 ? 0 : ends[k - 1]));
}

test('the irreducibility check accepts a known irreducible trinomial and rejects products', () => {
  assert.equal(isIrreducibleDegree31(0x80000009), true); // x^31 + x^3 + 1, a known primitive trinomial
  assert.equal(isIrreducibleDegree31(0x80000001), false); // x^31 + 1 = (x + 1)(…)
  // (x^2 + x + 1) · Q(x): no root in GF(2) when Q has none, so only the x^(2^31) condition can reject it.
  const random = Prng.fromSeed(5);
  let checked = 0;
  while (checked < 20) {
    const q = (0x20000001 | (random.nextUint32() & 0x1fffffff)) >>> 0; // degree 29, constant term 1
    if (bitCount(q) % 2 === 0) continue;
    const product = carrylessProduct(q, 0b111);
    assert.equal(product >>> 31, 1);
    assert.equal(isIrreducibleDegree31(product), false, `0x${product.toString(16)} is reducible`);
    checked++;
  }
});

test('the modulus is the first irreducible polynomial drawn with the documented seed', () => {
  const random = Prng.fromSeed(RABIN_POLYNOMIAL_SEED);
  let candidate = 0;
  do candidate = (0x80000001 | random.nextUint32()) >>> 0;
  while (!isIrreducibleDegree31(candidate));
  assert.equal(candidate, RABIN_POLYNOMIAL >>> 0);
});

test('the rolling fingerprint equals the from-scratch fingerprint of the same 48 bytes, at many positions', () => {
  const data = randomBytes(1 << 16, 21);
  const random = Prng.fromSeed(22);
  // (fp & 0) is never 1, so the roll goes to the end of the range and leaves the last fingerprint.
  const neverCuts = { mask: 0, breakpoint: 1 };
  const state: RabinRollState = { fingerprint: -1 };
  for (let trial = 0; trial < 400; trial++) {
    const from = RABIN_WINDOW_BYTES + Math.floor(random.nextFloat() * (data.length - 4096));
    const rolled = Math.floor(random.nextFloat() * 2048);
    const start = windowFingerprint(data, from);
    assert.equal(start, fingerprintFromScratch(data.subarray(from - RABIN_WINDOW_BYTES, from)), `window ending at ${from}`);
    state.fingerprint = -1;
    assert.equal(rollToRabinCut(data, from, from + rolled, start, neverCuts.mask, neverCuts.breakpoint, state), -1);
    const windowEnd = from + rolled;
    const expected = fingerprintFromScratch(data.subarray(windowEnd - RABIN_WINDOW_BYTES, windowEnd));
    assert.equal(state.fingerprint, expected, `rolled ${rolled} bytes from ${from}`);
    assert.ok(expected >= 0 && expected < 2 ** RABIN_DEGREE);
  }
});

/** Cuts by fingerprinting every candidate window from scratch: slow, and obviously the cut rule. */
function referenceEnds(data: Uint8Array, config: ChunkingConfig): number[] {
  const mask = config.averageBytes - 1;
  const breakpoint = RABIN_BREAKPOINT_VALUE & mask;
  const ends: number[] = [];
  let start = 0;
  while (start < data.length) {
    let end = Math.min(start + config.maxBytes, data.length);
    if (data.length - start > config.minBytes) {
      for (let last = start + config.minBytes - 1; last < end; last++) {
        if ((fingerprintFromScratch(data.subarray(last + 1 - RABIN_WINDOW_BYTES, last + 1)) & mask) === breakpoint) {
          end = last + 1;
          break;
        }
      }
    } else end = data.length;
    ends.push(end);
    start = end;
  }
  return ends;
}

test('the cuts are those of fingerprinting every window from scratch', () => {
  const config = chunkingConfig({ averageBytes: 256 }); // 64 / 256 / 1024: many cuts in little data
  for (const [length, seed] of [[160_000, 31], [1000, 32], [64, 33], [65, 34], [0, 35]] as const) {
    const data = randomBytes(length, seed);
    const expected = referenceEnds(data, config);
    assert.deepEqual(rabinChunkEnds(data, config), expected, `${length} bytes`);
    if (length === 160_000) {
      // The edge cases are covered: a match at the very first window tested, and a cut forced at max.
      const lengths = lengthsOf(expected).slice(0, -1);
      assert.ok(lengths.length > 400);
      assert.ok(lengths.includes(config.minBytes) && lengths.includes(config.maxBytes), 'chunks of exactly min and max');
    }
  }
});

test('cuts respect min and max; zeros never match the breakpoint and are cut at max', () => {
  // max only 2× the average, so that forced cuts happen often: e^(−(2048 − 256)/1024) ≈ 17%.
  const config: ChunkingConfig = { minBytes: 256, averageBytes: 1024, maxBytes: 2048, normalizationLevel: 0 };
  const data = randomBytes(1 << 20, 41);
  const ends = rabinChunkEnds(data, config);
  assert.equal(ends.at(-1), data.length);
  const lengths = lengthsOf(ends);
  const inner = lengths.slice(0, -1);
  for (const length of inner) assert.ok(length >= config.minBytes && length <= config.maxBytes, `chunk of ${length} bytes`);
  assert.ok(lengths.at(-1)! > 0 && lengths.at(-1)! <= config.maxBytes);
  assert.ok(inner.filter((length) => length === config.maxBytes).length > inner.length * 0.1, 'max binds');
  // A chunk of exactly minBytes needs a match at its first window (1 in 1,024); one within 64 bytes of it, 6%.
  assert.ok(inner.some((length) => length < config.minBytes + 64), 'chunks come close to the minimum');
  assert.deepEqual(rabinChunkEnds(new Uint8Array(5000), config), [2048, 4096, 5000]);
  assert.deepEqual(rabinChunkEnds(new Uint8Array(100), config), [100]);
  assert.deepEqual(rabinChunkEnds(new Uint8Array(0), config), []);
  assert.throws(() => rabinChunkEnds(data, { ...config, minBytes: RABIN_WINDOW_BYTES }), RangeError);
});

test('the mean chunk over 8 MiB of random data is min + average, within ±25%', () => {
  // Derivation: a chunk's first tested window ends at its minBytes-th byte, and each window matches
  // with probability q = 1/average, so the length is minBytes − 1 + G, G geometric on 1, 2, … and cut
  // off at maxBytes: E = minBytes − 1 + (1 − (1 − q)^(max − min + 1)) / q
  //   ≈ minBytes + average · (1 − e^(−(max − min)/average)) — here 2 + 8 · (1 − e^−3) = 9.78 KiB
  // against min + average = 10 KiB.
  const config = chunkingConfig({ averageBytes: 8192 }); // 2 / 8 / 32 KiB
  const data = randomBytes(8 << 20, 51);
  const lengths = lengthsOf(rabinChunkEnds(data, config));
  const meanBytes = data.length / lengths.length;
  const minPlusAverage = config.minBytes + config.averageBytes;
  assert.ok(Math.abs(meanBytes - minPlusAverage) <= 0.25 * minPlusAverage, `mean ${meanBytes.toFixed(0)} bytes`);
  const q = 1 / config.averageBytes;
  const derived = config.minBytes - 1 + (1 - (1 - q) ** (config.maxBytes - config.minBytes + 1)) / q;
  // ~850 chunks, standard deviation ~8 KiB each: the mean's standard error is ~3%, so 10% is > 3 sigma.
  assert.ok(Math.abs(meanBytes - derived) <= 0.1 * derived, `mean ${meanBytes.toFixed(0)} bytes, derived ${derived.toFixed(0)}`);
});

test('a 1-byte insert changes only the chunks near the edit', () => {
  const config = chunkingConfig({ averageBytes: 8192 });
  const data = randomBytes(2 << 20, 61);
  const originalEnds = rabinChunkEnds(data, config);
  const known = new Set(chunkHashes(data, originalEnds));
  const random = Prng.fromSeed(62);
  for (let trial = 0; trial < 8; trial++) {
    const position = Math.floor(random.nextFloat() * data.length);
    const edited = new Uint8Array(data.length + 1);
    edited.set(data.subarray(0, position));
    edited[position] = 0x2a;
    edited.set(data.subarray(position), position + 1);
    const ends = rabinChunkEnds(edited, config);
    const hashes = chunkHashes(edited, ends);
    let start = 0;
    let fresh = 0;
    hashes.forEach((hash, k) => {
      if (!known.has(hash)) {
        fresh++;
        // A new chunk must overlap the edit or follow it closely (re-synchronisation within a chunk or two).
        assert.ok(ends[k] > position - RABIN_WINDOW_BYTES && start <= position + 2 * config.maxBytes, `new chunk [${start}, ${ends[k]}) for an insert at ${position}`);
      }
      start = ends[k];
    });
    assert.ok(fresh >= 1 && fresh <= 3, `${fresh} new chunks of ${hashes.length}`);
    assert.ok((hashes.length - fresh) / hashes.length > 0.98);
  }
});
