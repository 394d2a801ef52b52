import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChunkingLimits, chunkingConfig, DEFAULT_AVERAGE_BYTES, DEFAULT_CHUNKING_CONFIG, validateChunkingConfig,
} from '../../../../src/services/storage/chunking/chunking-config.ts';
import { cutParameters, topBitsMask } from '../../../../src/services/storage/chunking/cut-parameters.ts';

describe('chunking configuration', () => {
  it('defaults to 64 KiB / 256 KiB / 1 MiB with normalisation level 2', () => {
    assert.equal(DEFAULT_AVERAGE_BYTES, 256 * 1024);
    assert.deepEqual({ ...DEFAULT_CHUNKING_CONFIG }, { minBytes: 64 * 1024, averageBytes: 256 * 1024, maxBytes: 1024 * 1024, normalizationLevel: 2 });
    assert.ok(Object.isFrozen(DEFAULT_CHUNKING_CONFIG));
  });

  it('derives minimum and maximum from the average unless they are given', () => {
    assert.deepEqual({ ...chunkingConfig({ averageBytes: 4096 }) }, { minBytes: 1024, averageBytes: 4096, maxBytes: 16384, normalizationLevel: 2 });
    assert.deepEqual({ ...chunkingConfig({ averageBytes: 4096, minBytes: 100, maxBytes: 5000, normalizationLevel: 0 }) }, { minBytes: 100, averageBytes: 4096, maxBytes: 5000, normalizationLevel: 0 });
  });

  const bad: [string, Parameters<typeof chunkingConfig>[0], RegExp][] = [
    ['an average that is not a power of two', { averageBytes: 100_000 }, /averageBytes must be a power of two .*got 100000; the nearest are 65536 and 131072/],
    ['an average below the limit', { averageBytes: 128 }, /averageBytes must be an integer in \[256, 67108864\], got 128/],
    ['an average above the limit', { averageBytes: 2 ** 27 }, /averageBytes must be an integer in \[256, 67108864\]/],
    ['a fractional average', { averageBytes: 1024.5 }, /averageBytes must be an integer/],
    ['NaN', { averageBytes: Number.NaN }, /averageBytes must be an integer .*got NaN/],
    ['a minimum above the average', { averageBytes: 1024, minBytes: 2048 }, /minBytes \(2048\) must not exceed averageBytes \(1024\)/],
    ['a minimum below the limit', { averageBytes: 1024, minBytes: 10 }, /minBytes must be an integer in \[64, /],
    ['a maximum below the average', { averageBytes: 1024, maxBytes: 1000 }, /maxBytes \(1000\) must be at least averageBytes \(1024\)/],
    ['a maximum above the limit', { averageBytes: 1024, maxBytes: 2 ** 30 }, /maxBytes must be an integer in \[256, 268435456\]/],
    ['normalisation level 4', { normalizationLevel: 4 }, /normalizationLevel must be an integer in \[0, 3\], got 4/],
    ['a negative normalisation level', { normalizationLevel: -1 }, /normalizationLevel must be an integer in \[0, 3\]/],
  ];
  for (const [what, overrides, message] of bad) {
    it(`rejects ${what} with a RangeError that says why`, () => {
      assert.throws(() => chunkingConfig(overrides), (error: unknown) => error instanceof RangeError && message.test(error.message));
    });
  }

  it('validateChunkingConfig checks a configuration built by hand the same way', () => {
    assert.throws(() => validateChunkingConfig({ minBytes: 64, averageBytes: 1000, maxBytes: 4000, normalizationLevel: 2 }), RangeError);
    assert.doesNotThrow(() => validateChunkingConfig({ minBytes: 64, averageBytes: 1024, maxBytes: 1024, normalizationLevel: 3 }));
  });

  it('accepts every limit itself', () => {
    assert.doesNotThrow(() => chunkingConfig({ averageBytes: ChunkingLimits.averageBytesMin, minBytes: ChunkingLimits.minBytesMin, normalizationLevel: 3 }));
    assert.doesNotThrow(() => chunkingConfig({ averageBytes: ChunkingLimits.averageBytesMax, maxBytes: ChunkingLimits.maxBytesMax, normalizationLevel: 3 }));
  });
});

describe('cut masks (normalised chunking, FastCDC §4.4)', () => {
  it('have log2(average) ± NC one bits, contiguous, the highest at bit 30', () => {
    const popcount = (mask: number): number => (mask >>> 0).toString(2).split('').filter((bit) => bit === '1').length;
    for (const averageBytes of [256, 4096, 1 << 18, 1 << 26]) {
      for (const normalizationLevel of [0, 1, 2, 3]) {
        const bits = Math.log2(averageBytes);
        const { maskStrict, maskLoose } = cutParameters(chunkingConfig({ averageBytes, normalizationLevel }));
        assert.equal(popcount(maskStrict), bits + normalizationLevel);
        assert.equal(popcount(maskLoose), bits - normalizationLevel);
        for (const mask of [maskStrict, maskLoose]) {
          assert.equal((mask >>> 0) & 0x80000000, 0, 'bit 31 unused');
          assert.ok(((mask >>> 0) & 0x40000000) !== 0, 'bit 30 used');
          assert.equal(((mask >>> 0) / 2 ** (31 - popcount(mask))) + 1, 2 ** popcount(mask), 'contiguous');
        }
      }
    }
  });

  it('topBitsMask refuses 0 or more than 30 bits', () => {
    assert.equal(topBitsMask(1), 0x40000000);
    assert.equal(topBitsMask(30) >>> 0, 0x7ffffffe);
    assert.throws(() => topBitsMask(0), RangeError);
    assert.throws(() => topBitsMask(31), RangeError);
  });
});
