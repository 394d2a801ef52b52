/**
 * Shared helpers for the tests of src/core: ids written by hand, ids near a given id, and naive
 * oracles (XOR distance as a BigInt, closest-by-sorting) to check the optimised code against.
 */
import fc from 'fast-check';
import { ID_BITS, ID_BYTES, idFromBytes, idToHex, randomId, randomIdInPrefix, withBitFlipped, type Id } from '../../src/core/id.ts';
import { peerRef, type PeerRef } from '../../src/core/peer.ts';
import type { Random } from '../../src/core/random.ts';
import { Prng } from '../../src/sim/prng.ts';

/** fast-check parameters: a fixed seed so every run checks the same cases. */
export function fcOptions(seed: number, numRuns: number): fc.Parameters<unknown> {
  return { seed, numRuns };
}

export function seeded(seed: number): Prng {
  return Prng.fromSeed(seed);
}

/** An id from a hex prefix, padded with zeros: `hexId('8')` is 1000…0. */
export function hexId(prefixHex: string): Id {
  const bytes = new Uint8Array(ID_BYTES);
  const text = prefixHex.padEnd(ID_BYTES * 2, '0');
  for (let i = 0; i < ID_BYTES; i++) bytes[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return idFromBytes(bytes);
}

/** An id from leading bits written as '0'/'1', the rest `fill` (0 by default). */
export function bitsId(bits: string, fill: 0 | 1 = 0): Id {
  const bytes = new Uint8Array(ID_BYTES);
  for (let i = 0; i < ID_BITS; i++) {
    const bit = i < bits.length ? (bits[i] === '1' ? 1 : 0) : fill;
    if (bit) bytes[i >> 3] |= 1 << (7 - (i & 7));
  }
  return idFromBytes(bytes);
}

export function peerOf(id: Id, address?: string): PeerRef {
  return peerRef(id, address ?? `addr-${idToHex(id).slice(0, 8)}`);
}

export function hexPeer(prefixHex: string, address?: string): PeerRef {
  return peerOf(hexId(prefixHex), address ?? prefixHex);
}

export function bitsPeer(bits: string, address?: string): PeerRef {
  return peerOf(bitsId(bits), address ?? bits);
}

export function toBigInt(id: Id): bigint {
  let value = 0n;
  for (let i = 0; i < ID_BYTES; i++) value = (value << 8n) | BigInt(id.bytes[i]);
  return value;
}

export function xorDistance(a: Id, b: Id): bigint {
  return toBigInt(a) ^ toBigInt(b);
}

export function bitString(id: Id, length = ID_BITS): string {
  let out = '';
  for (let i = 0; i < length; i++) out += (id.bytes[i >> 3] >> (7 - (i & 7))) & 1;
  return out;
}

/** The naive answer: sort everything by XOR distance as a BigInt and take the first `count`. */
export function naiveClosest<T extends Id>(target: Id, items: readonly T[], count: number, excluded?: Id): T[] {
  const excludedHex = excluded ? idToHex(excluded) : undefined;
  return items
    .filter((item) => idToHex(item) !== excludedHex)
    .map((item) => ({ item, distance: xorDistance(item, target) }))
    .sort((a, b) => (a.distance < b.distance ? -1 : a.distance > b.distance ? 1 : 0))
    .slice(0, count)
    .map((entry) => entry.item);
}

export function hexes(ids: readonly Id[]): string[] {
  return ids.map(idToHex);
}

/** A random id sharing exactly `sharedBits` leading bits with `base` (`base` itself when 256). */
export function idSharing(base: Id, sharedBits: number, random: Random): Id {
  if (sharedBits >= ID_BITS) return idFromBytes(base.bytes.slice());
  return randomIdInPrefix(withBitFlipped(base, sharedBits), sharedBits + 1, random);
}

/**
 * A pool of distinct peers around `self`: some uniformly random, some sharing a long prefix with
 * `self` (so the buckets near our own id fill and split), a few sharing 250 bits or more (the
 * bottom of the tree), and some clustered around one random far point (so relaxed splitting has
 * work off our own path).
 */
export function peerPool(self: Id, size: number, random: Random): PeerRef[] {
  const seen = new Set<string>([idToHex(self)]);
  const out: PeerRef[] = [];
  const cluster = randomId(random);
  while (out.length < size) {
    const roll = random.nextFloat();
    let id: Id;
    if (roll < 0.4) id = randomId(random);
    else if (roll < 0.75) id = idSharing(self, Math.floor(random.nextFloat() * 24), random);
    else if (roll < 0.8) id = idSharing(self, 250 + Math.floor(random.nextFloat() * 6), random);
    else id = idSharing(cluster, 1 + Math.floor(random.nextFloat() * 16), random);
    const hex = idToHex(id);
    if (seen.has(hex)) continue;
    seen.add(hex);
    out.push(peerRef(id, `p${out.length}`));
  }
  return out;
}

/**
 * Distinct peers all near one random point (sharing 1 to 10 leading bits with it). When that point
 * is far from `self`, our k closest contacts lie off our own path, in full buckets that only relaxed
 * splitting may split: the situation §2.4 is about.
 */
export function clusterPool(self: Id, size: number, random: Random): PeerRef[] {
  const center = randomId(random);
  const seen = new Set<string>([idToHex(self)]);
  const out: PeerRef[] = [];
  while (out.length < size) {
    const id = idSharing(center, 1 + Math.floor(random.nextFloat() * 10), random);
    const hex = idToHex(id);
    if (seen.has(hex)) continue;
    seen.add(hex);
    out.push(peerRef(id, `c${out.length}`));
  }
  return out;
}

/** Ids that often share long prefixes with each other, so byte-by-byte comparisons past the head get exercised. */
export const idArbitrary: fc.Arbitrary<Id> = fc
  .tuple(
    fc.uint8Array({ minLength: ID_BYTES, maxLength: ID_BYTES }),
    fc.constantFrom(0, 1, 4, 5, 31, 32),
    fc.uint8Array({ minLength: ID_BYTES, maxLength: ID_BYTES }),
  )
  .map(([base, keep, tail]) => {
    // Half of each id comes from a small shared set of bytes, so collisions in the head are common.
    const bytes = new Uint8Array(ID_BYTES);
    for (let i = 0; i < ID_BYTES; i++) bytes[i] = i < keep ? base[i] & 0x81 : tail[i];
    return idFromBytes(bytes);
  });

/** Triples of ids sharing a random-length common prefix: the comparison is decided at any byte. */
export const relatedIdsArbitrary: fc.Arbitrary<[Id, Id, Id]> = fc
  .tuple(
    fc.uint8Array({ minLength: ID_BYTES, maxLength: ID_BYTES }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: ID_BITS }), fc.uint8Array({ minLength: ID_BYTES, maxLength: ID_BYTES })), {
      minLength: 3,
      maxLength: 3,
    }),
  )
  .map(([base, parts]) => {
    const ids = parts.map(([sharedBits, tail]) => {
      const bytes = new Uint8Array(ID_BYTES);
      for (let i = 0; i < ID_BITS; i++) {
        const source = i < sharedBits ? base : tail;
        if ((source[i >> 3] >> (7 - (i & 7))) & 1) bytes[i >> 3] |= 1 << (7 - (i & 7));
      }
      return idFromBytes(bytes);
    });
    return [ids[0], ids[1], ids[2]] as [Id, Id, Id];
  });

export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

export function bigSign(n: bigint): number {
  return n < 0n ? -1 : n > 0n ? 1 : 0;
}
