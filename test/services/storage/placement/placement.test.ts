/**
 * Placement: the R (or K+M) distinct nodes closest to the key by XOR distance, whatever order and
 * duplicates the lookup gives, compared against a naive oracle over random ids.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { distance, idFromBytes, idToHex } from '../../../../src/core/id.ts';
import { peerRef, type PeerRef } from '../../../../src/core/peer.ts';
import { byDistanceTo, fragmentHolders, replicaHolders } from '../../../../src/services/storage/placement/placement.ts';
import { KEY, peerAt, ranksOf } from './support.ts';

describe('replicaHolders', () => {
  it('takes the R closest, re-sorted, whatever order the lookup gave', () => {
    const placement = replicaHolders(KEY, [peerAt(9), peerAt(2), peerAt(5), peerAt(1), peerAt(7)], 3);
    assert.deepEqual(ranksOf(placement.holders), [1, 2, 5]);
    assert.equal(placement.complete, true);
    assert.equal(placement.wanted, 3);
  });

  it('counts a node listed twice once, keeping the address given first', () => {
    const placement = replicaHolders(KEY, [peerAt(3, 'first'), peerAt(1), peerAt(3, 'second'), peerAt(1, 'again')], 3);
    assert.deepEqual(ranksOf(placement.holders), [1, 3]);
    assert.equal(placement.holders[1].address, 'first');
    assert.equal(placement.complete, false);
  });

  it('says so when fewer nodes are known than copies wanted, never doubling up', () => {
    const placement = replicaHolders(KEY, [peerAt(4), peerAt(4)], 3);
    assert.deepEqual(ranksOf(placement.holders), [4]);
    assert.equal(placement.complete, false);
    assert.equal(placement.wanted, 3);
  });

  it('refuses an impossible count (a bug in the caller)', () => {
    assert.throws(() => replicaHolders(KEY, [], 0), RangeError);
  });
});

describe('fragmentHolders', () => {
  it('fragment i goes to the i-th distinct closest node', () => {
    const closest = [8, 3, 6, 1, 3, 2, 7, 5, 4].map((rank) => peerAt(rank));
    const placement = fragmentHolders(KEY, closest, 4, 2);
    assert.deepEqual(ranksOf(placement.holders), [1, 2, 3, 4, 5, 6]);
    assert.equal(placement.complete, true);
  });

  it('with fewer than K+M distinct nodes it reports the shortfall', () => {
    const placement = fragmentHolders(KEY, [peerAt(1), peerAt(2), peerAt(2)], 2, 2);
    assert.deepEqual(ranksOf(placement.holders), [1, 2]);
    assert.equal(placement.wanted, 4);
    assert.equal(placement.complete, false);
  });

  it('refuses impossible K and M', () => {
    assert.throws(() => fragmentHolders(KEY, [], 0, 1), RangeError);
    assert.throws(() => fragmentHolders(KEY, [], 1, -1), RangeError);
    assert.throws(() => fragmentHolders(KEY, [], 200, 57), RangeError);
  });
});

/** The oracle: distinct ids sorted by the XOR distance as a big-endian byte string. */
function naiveClosest(key: Uint8Array, peers: readonly PeerRef[], count: number): string[] {
  const distinct = [...new Map(peers.map((p) => [idToHex(p), p])).values()];
  const hexDistance = (p: PeerRef) => Buffer.from(distance(idFromBytes(key), p)).toString('hex');
  return distinct.sort((a, b) => (hexDistance(a) < hexDistance(b) ? -1 : 1)).slice(0, count).map(idToHex);
}

describe('placement against a naive oracle', () => {
  it('matches on random keys, ids and duplicates', () => {
    // Few distinct first bytes, so that many comparisons go past the cached head.
    const idBytes = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => { b[0] &= 1; b[1] = 0; return b; });
    fc.assert(
      fc.property(idBytes, fc.array(idBytes, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 10 }), fc.integer({ min: 1, max: 20 }), (key, ids, repeats, copies) => {
        const peers = ids.map((bytes, i) => peerRef(idFromBytes(bytes), `a${i}`));
        for (const r of repeats) if (peers.length > 0) peers.push(peers[r % peers.length]);
        const keyId = idFromBytes(key);
        const placement = replicaHolders(keyId, peers, copies);
        const expected = naiveClosest(key, peers, copies);
        assert.deepEqual(placement.holders.map(idToHex), expected);
        assert.equal(placement.complete, expected.length === copies);
        assert.equal(byDistanceTo(keyId, peers).length, new Set(peers.map(idToHex)).size);
      }),
      { seed: 41, numRuns: 400 },
    );
  });
});
