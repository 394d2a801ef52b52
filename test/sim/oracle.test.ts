/**
 * The oracle judges every simulated lookup, so it must be exactly right: its k closest must be
 * those of a plain sort of all live ids by XOR distance, whatever ids join and leave — including
 * ids that share their first 32 bits, where its search by id heads has to hand over to the sort.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareDistance, idEquals, idFromBytes, type Id } from '../../src/core/id.ts';
import { peerRef, type PeerRef } from '../../src/core/peer.ts';
import { Oracle } from '../../src/sim/oracle.ts';

function naiveClosest(live: readonly PeerRef[], target: Id, count: number, excluded?: Id): PeerRef[] {
  return live
    .filter((peer) => !(excluded && idEquals(peer, excluded)))
    .sort((a, b) => compareDistance(target, a, b))
    .slice(0, count);
}

/** Ids from a few 32-bit heads, so that many share the head and differ only further on. */
const idBytes = fc.tuple(fc.constantFrom(0, 0x7fffffff, 0x80000000, 0xffffffff, 0x12345678), fc.uint8Array({ minLength: 28, maxLength: 28 }), fc.boolean())
  .map(([head, rest, randomHead]) => {
    const bytes = new Uint8Array(32);
    new DataView(bytes.buffer).setUint32(0, randomHead ? (rest[0] * 0x1000193) >>> 0 : head);
    bytes.set(rest, 4);
    return bytes;
  });

describe('Oracle', () => {
  it('returns the k closest live ids of a plain sort, through joins and departures', () => {
    fc.assert(
      fc.property(
        fc.array(idBytes, { minLength: 1, maxLength: 120 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.array(idBytes, { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 25 }),
        (joined, leaving, targets, count) => {
          const oracle = new Oracle();
          const peers = joined.map((bytes, index) => peerRef(idFromBytes(bytes), String(index)));
          for (const peer of peers) oracle.add(peer);
          const gone = new Set(leaving.map((index) => index % peers.length));
          for (const index of gone) oracle.remove(peers[index]);
          const live: PeerRef[] = [];
          // An id is live unless some copy of it left; the oracle keeps the first copy added.
          for (let index = 0; index < peers.length; index++) {
            const sameId = (other: number): boolean => idEquals(peers[other], peers[index]);
            if ([...gone].some(sameId) || live.some((peer) => idEquals(peer, peers[index]))) continue;
            live.push(peers[index]);
          }
          assert.equal(oracle.size, live.length);
          for (const bytes of targets) {
            const target = idFromBytes(bytes);
            const expected = naiveClosest(live, target, count).map((peer) => peer.address);
            assert.deepEqual(oracle.closest(target, count).map((peer) => peer.address), expected);
            const excluded = live[bytes[5] % live.length];
            if (excluded !== undefined) {
              assert.deepEqual(
                oracle.closest(target, count, excluded).map((peer) => peer.address),
                naiveClosest(live, target, count, excluded).map((peer) => peer.address),
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
