/**
 * DhtConfig.connectionSetupRtts: a first request to a contact we have measured no round trip to
 * allows for the connection set-up before it counts as silent; once a round trip is measured, the
 * contact's own RTO applies. Zero (the default) changes nothing. A reply whose request had to open
 * its connection (the transport says so) is no RTT sample: not for the contact, not for Vivaldi.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomId } from '../../src/core/id.ts';
import type { Reply } from '../../src/core/messages.ts';
import { Prng } from '../../src/sim/prng.ts';
import { makeNode, meet, ofKind, randomPeers, replyTo } from './node-harness.ts';

const random = Prng.fromSeed(91);
const [self, a] = randomPeers(2, random);
const target = randomId(random);

describe('DhtNode connection set-up allowance', () => {
  it('a first request\'s soft deadline is RTO + connectionSetupRtts × a typical RTT (the initial RTO before any samples)', () => {
    const node = makeNode(self, 1, { rtoInitialMs: 1000, connectionSetupRtts: 4 });
    meet(node, [a], 0);
    node.lookup(100, target);
    assert.equal(ofKind(node.takeMessages(), 'findNode').length, 1);
    assert.equal(node.nextWakeAtMs(), 100 + 1000 + 4 * 1000);
  });

  it('without the allowance (the default 0) the same request is given up at one RTO', () => {
    const node = makeNode(self, 1, { rtoInitialMs: 1000 });
    meet(node, [a], 0);
    node.lookup(100, target);
    node.takeMessages();
    assert.equal(node.nextWakeAtMs(), 100 + 1000);
  });

  it('once a round trip to the contact is measured, its own RTO applies again', () => {
    const node = makeNode(self, 2, { rtoInitialMs: 1000, rtoMinMs: 50, connectionSetupRtts: 4 });
    meet(node, [a], 0);
    node.lookup(100, target);
    const [first] = ofKind(node.takeMessages(), 'findNode');
    node.receive(180, a, replyTo(first.message));
    node.takeEvents();
    node.lookup(1000, target);
    const [second] = ofKind(node.takeMessages(), 'findNode');
    assert.ok(second);
    // SRTT 80 ms, RTTVAR 40 ms: RFC 6298's RTO is 80 + 4 × 40 = 240 ms, with no set-up added.
    assert.equal(node.nextWakeAtMs(), 1000 + 240);
  });

  it('takes no RTT sample, nor a Vivaldi move, from a round trip that included the set-up', () => {
    const far = { x: 300, y: 0, height: 10, error: 0.2 };
    for (const setupInRoundTrip of [true, false]) {
      const node = makeNode(self, 3, { rtoInitialMs: 1000, connectionSetupRtts: 4, proximity: true });
      meet(node, [a], 0);
      const before = node.coordinate;
      node.lookup(100, target);
      const [request] = ofKind(node.takeMessages(), 'findNode');
      // Five round trips of 100 ms: four for the dial, one for the request.
      node.receive(600, a, { ...replyTo(request.message), coordinate: far, closerCoordinates: [] } as Reply, setupInRoundTrip);
      assert.equal(node.table.hasRttSample(a), !setupInRoundTrip, `sample taken: ${!setupInRoundTrip}`);
      assert.equal(node.coordinate === before, setupInRoundTrip, 'Vivaldi moved only on a clean sample');
      assert.equal(node.stats.setupRoundTrips, setupInRoundTrip ? 1 : 0);
      assert.equal(node.stats.requestsAnswered, 1);
    }
  });
});
