/**
 * FastCDC (Xia et al., USENIX ATC 2016) against a naive byte-at-a-time reference of the paper's
 * Algorithm 1, and the properties content-defined chunking promises: chunk sizes within bounds, the
 * chunks covering the input, the same cuts however the input arrives, and few chunks changed by a
 * small edit.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type ChunkingConfig, chunkingConfig } from '../../../../src/services/storage/chunking/chunking-config.ts';
import { cutParameters } from '../../../../src/services/storage/chunking/cut-parameters.ts';
import { chunkEnds, cutPoint } from '../../../../src/services/storage/chunking/fastcdc.ts';
import { type GearRoller, rollToCut } from '../../../../src/services/storage/chunking/gear-roll.ts';
import { StreamingChunker } from '../../../../src/services/storage/chunking/streaming-chunker.ts';
import { rollToCutWasm, wasmAvailable } from '../../../../src/services/storage/chunking/wasm-gear-roll.ts';
import { referenceChunkEnds } from './reference-fastcdc.ts';
import { lowEntropyBytes, randomBytes, textBytes, Xorshift32 } from './sample-data.ts';

/** Both inner loops, so that every property is checked for each. */
const rollers: [string, GearRoller][] = [['JavaScript', rollToCut]];
if (rollToCutWasm !== null) rollers.push(['WebAssembly', rollToCutWasm]);

/** Small configurations, so that short inputs have many chunks: averages 256 B … 2 KiB, any min, max and NC. */
const configArbitrary: fc.Arbitrary<ChunkingConfig> = fc
  .record({
    averageLog2: fc.integer({ min: 8, max: 11 }),
    minPick: fc.nat(),
    maxPick: fc.nat(),
    normalizationLevel: fc.integer({ min: 0, max: 3 }),
  })
  .map(({ averageLog2, minPick, maxPick, normalizationLevel }) => {
    const averageBytes = 2 ** averageLog2;
    return chunkingConfig({
      averageBytes,
      minBytes: 64 + (minPick % (averageBytes - 63)),
      maxBytes: averageBytes + (maxPick % (7 * averageBytes + 1)),
      normalizationLevel,
    });
  });

const kinds = { random: randomBytes, lowEntropy: lowEntropyBytes, text: textBytes } as const;

const inputArbitrary = fc
  .record({ kind: fc.constantFrom(...(Object.keys(kinds) as (keyof typeof kinds)[])), seed: fc.integer(), length: fc.integer({ min: 0, max: 30_000 }) })
  .map(({ kind, seed, length }) => kinds[kind](seed, length));

function lengthsOf(ends: readonly number[]): number[] {
  return ends.map((end, k) => end - (k === 0 ? 0 : ends[k - 1]));
}

/** Splits `data` at random places (some pieces empty, some one byte) and chunks it piece by piece. */
function streamedEnds(data: Uint8Array, config: ChunkingConfig, seed: number, roll: GearRoller): number[] {
  const random = new Xorshift32(seed);
  const chunker = new StreamingChunker(config, roll);
  const ends: number[] = [];
  let offset = 0;
  while (offset < data.length) {
    const size = random.below(4) === 0 ? random.below(3) : random.below(3 * config.maxBytes);
    ends.push(...chunker.push(data.subarray(offset, offset + size)));
    offset += size;
  }
  ends.push(...chunker.finish());
  return ends;
}

describe('FastCDC cut points (ATC 2016, Algorithm 1)', () => {
  for (const [label, roll] of rollers) {
    it(`equal those of the naive reference on random, low-entropy and text inputs (${label})`, () => {
      fc.assert(
        fc.property(configArbitrary, inputArbitrary, (config, data) => {
          assert.deepEqual(chunkEnds(data, config, roll), referenceChunkEnds(data, config));
        }),
        { seed: 0xcdc1, numRuns: 150 },
      );
    });

    it(`are the same when the input arrives in pieces of any size (${label})`, () => {
      fc.assert(
        fc.property(configArbitrary, inputArbitrary, fc.integer(), (config, data, seed) => {
          assert.deepEqual(streamedEnds(data, config, seed, roll), chunkEnds(data, config, roll));
        }),
        { seed: 0xcdc2, numRuns: 200 },
      );
    });
  }

  it('give every chunk but the last a size in [minBytes, maxBytes], and the chunks cover the input exactly', () => {
    fc.assert(
      fc.property(configArbitrary, inputArbitrary, (config, data) => {
        const ends = chunkEnds(data, config);
        const lengths = lengthsOf(ends);
        assert.equal(lengths.reduce((sum, length) => sum + length, 0), data.length);
        assert.equal(ends.at(-1) ?? 0, data.length);
        lengths.forEach((length, k) => {
          assert.ok(length <= config.maxBytes, `chunk ${k} has ${length} > maxBytes bytes`);
          assert.ok(length > 0, 'no empty chunk');
          if (k < lengths.length - 1) assert.ok(length >= config.minBytes, `chunk ${k} has ${length} < minBytes bytes`);
        });
      }),
      { seed: 0xcdc3, numRuns: 300 },
    );
  });

  it('are deterministic: the same bytes, in another buffer and at another offset, give the same cuts', () => {
    fc.assert(
      fc.property(configArbitrary, inputArbitrary, fc.integer({ min: 0, max: 100 }), (config, data, shift) => {
        const elsewhere = new Uint8Array(shift + data.length);
        elsewhere.set(data, shift);
        assert.deepEqual(chunkEnds(elsewhere.subarray(shift), config), chunkEnds(data, config));
        assert.deepEqual(chunkEnds(data, config), chunkEnds(data, config));
      }),
      { seed: 0xcdc4, numRuns: 100 },
    );
  });

  it('cut a run of one byte value only at minBytes or maxBytes: the fingerprint becomes constant', () => {
    const config = chunkingConfig({ averageBytes: 1024 });
    for (const value of [0, 1, 0x55, 0xff]) {
      const lengths = lengthsOf(chunkEnds(new Uint8Array(100_000).fill(value), config));
      for (const length of lengths.slice(0, -1)) assert.ok(length === config.minBytes || length === config.maxBytes, `byte ${value}: ${length}`);
    }
  });

  it('cutPoint follows Algorithm 1 at the edges: short inputs are one chunk, the maximum is forced', () => {
    const config = chunkingConfig({ averageBytes: 1024 });
    const parameters = cutParameters(config);
    const data = randomBytes(7, 10_000);
    assert.equal(cutPoint(data, 0, 0, parameters), 0);
    assert.equal(cutPoint(data, 0, config.minBytes, parameters), config.minBytes);
    assert.equal(cutPoint(data, 5, 5 + config.minBytes - 1, parameters), config.minBytes - 1);
    const zeros = new Uint8Array(10_000);
    const first = cutPoint(zeros, 0, zeros.length, parameters);
    assert.ok(first === config.minBytes || first === config.maxBytes);
  });

  it('both inner loops find the same cuts over 4 MiB for each average measured (16 KiB … 1 MiB)', { skip: !wasmAvailable }, () => {
    const data = randomBytes(4, 4 << 20);
    for (const averageBytes of [16 << 10, 64 << 10, 256 << 10, 1 << 20]) {
      const config = chunkingConfig({ averageBytes });
      assert.deepEqual(chunkEnds(data, config, rollToCutWasm ?? rollToCut), chunkEnds(data, config, rollToCut));
    }
  });
});

describe('deduplication after a small edit', () => {
  function chunkHashes(data: Uint8Array, config: ChunkingConfig): string[] {
    let start = 0;
    return chunkEnds(data, config).map((end) => {
      const hash = createHash('sha256').update(data.subarray(start, end)).digest('hex');
      start = end;
      return hash;
    });
  }

  const edits = {
    insert(data: Uint8Array, at: number): Uint8Array {
      const edited = new Uint8Array(data.length + 1);
      edited.set(data.subarray(0, at));
      edited[at] = 0x2a;
      edited.set(data.subarray(at), at + 1);
      return edited;
    },
    delete(data: Uint8Array, at: number): Uint8Array {
      const edited = new Uint8Array(data.length - 1);
      edited.set(data.subarray(0, at));
      edited.set(data.subarray(at + 1), at);
      return edited;
    },
    overwrite(data: Uint8Array, at: number): Uint8Array {
      const edited = data.slice();
      edited[at] ^= 0xff;
      return edited;
    },
  } as const;

  it('a 1-byte insert, delete or overwrite in 4 MiB leaves ≥ 99% of the chunks reusable (average 8 KiB, about 450 chunks)', () => {
    const config = chunkingConfig({ averageBytes: 8192 });
    const original = randomBytes(99, 4 << 20);
    const known = new Set(chunkHashes(original, config));
    const random = new Xorshift32(5);
    for (const [name, edit] of Object.entries(edits)) {
      for (let trial = 0; trial < 3; trial++) {
        const edited = edit(original, random.below(original.length));
        const hashes = chunkHashes(edited, config);
        const reused = hashes.filter((hash) => known.has(hash)).length / hashes.length;
        assert.ok(reused >= 0.99, `${name}: ${(reused * 100).toFixed(2)}% of ${hashes.length} chunks reused`);
      }
    }
  });
});
