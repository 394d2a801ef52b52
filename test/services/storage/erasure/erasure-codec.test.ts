/**
 * The codec: fragments as the layout says (checked against a naive product), any K of them rebuild
 * the block (every choice for small K+M, random ones up to 20+10), the WebAssembly and JavaScript
 * paths byte-identical, odd sizes, and bad input — a clear RangeError for a bad configuration or
 * misused buffers, an error value for bad fragments, and never a throw on junk.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createErasureCodec, type ErasureCodec } from '../../../../src/services/storage/erasure/erasure-codec.ts';
import { cauchyParityMatrix, generatorMatrix } from '../../../../src/services/storage/erasure/generator-matrix.ts';
import { RECONSTRUCTION_CACHE_ENTRIES_MAX, ReconstructionMatrixCache } from '../../../../src/services/storage/erasure/reconstruction-matrix.ts';
import { naiveProduct, pseudoRandomBytes, subsets } from './support.ts';


/** Only the fragments in `kept`; the others null. */
function keepOnly(fragments: readonly Uint8Array[], kept: readonly number[]): (Uint8Array | null)[] {
  return fragments.map((fragment, i) => (kept.includes(i) ? fragment : null));
}

function decodeOk(codec: ErasureCodec, fragments: readonly (Uint8Array | null)[], length: number): Uint8Array {
  const result = codec.decode(fragments, length);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.data;
}

function decodeError(codec: ErasureCodec, fragments: readonly unknown[], length: number): string {
  const result = codec.decode(fragments as (Uint8Array | null)[], length);
  assert.ok(!result.ok, 'expected an error value');
  assert.equal(typeof result.error, 'string');
  return result.error;
}

describe('encode', () => {
  it('cuts the block into K zero-padded pieces of ⌈n/K⌉ bytes and appends the Cauchy parity', () => {
    for (const [k, m, n] of [[10, 4, 1000], [3, 2, 7], [4, 4, 1], [5, 0, 12], [1, 3, 33], [7, 5, 0]]) {
      const data = pseudoRandomBytes(n, n + k);
      const fragments = createErasureCodec({ dataShards: k, parityShards: m }).encode(data);
      const size = Math.ceil(n / k);
      assert.equal(fragments.length, k + m);
      for (const fragment of fragments) assert.equal(fragment.length, size);
      const padded = new Uint8Array(k * size);
      padded.set(data);
      for (let i = 0; i < k; i++) assert.deepEqual(fragments[i], padded.subarray(i * size, (i + 1) * size));
      const pieces = fragments.slice(0, k);
      assert.deepEqual(fragments.slice(k), naiveProduct(cauchyParityMatrix(k, m), pieces, size));
    }
  });

  it('reports its fragment size and kernel, and leaves its input alone', () => {
    const codec = createErasureCodec({ dataShards: 10, parityShards: 4 });
    assert.equal(codec.kernelName, 'wasm-relaxed-simd');
    assert.equal(createErasureCodec({ dataShards: 10, parityShards: 4, kernel: 'js' }).kernelName, 'js');
    assert.equal(codec.totalShards, 14);
    assert.deepEqual([0, 1, 9, 10, 11, 1 << 20].map(codec.fragmentBytes), [0, 1, 1, 1, 2, 104858]);
    assert.throws(() => codec.fragmentBytes(-1), RangeError);
    const data = pseudoRandomBytes(100, 1);
    const copy = data.slice();
    codec.encode(data);
    assert.deepEqual(data, copy);
    assert.throws(() => codec.encode('text' as unknown as Uint8Array), TypeError);
  });
});

describe('decode: any K fragments rebuild the block', () => {
  it('for every choice of K fragments, every K+M ≤ 9, both kernels', () => {
    for (const kernel of ['js', 'wasm'] as const) {
      for (let total = 1; total <= 9; total++) {
        for (let k = 1; k <= total; k++) {
          const codec = createErasureCodec({ dataShards: k, parityShards: total - k, kernel });
          const data = pseudoRandomBytes(5 * k + 3, total * 31 + k);
          const fragments = codec.encode(data);
          for (const kept of subsets(total, k)) assert.deepEqual(decodeOk(codec, keepOnly(fragments, kept), data.length), data, `K=${k} M=${total - k} kept ${kept.join(',')}`);
        }
      }
    }
  });

  it('for random erasures up to 20+10, with the WebAssembly and JavaScript paths byte-identical', () => {
    const codecs = new Map<string, [ErasureCodec, ErasureCodec]>();
    const pair = (k: number, m: number): [ErasureCodec, ErasureCodec] => {
      const key = `${k}+${m}`;
      if (!codecs.has(key)) codecs.set(key, [createErasureCodec({ dataShards: k, parityShards: m, kernel: 'wasm' }), createErasureCodec({ dataShards: k, parityShards: m, kernel: 'js' })]);
      return codecs.get(key)!;
    };
    const scenario = fc
      .record({ k: fc.integer({ min: 1, max: 20 }), m: fc.integer({ min: 0, max: 10 }), length: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 40_000 })), seed: fc.integer() })
      .chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(Array.from({ length: s.k + s.m }, (_, i) => i), { minLength: 0, maxLength: s.m })));
    fc.assert(
      fc.property(scenario, ([{ k, m, length, seed }, lost]) => {
        const [wasm, js] = pair(k, m);
        const data = pseudoRandomBytes(length, seed);
        const fragments = wasm.encode(data);
        assert.deepEqual(fragments, js.encode(data));
        const received = fragments.map((fragment, i) => (lost.includes(i) ? null : fragment));
        assert.deepEqual(decodeOk(wasm, received, length), data);
        assert.deepEqual(decodeOk(js, received, length), data);
        // Rebuilding every lost fragment in place gives back exactly what was encoded.
        const size = wasm.fragmentBytes(length);
        const shards = fragments.map((fragment, i) => (lost.includes(i) ? pseudoRandomBytes(size, i) : fragment.slice()));
        assert.deepEqual(wasm.reconstructShards(shards, shards.map((_, i) => !lost.includes(i))), { ok: true });
        assert.deepEqual(shards, fragments);
      }),
      { seed: 10, numRuns: 300 },
    );
  });

  it('odd sizes: 0 and 1 byte, around multiples of 16 and of K, across tiles', () => {
    const codec = createErasureCodec({ dataShards: 10, parityShards: 4 });
    for (const length of [0, 1, 2, 9, 10, 11, 15, 16, 17, 31, 32, 33, 159, 160, 161, 319, 321, 65_537, 100_003]) {
      const data = pseudoRandomBytes(length, length);
      const fragments = codec.encode(data);
      assert.deepEqual(decodeOk(codec, keepOnly(fragments, [1, 3, 4, 5, 6, 7, 8, 10, 12, 13]), length), data, `${length} bytes`);
      assert.deepEqual(decodeOk(codec, keepOnly(fragments, [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]), length), data, `${length} bytes, 4 data fragments lost`);
    }
  });

  it('with all data fragments present, copies them; extra parity is ignored', () => {
    const codec = createErasureCodec({ dataShards: 3, parityShards: 2 });
    const data = pseudoRandomBytes(50, 2);
    const fragments = codec.encode(data);
    assert.deepEqual(decodeOk(codec, fragments, 50), data);
    assert.deepEqual(decodeOk(codec, [fragments[0], undefined as unknown as null, fragments[2], fragments[3], fragments[4]], 50), data);
  });

  it('with no parity (M = 0) needs every fragment', () => {
    const codec = createErasureCodec({ dataShards: 4, parityShards: 0 });
    const data = pseudoRandomBytes(21, 3);
    const fragments = codec.encode(data);
    assert.equal(fragments.length, 4);
    assert.deepEqual(decodeOk(codec, fragments, 21), data);
    assert.match(decodeError(codec, [null, ...fragments.slice(1)], 21), /only 3 of 4 fragments present; 4 are needed/);
  });

  it('works at the limit K + M = 256', () => {
    const codec = createErasureCodec({ dataShards: 200, parityShards: 56 });
    const data = pseudoRandomBytes(3001, 4);
    const fragments = codec.encode(data);
    const lost = new Set(Array.from({ length: 56 }, (_, i) => i * 4));
    assert.deepEqual(decodeOk(codec, fragments.map((f, i) => (lost.has(i) ? null : f)), data.length), data);
  });
});

describe('shard-level calls on preallocated buffers', () => {
  it('encodeShards writes parity in place, as encode does', () => {
    const codec = createErasureCodec({ dataShards: 4, parityShards: 3 });
    const shards = Array.from({ length: 7 }, (_, i) => (i < 4 ? pseudoRandomBytes(333, i) : new Uint8Array(333)));
    codec.encodeShards(shards);
    const data = new Uint8Array(4 * 333);
    shards.slice(0, 4).forEach((shard, i) => data.set(shard, i * 333));
    assert.deepEqual(shards, codec.encode(data));
  });

  it('reconstructShards with dataOnly rebuilds lost data and leaves lost parity buffers untouched', () => {
    const codec = createErasureCodec({ dataShards: 4, parityShards: 3 });
    const fragments = codec.encode(pseudoRandomBytes(400, 5));
    const present = [false, true, true, false, true, false, true];
    const shards = fragments.map((fragment, i) => (present[i] ? fragment.slice() : new Uint8Array(100).fill(0xee)));
    assert.deepEqual(codec.reconstructShards(shards, present, { dataOnly: true }), { ok: true });
    assert.deepEqual(shards.slice(0, 4), fragments.slice(0, 4));
    assert.deepEqual(shards[5], new Uint8Array(100).fill(0xee));
    assert.deepEqual(codec.reconstructShards(shards, present), { ok: true });
    assert.deepEqual(shards, fragments);
  });

  it('too few present is a value; misused buffers throw RangeError', () => {
    const codec = createErasureCodec({ dataShards: 3, parityShards: 2 });
    const shards = Array.from({ length: 5 }, () => new Uint8Array(8));
    const result = codec.reconstructShards(shards, [true, false, false, true, false]);
    assert.deepEqual(result, { ok: false, error: 'only 2 of 5 shards present; 3 are needed' });
    assert.throws(() => codec.encodeShards(shards.slice(1)), { name: 'RangeError', message: 'encodeShards: expected 5 shards, got 4' });
    assert.throws(() => codec.encodeShards([...shards.slice(0, 4), new Uint8Array(9)]), { name: 'RangeError', message: 'encodeShards: shard 4 has 9 bytes, shard 0 has 8' });
    assert.throws(() => codec.reconstructShards(shards, [true, true, true]), /expected 5 present flags, got 3/);
    assert.throws(() => codec.encodeShards([...shards.slice(0, 4), null as unknown as Uint8Array]), /shard 4 is not a Uint8Array/);
  });
});

describe('bad input', () => {
  it('a bad configuration is a RangeError that says what is wrong', () => {
    const bad: [object, RegExp][] = [
      [{ dataShards: 0, parityShards: 1 }, /dataShards must be an integer ≥ 1, got 0/],
      [{ dataShards: 2.5, parityShards: 1 }, /dataShards must be an integer ≥ 1, got 2.5/],
      [{ dataShards: 4, parityShards: -1 }, /parityShards must be an integer ≥ 0, got -1/],
      [{ dataShards: 4, parityShards: Number.NaN }, /parityShards must be an integer ≥ 0, got NaN/],
      [{ dataShards: 200, parityShards: 57 }, /dataShards \+ parityShards must be at most 256 .*got 257/],
      [{ dataShards: 4, parityShards: 2, kernel: 'gpu' }, /kernel must be 'auto', 'js' or 'wasm', got gpu/],
    ];
    for (const [config, message] of bad) assert.throws(() => createErasureCodec(config as never), (error: unknown) => error instanceof RangeError && message.test(error.message));
    assert.equal(createErasureCodec({ dataShards: 1, parityShards: 255 }).totalShards, 256);
  });

  it('bad fragments are error values that say what is wrong', () => {
    const codec = createErasureCodec({ dataShards: 3, parityShards: 2 });
    const fragments = codec.encode(pseudoRandomBytes(10, 6)); // 4 bytes a fragment
    assert.match(decodeError(codec, fragments.slice(0, 4), 10), /expected 5 fragments \(null for missing ones\), got 4/);
    assert.match(decodeError(codec, 'junk' as never, 10), /expected 5 fragments .*got string/);
    assert.match(decodeError(codec, [null, null, null, fragments[3], fragments[4]], 10), /only 2 of 5 fragments present; 3 are needed/);
    assert.match(decodeError(codec, [fragments[0], fragments[1].subarray(1), null, null, fragments[4]], 10), /fragment 1 has 3 bytes; a block of 10 bytes has fragments of 4/);
    assert.match(decodeError(codec, fragments, 13), /fragment 0 has 4 bytes; a block of 13 bytes has fragments of 5/);
    assert.match(decodeError(codec, fragments, -1), /originalLength must be a non-negative integer, got -1/);
    assert.match(decodeError(codec, fragments, 2.5), /originalLength must be a non-negative integer, got 2.5/);
    assert.match(decodeError(codec, fragments, Number.POSITIVE_INFINITY), /originalLength/);
    assert.match(decodeError(codec, [fragments[0], 'abcd', fragments[2], null, null], 10), /fragment 1 is not a Uint8Array/);
    // Any length with the right fragment size is accepted: the padding is not checked (the block hash is).
    assert.equal(decodeOk(codec, fragments, 12).length, 12);
  });

  it('decode never throws on junk, and whatever it accepts has the length it was told', () => {
    const codec = createErasureCodec({ dataShards: 4, parityShards: 2 });
    const fragment = fc.oneof(fc.constant(null), fc.constant(undefined), fc.uint8Array({ maxLength: 12 }), fc.integer(), fc.string({ maxLength: 3 }));
    const junk = fc.tuple(
      fc.array(fragment, { maxLength: 8 }),
      fc.oneof(fc.integer({ min: -2, max: 50 }), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER), fc.constant(2 ** 60)),
    );
    fc.assert(
      fc.property(junk, ([fragments, length]) => {
        const result = codec.decode(fragments as (Uint8Array | null)[], length);
        if (result.ok) assert.equal(result.data.length, length);
        else assert.ok(result.error.length > 0);
      }),
      { seed: 11, numRuns: 3000 },
    );
  });
  it('decode never throws on valid fragments with random damage: dropped, resized, replaced', () => {
    const codec = createErasureCodec({ dataShards: 5, parityShards: 3 });
    const data = pseudoRandomBytes(203, 12);
    const fragments = codec.encode(data);
    const damage = fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.constantFrom('drop', 'shorten', 'lengthen', 'replace'), fc.integer()), { maxLength: 6 });
    fc.assert(
      fc.property(damage, fc.integer({ min: 195, max: 210 }), (edits, length) => {
        const received: (Uint8Array | null)[] = fragments.slice();
        for (const [index, kind, seed] of edits) {
          const fragment = received[index];
          if (kind === 'drop' || fragment === null) received[index] = null;
          else if (kind === 'shorten') received[index] = fragment.subarray(0, fragment.length - 1);
          else if (kind === 'lengthen') received[index] = pseudoRandomBytes(fragment.length + 1, seed);
          else received[index] = pseudoRandomBytes(fragment.length, seed);
        }
        const result = codec.decode(received, length);
        if (result.ok) assert.equal(result.data.length, length);
        // Only dropped fragments, at least K left and the true length: the block must come back.
        const onlyDropped = edits.every(([, kind]) => kind === 'drop') && received.filter((f) => f !== null).length >= 5;
        if (onlyDropped && length === data.length) assert.deepEqual(result.ok ? result.data : result.error, data);
      }),
      { seed: 13, numRuns: 2000 },
    );
  });
});

describe('the reconstruction matrix cache', () => {
  it('keeps at most RECONSTRUCTION_CACHE_ENTRIES_MAX patterns and returns the same matrix for a repeated one', () => {
    const cache = new ReconstructionMatrixCache(generatorMatrix(10, 4));
    const first = cache.get([0, 1, 2, 3, 4, 5, 6, 7, 8, 10], [9]);
    assert.equal(cache.get([0, 1, 2, 3, 4, 5, 6, 7, 8, 10], [9]), first);
    for (const lost of subsets(10, 3)) {
      const survivors = [...Array.from({ length: 10 }, (_, i) => i).filter((i) => !lost.includes(i)), 10, 11, 12];
      cache.get(survivors, lost);
    }
    assert.equal(cache.size, RECONSTRUCTION_CACHE_ENTRIES_MAX);
  });
});
