/**
 * DhtNode.undeliverable: the shell's report that a message could not be sent (a refused dial).
 * A request fails at once, as a timeout would, instead of waiting out its RTO; anything that is
 * not one of our outstanding requests to that peer is ignored.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomId } from '../../src/core/id.ts';
import type { LookupDone } from '../../src/core/node-io.ts';
import { Prng } from '../../src/sim/prng.ts';
import { makeNode, meet, ofKind, randomPeers } from './node-harness.ts';

const random = Prng.fromSeed(77);
const [self, a, b] = randomPeers(3, random);
const target = randomId(random);

describe('DhtNode.undeliverable', () => {
  it('fails a lookup request at once: the lookup moves on and ends without waiting for the RTO', () => {
    const node = makeNode(self, 1, { rtoInitialMs: 1000 });
    meet(node, [a], 0);
    node.lookup(100, target);
    const [request] = ofKind(node.takeMessages(), 'findNode');
    assert.ok(request);
    node.undeliverable(105, request.to, request.message);
    const done = node.takeEvents().find((event): event is LookupDone => event.kind === 'lookupDone');
    assert.ok(done, 'the lookup ended at the report, not at its 1,000 ms deadline');
    assert.equal(done.finishedAtMs, 105);
    assert.equal(done.failures, 1);
    assert.equal(node.stats.requestsUndeliverable, 1);
    assert.equal(node.stats.requestsTimedOut, 0);
    assert.equal(node.pendingRequestCount, 0);
    assert.equal(node.table.find(a)?.failures, 1, 'the contact is charged a failure, as for a timeout');
  });

  it('ignores replies, requests already settled, and a request reported for another peer', () => {
    const node = makeNode(self, 2);
    meet(node, [a, b], 0);
    node.lookup(100, target);
    const requests = ofKind(node.takeMessages(), 'findNode');
    assert.equal(requests.length, 2);
    const [first] = requests;
    const other = first.to === a ? b : a;
    node.undeliverable(101, other, first.message);
    node.undeliverable(101, first.to, { kind: 'pong', requestId: first.message.requestId });
    node.undeliverable(101, first.to, { kind: 'ping', requestId: first.message.requestId ^ 1 });
    assert.equal(node.stats.requestsUndeliverable, 0);
    assert.equal(node.pendingRequestCount, 2);
    node.undeliverable(102, first.to, first.message);
    node.undeliverable(103, first.to, first.message);
    assert.equal(node.stats.requestsUndeliverable, 1, 'a second report of the same request changes nothing');
    assert.equal(node.pendingRequestCount, 1);
  });

  it('after leave, reports are ignored', () => {
    const node = makeNode(self, 3);
    meet(node, [a], 0);
    node.lookup(100, target);
    const [request] = ofKind(node.takeMessages(), 'findNode');
    node.leave(150);
    node.undeliverable(160, request.to, request.message);
    assert.equal(node.stats.requestsUndeliverable, 0);
  });
});
