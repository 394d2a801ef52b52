import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  bitAt, commonPrefixLength, compareDistance, compareIds, distance, ID_BITS, ID_BYTES, idEquals, idFromBytes, idFromHex,
  idShort, idToHex, isIdHex, randomId, randomIdInPrefix, withBitFlipped,
} from '../../src/core/id.ts';
import { peerFromBytes, peerLabel, peerRef } from '../../src/core/peer.ts';
import {
  bigSign, bitString, bitsId, fcOptions, hexId, idArbitrary, relatedIdsArbitrary, seeded, sign, toBigInt, xorDistance,
} from './helpers.ts';

const anyId = fc.oneof(idArbitrary, fc.uint8Array({ minLength: 32, maxLength: 32 }).map(idFromBytes));

describe('the XOR metric (§2.1)', () => {
  it('compareDistance agrees with comparing d(x, y) = x ⊕ y as 256-bit integers', () => {
    fc.assert(
      fc.property(relatedIdsArbitrary, ([target, a, b]) => {
        const expected = bigSign(xorDistance(a, target) - xorDistance(b, target));
        assert.equal(sign(compareDistance(target, a, b)), expected);
        assert.equal(sign(compareDistance(target, b, a)), -expected);
      }),
      fcOptions(0x1d01, 400),
    );
    fc.assert(
      fc.property(anyId, anyId, anyId, (target, a, b) => {
        assert.equal(sign(compareDistance(target, a, b)), bigSign(xorDistance(a, target) - xorDistance(b, target)));
      }),
      fcOptions(0x1d02, 300),
    );
  });

  it('d(x, x) = 0 and d(x, y) > 0 for x ≠ y: compareDistance is zero only for the same id', () => {
    fc.assert(
      fc.property(relatedIdsArbitrary, ([target, a, b]) => {
        assert.equal(compareDistance(target, a, idFromBytes(a.bytes.slice())), 0);
        assert.equal(compareDistance(target, a, b) === 0, idEquals(a, b));
        assert.ok(compareDistance(target, target, a) <= 0);
      }),
      fcOptions(0x1d03, 300),
    );
  });

  it('is unidirectional: for a point x and distance Δ there is exactly one y with d(x, y) = Δ', () => {
    fc.assert(
      fc.property(relatedIdsArbitrary, ([x, y, z]) => {
        // d(x, y) = d(x, z) implies y = z.
        assert.equal(xorDistance(x, y) === xorDistance(x, z), idEquals(y, z));
      }),
      fcOptions(0x1d04, 300),
    );
  });

  it('distance returns the XOR of the bytes, and is symmetric', () => {
    fc.assert(
      fc.property(anyId, anyId, (a, b) => {
        const d = distance(a, b);
        assert.deepEqual(d, distance(b, a));
        let value = 0n;
        for (const byte of d) value = (value << 8n) | BigInt(byte);
        assert.equal(value, xorDistance(a, b));
      }),
      fcOptions(0x1d05, 200),
    );
  });
});

describe('id ordering and equality', () => {
  it('compareIds orders ids as unsigned big-endian integers', () => {
    fc.assert(
      fc.property(relatedIdsArbitrary, ([a, b]) => {
        assert.equal(sign(compareIds(a, b)), bigSign(toBigInt(a) - toBigInt(b)));
      }),
      fcOptions(0x1d06, 400),
    );
  });

  it('idEquals compares bytes, not objects, and ignores a PeerRef address', () => {
    fc.assert(
      fc.property(relatedIdsArbitrary, ([a, b]) => {
        assert.equal(idEquals(a, b), toBigInt(a) === toBigInt(b));
        assert.ok(idEquals(a, idFromBytes(a.bytes.slice())));
        assert.ok(idEquals(peerRef(a, 'x'), peerRef(idFromBytes(a.bytes.slice()), 'y')));
      }),
      fcOptions(0x1d07, 300),
    );
  });

  it('idEquals tells apart ids that differ only in the last bit or only in the head', () => {
    const a = hexId('ff');
    assert.equal(idEquals(a, withBitFlipped(a, 255)), false);
    assert.equal(idEquals(a, withBitFlipped(a, 0)), false);
    assert.equal(idEquals(a, withBitFlipped(a, 31)), false);
    assert.equal(idEquals(a, withBitFlipped(a, 32)), false);
  });
});

describe('prefixes and bits', () => {
  it('commonPrefixLength counts the leading bits two ids share (256 when equal)', () => {
    fc.assert(
      fc.property(relatedIdsArbitrary, ([a, b]) => {
        const sa = bitString(a);
        const sb = bitString(b);
        let expected = 0;
        while (expected < ID_BITS && sa[expected] === sb[expected]) expected++;
        assert.equal(commonPrefixLength(a, b), expected);
        assert.equal(commonPrefixLength(a, a), ID_BITS);
      }),
      fcOptions(0x1d08, 400),
    );
  });

  it('commonPrefixLength at every position: flipping bit i leaves exactly i shared bits', () => {
    const random = seeded(8);
    const id = randomId(random);
    for (let i = 0; i < ID_BITS; i++) assert.equal(commonPrefixLength(id, withBitFlipped(id, i)), i, `bit ${i}`);
  });

  it('bitAt reads bit i counting from the most significant bit of byte 0, in the head and past it', () => {
    fc.assert(
      fc.property(anyId, (id) => {
        const bits = bitString(id);
        for (let i = 0; i < ID_BITS; i++) assert.equal(bitAt(id, i), Number(bits[i]));
      }),
      fcOptions(0x1d09, 50),
    );
    assert.equal(bitAt(bitsId('1'), 0), 1);
    assert.equal(bitAt(hexId('00000001'), 31), 1);
    assert.equal(bitAt(hexId('0000000080'), 32), 1);
  });

  it('withBitFlipped flips exactly one bit and leaves the original untouched', () => {
    fc.assert(
      fc.property(anyId, fc.integer({ min: 0, max: ID_BITS - 1 }), (id, index) => {
        const before = toBigInt(id);
        const flipped = withBitFlipped(id, index);
        assert.equal(toBigInt(flipped), before ^ (1n << BigInt(ID_BITS - 1 - index)));
        assert.equal(toBigInt(id), before);
        assert.equal(flipped.head, ((flipped.bytes[0] << 24) | (flipped.bytes[1] << 16) | (flipped.bytes[2] << 8) | flipped.bytes[3]) >>> 0);
      }),
      fcOptions(0x1d0a, 300),
    );
  });
});

describe('hex and bytes', () => {
  it('idFromHex and idToHex round-trip, and accept upper case', () => {
    fc.assert(
      fc.property(anyId, (id) => {
        const hex = idToHex(id);
        assert.match(hex, /^[0-9a-f]{64}$/);
        assert.ok(idEquals(idFromHex(hex), id));
        assert.ok(idEquals(idFromHex(hex.toUpperCase()), id));
        assert.equal(idFromHex(hex).head, id.head);
        assert.equal(idShort(id), hex.slice(0, 8));
      }),
      fcOptions(0x1d0b, 200),
    );
  });

  it('idFromHex rejects anything but 64 hex digits with a RangeError', () => {
    const good = 'ab'.repeat(32);
    for (const bad of ['', good.slice(1), `${good}0`, `${good.slice(0, 63)}g`, ` ${good.slice(1)}`, `${good.slice(1)}\n`, `0x${good.slice(2)}`]) {
      assert.equal(isIdHex(bad), false, JSON.stringify(bad));
      assert.throws(() => idFromHex(bad), RangeError, JSON.stringify(bad));
    }
    assert.equal(isIdHex(good), true);
  });

  it('idFromBytes requires exactly 32 bytes and caches the head big-endian', () => {
    assert.throws(() => idFromBytes(new Uint8Array(31)), RangeError);
    assert.throws(() => idFromBytes(new Uint8Array(33)), RangeError);
    const id = hexId('fedcba98');
    assert.equal(id.head, 0xfedcba98);
    assert.equal(ID_BYTES, 32);
  });

  it('a PeerRef is its id plus an address', () => {
    const bytes = hexId('0123456789').bytes;
    const peer = peerFromBytes(bytes, 'host-7');
    assert.equal(peer.head, 0x01234567);
    assert.equal(peer.address, 'host-7');
    assert.equal(peerLabel(peer), '01234567@host-7');
    assert.throws(() => peerFromBytes(new Uint8Array(3), 'x'), RangeError);
  });
});

describe('random ids (§2.3, bucket refresh picks a random id in the bucket range)', () => {
  it('randomIdInPrefix keeps exactly the first prefixBits bits, for every prefix length 0…256', () => {
    const random = seeded(11);
    for (let bits = 0; bits <= ID_BITS; bits++) {
      const prefix = randomId(random);
      const opposite = idFromBytes(prefix.bytes.map((byte) => byte ^ 0xff));
      for (const source of [prefix, opposite]) {
        const id = randomIdInPrefix(source, bits, random);
        assert.ok(commonPrefixLength(id, source) >= bits, `prefix ${bits}`);
        assert.equal(bitString(id, bits), bitString(source, bits));
      }
    }
  });

  it('randomIdInPrefix takes every bit after the prefix from the random stream (the same bits randomId draws)', () => {
    fc.assert(
      fc.property(anyId, fc.integer({ min: 0, max: ID_BITS }), fc.nat(), (prefix, bits, seed) => {
        const drawn = randomId(seeded(seed));
        const id = randomIdInPrefix(prefix, bits, seeded(seed));
        const expected = bitString(prefix, bits) + bitString(drawn).slice(bits);
        assert.equal(bitString(id), expected);
        assert.equal(id.head, idFromHex(idToHex(id)).head);
      }),
      fcOptions(0x1d0c, 300),
    );
  });

  it('randomIdInPrefix is uniform after the prefix: each free bit is 1 about half the time', () => {
    const random = seeded(12);
    const prefix = randomId(random);
    for (const bits of [0, 5, 8, 13, 31, 32, 200, 255]) {
      const ones = new Array<number>(ID_BITS).fill(0);
      const samples = 400;
      for (let s = 0; s < samples; s++) {
        const id = randomIdInPrefix(prefix, bits, random);
        for (let i = bits; i < ID_BITS; i++) ones[i] += bitAt(id, i);
      }
      for (let i = bits; i < ID_BITS; i++) {
        // Binomial(400, 1/2): mean 200, sd 10; 6 sd either way.
        assert.ok(ones[i] > 140 && ones[i] < 260, `prefix ${bits}, bit ${i}: ${ones[i]}/${samples}`);
      }
    }
  });
});
