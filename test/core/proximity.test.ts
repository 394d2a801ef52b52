/**
 * Proximity in the kernel (issue 6): coordinates kept per contact, proximity neighbour selection
 * in full buckets, the nearest of equally good next hops in lookups, and Vivaldi samples riding on
 * a node's RPCs — and none of it when proximity is off.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClosestPeersLookup, type LookupConfig } from '../../src/core/closest-peers-lookup.ts';
import { KBucket } from '../../src/core/k-bucket.ts';
import type { Message } from '../../src/core/messages.ts';
import { RoutingTable, type RoutingTableConfig } from '../../src/core/routing-table.ts';
import { asFloat32, ORIGIN, type VivaldiCoordinate } from '../../src/core/vivaldi.ts';
import { bitsId, bitsPeer } from './helpers.ts';
import { makeNode, ofKind, randomPeers } from './node-harness.ts';
import { Prng } from '../../src/sim/prng.ts';

/** A coordinate at (x, 0) that its node is sure of: the predicted RTT between two is |x1 − x2| + 2. */
function at(x: number): VivaldiCoordinate {
  return { x, y: 0, height: 1, error: 0.125 };
}

const tableConfig: RoutingTableConfig = { k: 2, bitsPerDigit: 1, relaxedSplitting: false, failuresToEvict: 2, livenessCheckAfterMs: 1e9, replacementsMax: 4, proximity: true };

describe('KBucket coordinates', () => {
  it('keeps each contact\'s coordinate through insertions, moves and removals', () => {
    const bucket = new KBucket(0, bitsId(''), true, 0, 4, true);
    const [a, b, c] = [bitsPeer('00'), bitsPeer('01'), bitsPeer('10')];
    bucket.insert(a, 1, true, 0, 0, 0, 0, at(10));
    bucket.insert(b, 2, true, 1, 0, 0, 0, null);
    bucket.insert(c, 3, true, 0, 0, 0, 0, at(30));
    assert.deepEqual(bucket.peers, [c, a, b]);
    assert.deepEqual([0, 1, 2].map((index) => bucket.coordinateAt(index)?.x ?? null), [30, 10, null]);
    bucket.markSeen(0, 9);
    assert.deepEqual(bucket.peers, [a, b, c]);
    assert.deepEqual([0, 1, 2].map((index) => bucket.coordinateAt(index)?.x ?? null), [10, null, 30]);
    bucket.removeAt(0);
    assert.deepEqual([0, 1].map((index) => bucket.coordinateAt(index)?.x ?? null), [null, 30]);
    assert.deepEqual(bucket.info(1).coordinate, at(30));
  });

  it('keeps none without proximity', () => {
    const bucket = new KBucket(0, bitsId(''), true, 0, 4);
    bucket.insert(bitsPeer('00'), 1, true, 0, 0, 0, 0, at(10));
    assert.equal(bucket.coordinateAt(0), null);
  });
});

describe('proximity neighbour selection', () => {
  // Our id is 0…; two contacts beside it are our neighbourhood, and the bucket of ids starting
  // with 1 is off our path and holds k = 2.
  const self = bitsId('0');
  const far1 = bitsPeer('100');
  const far2 = bitsPeer('101');
  const near = bitsPeer('110');
  const estimate = (coordinate: VivaldiCoordinate | null, srttMs: number): number => (srttMs > 0 ? srttMs : coordinate === null ? Number.NaN : coordinate.x);

  function fullTable(withEstimate: boolean): RoutingTable {
    const table = new RoutingTable(self, tableConfig, 0);
    if (withEstimate) table.estimate = estimate;
    table.observe(bitsPeer('001'), 0);
    table.observe(bitsPeer('01'), 0);
    table.observe(far1, 0, 200);
    table.observe(far2, 0, 150);
    return table;
  }

  it('puts a newcomer at most half as far in place of the farthest contact, which waits in the cache', () => {
    const table = fullTable(true);
    assert.equal(table.observe(near, 1, 90), 'added');
    assert.ok(table.has(near) && table.has(far2) && !table.has(far1), 'the 200 ms contact gave way');
    // The far one comes back if the near one goes.
    table.remove(near);
    assert.ok(table.has(far1));
  });

  it('keeps the old contacts when the newcomer is not that much nearer, not measured, or proximity is off', () => {
    const notNearEnough = fullTable(true);
    assert.equal(notNearEnough.observe(near, 1, 101), 'cached');
    const unknown = fullTable(true);
    assert.equal(unknown.observe(near, 1), 'cached');
    const off = fullTable(false);
    assert.equal(off.observe(near, 1, 10), 'cached');
    // A coordinate alone is the peer's claim: it is kept, but only a measured RTT lets it in.
    const claimed = fullTable(true);
    assert.equal(claimed.observe(near, 1, undefined, at(40)), 'cached');
    assert.ok(claimed.wouldTakePlaceByProximity(bitsPeer('111'), at(40)), 'worth a ping to measure');
    assert.ok(!claimed.wouldTakePlaceByProximity(bitsPeer('111'), at(140)), 'not near enough to be worth one');
  });

  it('never chooses our own neighbourhood by proximity', () => {
    const table = new RoutingTable(self, tableConfig, 0);
    table.estimate = estimate;
    // Our only two contacts, far away in RTT, are our k = 2 closest: a near newcomer of their
    // bucket waits in the cache rather than take a neighbour's place.
    const mine = [far1, far2];
    for (const peer of mine) table.observe(peer, 0, 300);
    assert.equal(table.observe(near, 1, 5), 'cached');
    for (const peer of mine) assert.ok(table.has(peer), 'both neighbours stay');
  });
});

describe('a full bucket\'s eviction policy', () => {
  const self = bitsId('0');
  const config = { ...tableConfig, proximity: false };
  const [old1, old2, newcomer] = [bitsPeer('100'), bitsPeer('101'), bitsPeer('110')];

  it('ping-first (Kademlia) pings the least recently seen and keeps it while it answers; lru evicts it at once', () => {
    const kademlia = new RoutingTable(self, { ...config, livenessCheckAfterMs: 0 }, 0);
    for (const peer of [old1, old2]) kademlia.observe(peer, 0);
    assert.deepEqual(kademlia.observe(newcomer, 1), { check: old1 });
    kademlia.onLivenessResult(old1, true);
    assert.ok(kademlia.has(old1) && !kademlia.has(newcomer), 'the old contact answered and stays');
    const lru = new RoutingTable(self, { ...config, eviction: 'lru' }, 0);
    for (const peer of [old1, old2]) lru.observe(peer, 0);
    assert.equal(lru.observe(newcomer, 1), 'added');
    assert.ok(!lru.has(old1) && lru.has(old2) && lru.has(newcomer), 'the least recently seen went');
  });
});

describe('proximity route selection', () => {
  const self = bitsPeer('1111');
  const target = bitsId('0000');
  const config: LookupConfig = { k: 8, alpha: 1, finish: 1, queriesMax: 100, candidatesMax: 16, proximity: { bitsPerDigit: 2, neighbourhoodDepth: 6 } };

  it('asks the nearest of the candidates that share the closest one\'s leading digit', () => {
    // Distances to the target: 0011…, 0010…, 01… — the first two share digit 00, the third does not.
    const seeds = [bitsPeer('0011'), bitsPeer('0010'), bitsPeer('01')];
    const estimates = [300, 40, 5];
    const lookup = new ClosestPeersLookup(target, self, seeds, config, (index) => estimates[index]);
    assert.equal(lookup.next(0, () => 100), seeds[1], 'the 40 ms one of the two in the closest class, not the 5 ms one of a farther class');
  });

  it('asks in distance order without estimates, and for the closest q inside the neighbourhood', () => {
    const seeds = [bitsPeer('0011'), bitsPeer('0010')];
    const unknown = new ClosestPeersLookup(target, self, seeds, config);
    assert.equal(unknown.next(0, () => 100), seeds[1], 'both unknown: the closest first');
    const inside = [bitsPeer('00000011'), bitsPeer('00000010')];
    const finishing = new ClosestPeersLookup(target, self, inside, config, (index) => [5, 300][index]);
    assert.equal(finishing.next(0, () => 100), inside[1], 'the closest, which the finish rule waits for, although it is far');
  });
});

describe('Vivaldi on a node\'s RPCs', () => {
  const peers = randomPeers(3, Prng.fromSeed(5));
  const [self, other] = peers;

  function exchange(proximity: boolean): { sent: Message[]; coordinate: VivaldiCoordinate | null; contact: VivaldiCoordinate | null } {
    const node = makeNode(self, 1, { proximity });
    node.join(0, [other]);
    const [request] = ofKind(node.takeMessages(), 'findNode');
    // The peer answers after 80 ms, naming a third peer whose coordinate it knows.
    node.receive(80, other, {
      kind: 'nodes', requestId: request.message.requestId, closer: [peers[2]],
      ...(proximity ? { coordinate: at(60), closerCoordinates: [at(100)] } : {}),
    });
    return { sent: [request.message, ...node.takeMessages().map((out) => out.message)], coordinate: node.coordinate, contact: node.table.coordinateOf(peers[2]) };
  }

  it('sends its coordinate with every message, moves by each answer\'s RTT and keeps the coordinates contacts are named with', () => {
    const on = exchange(true);
    assert.ok(on.sent.every((message) => message.kind === 'leave' || 'coordinate' in message));
    assert.deepEqual(on.sent[0].kind === 'findNode' && on.sent[0].coordinate, asFloat32(ORIGIN), 'a new node starts at the origin');
    assert.notDeepEqual(on.coordinate, ORIGIN, 'the 80 ms sample moved it');
    assert.ok((on.coordinate as VivaldiCoordinate).error < 1);
    assert.deepEqual(on.contact, at(100));
  });

  it('sends and keeps nothing of the kind with proximity off', () => {
    const off = exchange(false);
    assert.ok(off.sent.every((message) => !('coordinate' in message)));
    assert.equal(off.coordinate, null);
    assert.equal(off.contact, null);
  });
});
