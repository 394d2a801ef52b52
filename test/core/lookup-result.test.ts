/**
 * What a lookup reports (ClosestPeersLookup.result): the closest candidates without the failed
 * ones, and a candidate silent past its soft deadline only while fewer than q answered candidates
 * are closer — the very closest may just be far away, farther silent ones are most likely dead.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClosestPeersLookup } from '../../src/core/closest-peers-lookup.ts';
import type { PeerRef } from '../../src/core/peer.ts';
import { bitsId, bitsPeer } from './helpers.ts';

const target = bitsId('0000');
const self = bitsId('1111');
// p1 is closest to the target, p6 farthest.
const [p1, p2, p3, p4, p5, p6] = ['00001', '00010', '00011', '00100', '00101', '00110'].map((bits) => bitsPeer(bits, bits));

function started(finish: 'strict' | number): { lookup: ClosestPeersLookup; asked: PeerRef[] } {
  const lookup = new ClosestPeersLookup(target, self, [p1, p2, p3, p4, p5, p6], { k: 6, alpha: 6, finish, queriesMax: 100, candidatesMax: 20 });
  const asked: PeerRef[] = [];
  for (let peer = lookup.next(0, () => 100); peer !== null; peer = lookup.next(0, () => 100)) asked.push(peer);
  return { lookup, asked };
}

const names = (peers: readonly PeerRef[]): string[] => peers.map((peer) => peer.address);

describe('ClosestPeersLookup.result', () => {
  it('keeps a silent candidate closer than the q-th answer: it may be the answer, only far away', () => {
    const { lookup, asked } = started(2);
    assert.equal(asked.length, 6);
    lookup.onSuccess(p2, []);
    lookup.onSuccess(p3, []);
    lookup.next(150, () => 100); // p1, p4, p5, p6 are now past their soft deadline
    assert.equal(lookup.isFinished(), true, 'the two closest live candidates answered');
    assert.deepEqual(names(lookup.result(6)), ['00001', '00010', '00011'], 'p1 (silent, closest) stays; p4…p6 (silent, beyond two answers) go');
    assert.deepEqual(names(lookup.closestPeers(6)), ['00010', '00011'], 'closestPeers lists only live candidates');
  });

  it('drops failed candidates wherever they are', () => {
    const { lookup } = started(2);
    lookup.onFailure(p1);
    lookup.onSuccess(p2, []);
    lookup.onSuccess(p3, []);
    assert.ok(!names(lookup.result(6)).includes('00001'));
  });

  it('keeps unasked and waiting candidates, as the k closest seen', () => {
    const lookup = new ClosestPeersLookup(target, self, [p1, p2, p3, p4], { k: 4, alpha: 1, finish: 1, queriesMax: 100, candidatesMax: 20 });
    assert.equal(lookup.next(0, () => 100), p1);
    lookup.onSuccess(p1, [p5]);
    assert.deepEqual(names(lookup.result(4)), ['00001', '00010', '00011', '00100']);
  });

  it('under the strict rule, keeps silent candidates until α answers are closer', () => {
    const lookup = new ClosestPeersLookup(target, self, [p1, p2, p3, p4, p5, p6], { k: 6, alpha: 2, finish: 'strict', queriesMax: 100, candidatesMax: 20 });
    lookup.next(0, () => 100); // p1
    lookup.next(0, () => 100); // p2
    lookup.next(150, () => 100); // p1, p2 silent; p3, p4 asked
    lookup.next(150, () => 100);
    lookup.onSuccess(p3, []);
    lookup.onSuccess(p4, []);
    assert.deepEqual(names(lookup.result(6)).slice(0, 4), ['00001', '00010', '00011', '00100']);
  });
});

describe('ClosestPeersLookup.addPeers', () => {
  const config = { k: 4, alpha: 1, finish: 'strict' as const, queriesMax: 100, candidatesMax: 5 };

  it('takes an answer listed out of order (a peer may send one) exactly as the same answer sorted', () => {
    const sorted = new ClosestPeersLookup(target, self, [p6], config);
    const shuffled = new ClosestPeersLookup(target, self, [p6], config);
    sorted.addPeers([p1, p2, p3, p4, p5], 2);
    shuffled.addPeers([p4, p1, p5, p3, p2], 2);
    assert.deepEqual(names(shuffled.closestPeers(10)), names(sorted.closestPeers(10)));
    assert.deepEqual(names(sorted.closestPeers(10)), ['00001', '00010', '00011', '00100', '00101'], 'the farthest falls off a full list');
  });

  it('counts a contact listed twice in one answer once, and reports only those that made the list as new', () => {
    const lookup = new ClosestPeersLookup(target, self, [p2], config);
    const newlySeen: PeerRef[] = [];
    lookup.addPeers([p1, p1, p2, p3], 2, newlySeen);
    assert.deepEqual(names(lookup.closestPeers(10)), ['00001', '00010', '00011']);
    assert.deepEqual(names(newlySeen), ['00001', '00011']);
  });

  it('keeps the shorter referral chain of a peer it hears of again', () => {
    const lookup = new ClosestPeersLookup(target, self, [p3], config);
    lookup.addPeers([p1], 4);
    lookup.addPeers([p1], 2);
    assert.equal(lookup.next(0, () => 100), p1);
    lookup.onSuccess(p1, []);
    assert.equal(lookup.closestHop(), 2);
  });
});
