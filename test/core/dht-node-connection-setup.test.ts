/**
 * DhtConfig.connectionSetupRtts: a first request to a contact we have measured no round trip to
 * allows for the connection set-up before it counts as silent; once a round trip is measured, the
 * contact's own RTO applies. Zero (the default) changes nothing. A reply whose request had to open
 * its connection (the transport says so) is no RTT sample: not for the contact, not for Vivaldi.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomId } from '../../src/core/id.ts';
import type { Reply, Request } from '../../src/core/messages.ts';
import type { Outgoing } from '../../src/core/node-io.ts';
import type { VivaldiCoordinate } from '../../src/core/vivaldi.ts';
import { bitsPeer } from './helpers.ts';
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

  it('asks a proximity probe again when its round trip included the set-up, and lets the peer in by the second', () => {
    // Our own side holds 0100 and 0110 (our neighbourhood); the full bucket 1… holds far contacts,
    // 300 ms away. A peer named with a coordinate right beside ours is worth a probe.
    const contacts = ['1000', '1100', '1010', '0100', '0110'].map((bits) => bitsPeer(bits));
    const newcomer = bitsPeer('1110');
    const farAway: VivaldiCoordinate = { x: 300, y: 0, height: 1, error: 0.125 };
    for (const setupInRoundTrip of [true, false]) {
      const node = makeNode(bitsPeer('0000'), 5, { k: 2, bitsPerDigit: 1, relaxedSplitting: false, proximity: true, connectionSetupRtts: 4 });
      node.join(0, contacts);
      for (let round = 1; round < 50; round++) {
        const out = node.takeMessages();
        if (out.length === 0) break;
        for (const { to, message } of out) {
          const others = contacts.filter((peer) => peer !== to);
          if (message.kind === 'findNode') node.receive(300 * round, to, { kind: 'nodes', requestId: message.requestId, closer: others, coordinate: farAway, closerCoordinates: others.map(() => farAway) });
          if (message.kind === 'ping') node.receive(300 * round, to, { kind: 'pong', requestId: message.requestId, coordinate: farAway });
        }
      }
      assert.equal(node.state, 'ready');
      // The first maintenance run samples the full bucket with a FIND_NODE.
      let sample: ReturnType<typeof ofKind<'findNode'>>[number] | undefined;
      let nowMs = 0;
      while (sample === undefined && nowMs < 600_000) {
        nowMs = node.nextWakeAtMs();
        node.tick(nowMs);
        sample = ofKind(node.takeMessages(), 'findNode')[0];
      }
      assert.ok(sample, 'a proximity sample');
      const own = node.coordinate as VivaldiCoordinate;
      const beside: VivaldiCoordinate = { x: own.x, y: own.y, height: 1, error: 0.125 };
      node.receive(nowMs + 300, sample.to, { kind: 'nodes', requestId: sample.message.requestId, closer: [newcomer], coordinate: farAway, closerCoordinates: [beside] });
      const pingsTo = (): Outgoing[] => node.takeMessages().filter((out) => out.to === newcomer && out.message.kind === 'ping');
      const [probe] = pingsTo();
      assert.ok(probe, 'the newcomer is probed');
      node.receive(nowMs + 320, newcomer, { kind: 'pong', requestId: (probe.message as Request).requestId, coordinate: beside }, setupInRoundTrip);
      const again = pingsTo();
      if (setupInRoundTrip) {
        assert.equal(node.table.has(newcomer), false, 'a round trip with a dial in it proves nothing about distance');
        assert.equal(again.length, 1, 'so it is asked again, on the link now open');
        node.receive(nowMs + 340, newcomer, { kind: 'pong', requestId: (again[0].message as Request).requestId, coordinate: beside });
        assert.equal(pingsTo().length, 0, 'and only once');
      } else {
        assert.equal(again.length, 0);
      }
      assert.equal(node.table.has(newcomer), true, 'a 20 ms round trip beats 300 ms: it takes a far contact\'s place');
    }
  });
});
