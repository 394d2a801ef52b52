/**
 * The Bloom filter used to intersect posting lists (Reynolds & Vahdat, Middleware 2003): no false
 * negatives ever, a measured false-positive rate close to the one it was sized for, optimal sizing
 * within hard caps, one canonical encoding, and a decoder that never throws.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  BloomFilter,
  BloomLimits,
  expectedFalsePositiveRate,
  filterItems,
  fnv1a32,
  murmur3x86_32,
  optimalSizing,
  type BloomDecodeResult,
} from '../../../src/services/search/bloom-filter.ts';

const utf8 = new TextEncoder();

/** A seeded xorshift32, so the CID-like strings are the same on every run. */
function cidLikeStrings(count: number, seed: number): string[] {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let cid = 'bafkrei';
    for (let j = 0; j < 52; j++) cid += alphabet[next() & 31];
    out.push(cid);
  }
  return out;
}

/** Decodes `bytes`, failing the test if decoding throws, or accepts a non-canonical input, or rejects without a reason. */
function decodeChecked(bytes: Uint8Array): BloomDecodeResult {
  const result = BloomFilter.decode(bytes);
  if (result.ok) {
    assert.deepStrictEqual(result.filter.encode(), Uint8Array.from(bytes), 'an accepted input must be the canonical encoding of its filter');
  } else {
    assert.equal(typeof result.error, 'string');
    assert.ok(result.error.length > 0, 'an error must say what went wrong');
  }
  return result;
}

function header(version: number, hashes: number, bits: number): number[] {
  return [version, hashes, (bits >>> 24) & 0xff, (bits >>> 16) & 0xff, (bits >>> 8) & 0xff, bits & 0xff];
}

const itemsArbitrary = fc.array(fc.string({ unit: 'binary', maxLength: 80 }), { maxLength: 200 });

describe('bloom filter hashes', () => {
  it('FNV-1a 32 matches the published test vectors', () => {
    assert.equal(fnv1a32(utf8.encode('')), 0x811c9dc5);
    assert.equal(fnv1a32(utf8.encode('a')), 0xe40c292c);
    assert.equal(fnv1a32(utf8.encode('foobar')), 0xbf9cf968);
  });

  it('MurmurHash3 x86 32 matches the reference implementation, every tail length included', () => {
    assert.equal(murmur3x86_32(utf8.encode(''), 0), 0);
    assert.equal(murmur3x86_32(utf8.encode(''), 1), 0x514e28b7);
    assert.equal(murmur3x86_32(utf8.encode('a'), 0), 0x3c2569b2);
    assert.equal(murmur3x86_32(utf8.encode('ab'), 0), 0x9bbfd75f);
    assert.equal(murmur3x86_32(utf8.encode('abc'), 0), 0xb3dd93fa);
    assert.equal(murmur3x86_32(utf8.encode('Hello, world!'), 1234), 0xfaf6cdb3);
    assert.equal(murmur3x86_32(utf8.encode('The quick brown fox jumps over the lazy dog'), 0), 0x2e4ff723);
  });
});

describe('bloom filter sizing', () => {
  it('follows m = -n ln p / (ln 2)^2 rounded up to bytes, and k = round(m/n ln 2)', () => {
    for (const [n, p] of [[1, 0.5], [100, 0.01], [10_000, 0.01], [10_000, 0.001], [12_345, 0.05], [1_000, 1e-4]] as const) {
      const filter = BloomFilter.forItems(n, p);
      const bits = Math.max(8, Math.ceil((-n * Math.log(p)) / Math.LN2 ** 2 / 8) * 8);
      assert.equal(filter.bits, bits, `bits for n=${n} p=${p}`);
      assert.equal(filter.bits % 8, 0);
      assert.equal(filter.hashes, Math.max(1, Math.round((bits / n) * Math.LN2)), `hashes for n=${n} p=${p}`);
      assert.equal(filter.bytes, BloomLimits.headerBytes + bits / 8);
      assert.equal(filter.encode().length, filter.bytes);
      // At the optimum the expected rate is the one asked for, or lower from rounding up (much lower
      // for one item, where the 8-bit minimum dominates).
      const expected = expectedFalsePositiveRate(filter.bits, filter.hashes, n);
      assert.ok(expected <= p * 1.05, `expected rate ${expected} for p=${p}`);
      if (n >= 100) assert.ok(expected >= p * 0.7, `expected rate ${expected} for p=${p}`);
    }
    assert.deepEqual(BloomFilter.forItems(10_000, 0.01).bits, 95_856);
    assert.deepEqual(BloomFilter.forItems(10_000, 0.01).hashes, 7);
  });

  it('caps bits and hashes, so hostile sizes cannot blow memory', () => {
    const huge = BloomFilter.forItems(1_000_000_000, 1e-9);
    assert.equal(huge.bits, BloomLimits.bitsMax);
    assert.ok(huge.hashes >= 1 && huge.hashes <= BloomLimits.hashesMax);
    // Over capacity, the expected rate says so.
    assert.ok(expectedFalsePositiveRate(huge.bits, huge.hashes, 1_000_000_000) > 0.99);
    const tiny = BloomFilter.forItems(1, 1e-30);
    assert.equal(tiny.hashes, BloomLimits.hashesMax);
    assert.deepEqual(optimalSizing(0, 0.01), optimalSizing(1, 0.01), 'zero items sizes for one');
    assert.equal(BloomFilter.forItems(0, 0.01).bits, 16);
  });

  it('refuses arguments out of range', () => {
    for (const [n, p] of [[-1, 0.01], [1.5, 0.01], [Number.NaN, 0.01], [10, 0], [10, 1], [10, -0.1], [10, Number.NaN], [Infinity, 0.01]]) {
      assert.throws(() => BloomFilter.forItems(n, p), RangeError, `forItems(${n}, ${p})`);
    }
    for (const [bits, hashes] of [[0, 1], [12, 1], [16, 0], [16, 17], [BloomLimits.bitsMax + 8, 4], [16, 1.5]]) {
      assert.throws(() => BloomFilter.ofSize(bits, hashes), RangeError, `ofSize(${bits}, ${hashes})`);
    }
  });
});

describe('bloom filter membership', () => {
  it('never gives a false negative (property, arbitrary Unicode items and sizes)', () => {
    fc.assert(
      fc.property(itemsArbitrary, fc.double({ min: 1e-6, max: 0.5, noNaN: true }), (items, rate) => {
        const filter = BloomFilter.ofItems(items, rate);
        for (const item of items) assert.ok(filter.mightContain(item), `lost ${JSON.stringify(item)}`);
        const decoded = BloomFilter.decode(filter.encode());
        assert.ok(decoded.ok);
        for (const item of items) assert.ok(decoded.filter.mightContain(item));
      }),
      { numRuns: 300 },
    );
  });

  it('never gives a false negative even when far over capacity', () => {
    const filter = BloomFilter.ofSize(64, 3);
    const items = cidLikeStrings(500, 7);
    for (const item of items) filter.add(item);
    assert.ok(items.every((item) => filter.mightContain(item)));
    assert.ok(filter.mightContain('anything'), 'a saturated filter contains everything');
    assert.equal(filter.bitsSet, 64);
  });

  it('measures a false-positive rate close to the configured 1% over 100,000 non-members', () => {
    const rate = 0.01;
    for (const [label, members, others] of [
      ['CID-like', cidLikeStrings(10_000, 1), cidLikeStrings(100_000, 2)],
      ['sequential', Array.from({ length: 10_000 }, (_, i) => `doc-${i}`), Array.from({ length: 100_000 }, (_, i) => `doc-${10_000 + i}`)],
    ] as const) {
      const filter = BloomFilter.ofItems(members, rate);
      const memberSet = new Set(members);
      const nonMembers = others.filter((item) => !memberSet.has(item));
      assert.ok(nonMembers.length > 99_000);
      const falsePositives = nonMembers.filter((item) => filter.mightContain(item)).length;
      const measured = falsePositives / nonMembers.length;
      const expected = expectedFalsePositiveRate(filter.bits, filter.hashes, members.length);
      assert.ok(measured > rate / 2 && measured < rate * 2, `${label}: measured ${measured}, configured ${rate}`);
      // Binomial standard deviation at 1% over 10^5 trials is about 0.03%: allow 5 of them.
      assert.ok(Math.abs(measured - expected) < 5 * Math.sqrt((expected * (1 - expected)) / nonMembers.length), `${label}: measured ${measured}, expected ${expected}`);
    }
  });

  it('sets at most k bits per item, and none when empty', () => {
    const filter = BloomFilter.forItems(1000, 0.01);
    assert.equal(filter.bitsSet, 0);
    assert.equal(filter.mightContain(''), false);
    const items = cidLikeStrings(1000, 3);
    for (const item of items) filter.add(item);
    assert.ok(filter.bitsSet <= items.length * filter.hashes);
    // About half the bits are set at the optimum.
    assert.ok(Math.abs(filter.bitsSet / filter.bits - 0.5) < 0.05, `fill ${filter.bitsSet / filter.bits}`);
  });
});

describe('bloom filter determinism', () => {
  it('gives the same bytes for the same items, whatever their order and repetitions', () => {
    fc.assert(
      fc.property(itemsArbitrary, (items) => {
        const a = BloomFilter.ofSize(1024, 5);
        const b = BloomFilter.ofSize(1024, 5);
        for (const item of items) a.add(item);
        for (const item of [...items].reverse()) {
          b.add(item);
          b.add(item);
        }
        assert.deepStrictEqual(a.encode(), b.encode());
      }),
      { numRuns: 200 },
    );
  });

  it('gives these exact bytes for a fixed input (the hashing is part of the protocol)', () => {
    const filter = BloomFilter.ofSize(64, 3);
    for (const item of ['alpha', 'beta', 'gamma']) filter.add(item);
    const hex = Array.from(filter.encode(), (byte) => byte.toString(16).padStart(2, '0')).join('');
    assert.equal(hex.slice(0, 12), '010300000040', 'version 1, k = 3, m = 64');
    assert.equal(hex.length, 2 * (6 + 8));
    // Recomputed from the file header's definition: g_i = fmix32(fnv1a32(x)) + i * (murmur3(x, "blm2") | 1) mod m.
    const bits = new Uint8Array(8);
    for (const item of ['alpha', 'beta', 'gamma']) {
      const bytes = utf8.encode(item);
      let h = fnv1a32(bytes);
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      const h1 = h >>> 0;
      const step = (murmur3x86_32(bytes, 0x626c6d32) | 1) >>> 0;
      for (let i = 0; i < 3; i++) {
        const position = (h1 + i * step) % 64;
        bits[position >>> 3] |= 1 << (position & 7);
      }
    }
    assert.deepStrictEqual(filter.encode().subarray(6), bits);
  });
});

describe('bloom filter encoding', () => {
  it('round-trips: decode(encode(f)) answers as f does and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(itemsArbitrary, itemsArbitrary, fc.integer({ min: 1, max: 512 }), fc.integer({ min: 1, max: BloomLimits.hashesMax }), (items, probes, bytes, hashes) => {
        const filter = BloomFilter.ofSize(bytes * 8, hashes);
        for (const item of items) filter.add(item);
        const encoded = filter.encode();
        assert.equal(encoded.length, filter.bytes);
        assert.deepStrictEqual(Array.from(encoded.subarray(0, 6)), header(1, hashes, bytes * 8));
        const result = decodeChecked(encoded);
        assert.ok(result.ok);
        assert.equal(result.filter.bits, filter.bits);
        assert.equal(result.filter.hashes, filter.hashes);
        for (const probe of [...items, ...probes]) assert.equal(result.filter.mightContain(probe), filter.mightContain(probe));
      }),
      { numRuns: 300 },
    );
  });

  it('copies the bits, so reusing the input buffer does not change a decoded filter', () => {
    const filter = BloomFilter.ofItems(['x', 'y'], 0.01);
    const encoded = filter.encode();
    const result = BloomFilter.decode(encoded);
    assert.ok(result.ok);
    encoded.fill(0, 6);
    assert.ok(result.filter.mightContain('x') && result.filter.mightContain('y'));
  });

  it('rejects every kind of bad input with a reason', () => {
    const body = (bits: number) => new Array<number>(bits / 8).fill(0);
    const cases: [string, number[], RegExp][] = [
      ['empty', [], /truncated.*header/],
      ['short header', [1, 3, 0, 0], /truncated.*header/],
      ['wrong version', [...header(2, 3, 16), ...body(16)], /version 2/],
      ['version zero', [...header(0, 3, 16), ...body(16)], /version 0/],
      ['zero hashes', [...header(1, 0, 16), ...body(16)], /hash count 0/],
      ['too many hashes', [...header(1, 17, 16), ...body(16)], /hash count 17/],
      ['zero bits', header(1, 3, 0), /bit count 0/],
      ['bits not whole bytes', [...header(1, 3, 12), 0, 0], /not a whole number of bytes/],
      ['bits over the cap', [...header(1, 3, BloomLimits.bitsMax + 8), 0], /bit count 8388616 is outside/],
      ['bits 2^32-1', [...header(1, 3, 0xffffffff), 0], /bit count 4294967295 is outside/],
      ['truncated bit array', [...header(1, 3, 64), 0, 0, 0], /truncated.*64 bits need 14/],
      ['trailing bytes', [...header(1, 3, 16), 0, 0, 9, 9], /2 trailing bytes/],
    ];
    for (const [label, bytes, reason] of cases) {
      const result = decodeChecked(Uint8Array.from(bytes));
      assert.equal(result.ok, false, label);
      if (!result.ok) assert.match(result.error, reason, label);
    }
    const atCap = decodeChecked(Uint8Array.from([...header(1, 16, BloomLimits.bitsMax), ...body(BloomLimits.bitsMax)]));
    assert.ok(atCap.ok, 'the largest filter is accepted');
  });

  it('never throws on arbitrary bytes, and accepts only canonical encodings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        decodeChecked(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary bodies after a plausible header, and accepts those whose sizes agree', () => {
    // The bit count matches the body half the time, so the size checks and the accepting path are both reached.
    const input = fc
      .uint8Array({ maxLength: 300 })
      .chain((body) => fc.tuple(fc.integer({ min: 0, max: 20 }), fc.oneof(fc.constant(body.length * 8), fc.integer({ min: 0, max: 2400 }), fc.nat()), fc.constant(body)));
    fc.assert(
      fc.property(input, ([hashes, bits, body]) => {
        const result = decodeChecked(Uint8Array.from([...header(1, hashes, bits), ...body]));
        const valid = hashes >= 1 && hashes <= BloomLimits.hashesMax && bits >= 8 && bits === body.length * 8;
        assert.equal(result.ok, valid, `k=${hashes} m=${bits} body ${body.length} B`);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on valid encodings mutated, truncated or extended', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), position: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), length: fc.nat() }),
      fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    );
    fc.assert(
      fc.property(itemsArbitrary, fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 16 }), mutation, (items, bytes, hashes, change) => {
        const filter = BloomFilter.ofSize(bytes * 8, hashes);
        for (const item of items) filter.add(item);
        let encoded = filter.encode();
        if (change.kind === 'set') encoded[change.position % encoded.length] = change.byte;
        else if (change.kind === 'truncate') encoded = encoded.subarray(0, change.length % encoded.length);
        else encoded = Uint8Array.from([...encoded, ...change.extra]);
        const result = decodeChecked(encoded);
        if (change.kind !== 'set') assert.equal(result.ok, false, `${change.kind} must be refused`);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('bloom filter intersection (Reynolds & Vahdat)', () => {
  it('keeps every common item, in order, and drops most others', () => {
    fc.assert(
      fc.property(itemsArbitrary, itemsArbitrary, itemsArbitrary, (onlyA, onlyB, common) => {
        const filter = BloomFilter.ofItems([...onlyA, ...common], 0.01);
        const listB = [...onlyB, ...common];
        const kept = filterItems(listB, filter);
        const keptSet = new Set(kept);
        for (const item of common) assert.ok(keptSet.has(item), 'a common item is never dropped');
        assert.deepStrictEqual(kept, listB.filter((item) => keptSet.has(item)), 'order is kept, and only items of the list');
      }),
      { numRuns: 200 },
    );
  });

  it('answers a two-term query exactly, for far fewer bytes than shipping the posting list', () => {
    // The rarer term's holder (A) sends its filter; B returns what passes; A removes false positives.
    const shared = cidLikeStrings(200, 11);
    const listA = [...cidLikeStrings(800, 12), ...shared];
    const listB = [...cidLikeStrings(20_000, 13), ...shared];
    const filter = BloomFilter.ofItems(listA, 0.01);
    const received = BloomFilter.decode(filter.encode());
    assert.ok(received.ok);
    const candidates = filterItems(listB, received.filter);
    const setA = new Set(listA);
    const exact = candidates.filter((item) => setA.has(item));
    assert.deepStrictEqual(new Set(exact), new Set(shared));
    assert.ok(candidates.length - exact.length < 0.02 * 20_000, `false positives ${candidates.length - exact.length}`);
    const listBytes = listA.reduce((sum, cid) => sum + utf8.encode(cid).length, 0);
    assert.ok(filter.bytes * 20 < listBytes, `filter ${filter.bytes} B against list ${listBytes} B`);
  });

  it('expects no false positives of an empty filter, and more as items are added', () => {
    assert.equal(expectedFalsePositiveRate(1024, 5, 0), 0);
    let previous = 0;
    for (const items of [1, 10, 100, 1000, 10_000]) {
      const rate = expectedFalsePositiveRate(1024, 5, items);
      assert.ok(rate > previous && rate <= 1);
      previous = rate;
    }
  });
});
