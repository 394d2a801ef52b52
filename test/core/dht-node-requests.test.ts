/**
 * DhtNode as a server and as a client of single requests: what it answers to each request
 * (Kademlia §2.3: PING, STORE, FIND_NODE, FIND_VALUE), how it matches replies to the requests it
 * sent, and what it refuses to be configured or asked to do. One node, fed crafted messages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idFromBytes, idToHex, randomId, type Id } from '../../src/core/id.ts';
import { Limits } from '../../src/core/limits.ts';
import { StoreStatus, type Message, type Reply } from '../../src/core/messages.ts';
import type { DhtEvent, LookupDone, PeerPenalized } from '../../src/core/node-io.ts';
import { peerRef, type PeerRef } from '../../src/core/peer.ts';
import { DhtNode } from '../../src/core/dht-node.ts';
import { Prng } from '../../src/sim/prng.ts';
import { hexes, naiveClosest } from './helpers.ts';
import { bytes, config, makeNode, meet, nearId, ofKind, randomPeers, tickUntil } from './node-harness.ts';

const K = config().k;

function keyNumbered(n: number): Id {
  const raw = new Uint8Array(32);
  new DataView(raw.buffer).setUint32(28, n);
  raw[0] = 0x5a;
  return idFromBytes(raw);
}

function only<T>(items: readonly T[]): T {
  assert.equal(items.length, 1, `expected exactly one, got ${items.length}`);
  return items[0];
}

function lookupDones(events: readonly DhtEvent[]): LookupDone[] {
  return events.filter((event): event is LookupDone => event.kind === 'lookupDone');
}

function penalties(events: readonly DhtEvent[]): PeerPenalized[] {
  return events.filter((event): event is PeerPenalized => event.kind === 'peerPenalized');
}

describe('DhtNode serves requests (Kademlia §2.3)', () => {
  const [self, a, b, c, d] = randomPeers(5, Prng.fromSeed(11));

  it('answers PING with a pong that echoes the requestId, as a reply', () => {
    const node = makeNode(self, 1);
    node.receive(5, a, { kind: 'ping', requestId: 4_000_000_001 });
    assert.deepEqual(node.takeMessages(), [{ to: a, message: { kind: 'pong', requestId: 4_000_000_001 }, traffic: 'reply' }]);
    assert.equal(node.stats.requestsServed, 1);
    assert.deepEqual(node.takeEvents(), []);
  });

  it('answers FIND_NODE with at most k contacts, closest to the target first, never the requester nor itself', () => {
    const random = Prng.fromSeed(12);
    const node = makeNode(self, 2);
    const pool = randomPeers(60, random, 'p');
    meet(node, pool, 0);
    assert.ok(node.table.size > 2 * K, `the table holds ${node.table.size} contacts`);
    const stranger = randomPeers(1, random, 's')[0];
    for (let round = 0; round < 150; round++) {
      const contacts = node.table.peers();
      const requester = round % 3 === 0 ? stranger : contacts[Math.floor(random.nextFloat() * contacts.length)];
      // Sometimes the target is the requester's own id or ours, where leaving them out matters most.
      const target = round % 5 === 1 ? requester : round % 5 === 2 ? self : randomId(random);
      const expected = naiveClosest(target, contacts, K, requester);
      node.receive(round, requester, { kind: 'findNode', requestId: round, target });
      const reply = only(node.takeMessages());
      assert.equal(reply.to, requester);
      assert.equal(reply.traffic, 'reply');
      assert.equal(reply.message.kind, 'nodes');
      if (reply.message.kind !== 'nodes') return;
      assert.equal(reply.message.requestId, round);
      assert.equal(reply.message.closer.length, K);
      assert.deepEqual(hexes(reply.message.closer), hexes(expected));
      assert.ok(!reply.message.closer.some((peer) => idToHex(peer) === idToHex(requester)), 'names the requester');
      assert.ok(!reply.message.closer.some((peer) => idToHex(peer) === idToHex(self)), 'names itself');
    }
  });

  it('answers FIND_NODE with what it has when it knows fewer than k contacts (none: an empty list)', () => {
    const node = makeNode(self, 3);
    node.receive(0, a, { kind: 'findNode', requestId: 1, target: self });
    assert.deepEqual(only(node.takeMessages()).message, { kind: 'nodes', requestId: 1, closer: [] });
    node.receive(1, b, { kind: 'findNode', requestId: 2, target: b });
    const reply = only(node.takeMessages()).message;
    assert.equal(reply.kind, 'nodes');
    assert.deepEqual(reply.kind === 'nodes' ? hexes(reply.closer) : [], hexes([a]));
  });

  it('answers FIND_VALUE with the value and its remaining ttl in whole milliseconds while it holds it', () => {
    const node = makeNode(self, 4);
    meet(node, [a, b], 0);
    const key = randomId(Prng.fromSeed(13));
    node.receive(1000, a, { kind: 'store', requestId: 7, key, value: bytes('hello'), ttlMs: 10_000 });
    assert.deepEqual(only(node.takeMessages()).message, { kind: 'stored', requestId: 7, status: StoreStatus.ok });
    node.receive(3500.5, b, { kind: 'findValue', requestId: 8, key });
    const reply = only(node.takeMessages());
    assert.equal(reply.to, b);
    assert.deepEqual(reply.message, { kind: 'value', requestId: 8, value: bytes('hello'), ttlMs: 7499 });
  });

  it('answers FIND_VALUE like FIND_NODE when it does not hold the value, and once the value has expired', () => {
    const node = makeNode(self, 5);
    meet(node, [a, b, c, d], 0);
    const key = randomId(Prng.fromSeed(14));
    node.receive(100, b, { kind: 'findValue', requestId: 1, key });
    assert.deepEqual(only(node.takeMessages()).message, { kind: 'nodes', requestId: 1, closer: naiveClosest(key, [a, c, d], K) });
    node.receive(200, a, { kind: 'store', requestId: 2, key, value: bytes('v'), ttlMs: 1000 });
    node.takeMessages();
    node.receive(1199, b, { kind: 'findValue', requestId: 3, key });
    assert.equal(only(node.takeMessages()).message.kind, 'value');
    node.receive(1200, b, { kind: 'findValue', requestId: 4, key });
    const expired = only(node.takeMessages()).message;
    assert.equal(expired.kind, 'nodes');
    assert.equal(expired.kind === 'nodes' && expired.requestId, 4);
  });

  it('STORE: replies stored/ok, holds the value as a replica, and FIND_VALUE returns it; a new STORE replaces the bytes', () => {
    const node = makeNode(self, 6);
    meet(node, [a, b, c], 0);
    const key = randomId(Prng.fromSeed(15));
    node.receive(0, a, { kind: 'store', requestId: 21, key, value: bytes('one'), ttlMs: 60_000 });
    assert.deepEqual(node.takeMessages(), [{ to: a, message: { kind: 'stored', requestId: 21, status: StoreStatus.ok }, traffic: 'reply' }]);
    assert.equal(node.stats.storesAccepted, 1);
    assert.equal(node.values.get(key, 0)?.origin, 'stored');
    node.receive(10, b, { kind: 'store', requestId: 22, key, value: bytes('two'), ttlMs: 60_000 });
    node.takeMessages();
    node.receive(20, c, { kind: 'findValue', requestId: 23, key });
    const reply = only(node.takeMessages()).message;
    assert.equal(reply.kind, 'value');
    assert.deepEqual(reply.kind === 'value' && reply.value, bytes('two'));
  });

  it('STORE: refuses a value over Limits.valueBytesMax (valueTooLarge) and a ttl ≤ 0, NaN or over Limits.valueTtlMsMax (badTtl), storing nothing', () => {
    const node = makeNode(self, 7);
    const key = randomId(Prng.fromSeed(16));
    const cases: [Uint8Array, number, number][] = [
      [new Uint8Array(Limits.valueBytesMax + 1), 60_000, StoreStatus.valueTooLarge],
      [bytes('v'), 0, StoreStatus.badTtl],
      [bytes('v'), -5, StoreStatus.badTtl],
      [bytes('v'), NaN, StoreStatus.badTtl],
      [bytes('v'), Limits.valueTtlMsMax + 1, StoreStatus.badTtl],
    ];
    cases.forEach(([value, ttlMs, status], index) => {
      node.receive(index, a, { kind: 'store', requestId: index, key, value, ttlMs });
      assert.deepEqual(only(node.takeMessages()).message, { kind: 'stored', requestId: index, status }, `case ${index}`);
    });
    assert.equal(node.values.get(key, 10), undefined);
    assert.equal(node.values.size, 0);
    assert.equal(node.stats.storesRefused, cases.length);
    assert.equal(node.stats.storesAccepted, 0);
    // The limits themselves are allowed.
    node.receive(20, a, { kind: 'store', requestId: 99, key, value: new Uint8Array(Limits.valueBytesMax), ttlMs: Limits.valueTtlMsMax });
    assert.deepEqual(only(node.takeMessages()).message, { kind: 'stored', requestId: 99, status: StoreStatus.ok });
  });

  it('STORE: refuses storeFull once it holds Limits.storedValuesMax values, still refreshes a value it holds, and takes new ones once some expire', () => {
    // The node's ValueStore is not configurable, so fill the real one through its public field.
    const node = makeNode(self, 8);
    meet(node, [a], 0);
    const value = bytes('x');
    for (let i = 0; i < Limits.storedValuesMax - 1; i++) node.values.put(keyNumbered(i), value, i === 0 ? 5_000 : 3_600_000, 'stored', 0);
    node.receive(1, a, { kind: 'store', requestId: 1, key: keyNumbered(-1 >>> 0), value, ttlMs: 60_000 });
    assert.deepEqual(only(node.takeMessages()).message, { kind: 'stored', requestId: 1, status: StoreStatus.ok }, 'the last free place');
    node.receive(2, a, { kind: 'store', requestId: 2, key: keyNumbered(4_000_000), value, ttlMs: 60_000 });
    assert.deepEqual(only(node.takeMessages()).message, { kind: 'stored', requestId: 2, status: StoreStatus.storeFull });
    node.receive(3, a, { kind: 'store', requestId: 3, key: keyNumbered(7), value: bytes('new'), ttlMs: 60_000 });
    assert.deepEqual(only(node.takeMessages()).message, { kind: 'stored', requestId: 3, status: StoreStatus.ok }, 'a held key is refreshed');
    assert.equal(node.stats.storesRefused, 1);
    // keyNumbered(0) expires at 5 s, which frees one place.
    node.receive(6_000, a, { kind: 'store', requestId: 4, key: keyNumbered(4_000_000), value, ttlMs: 60_000 });
    assert.deepEqual(only(node.takeMessages()).message, { kind: 'stored', requestId: 4, status: StoreStatus.ok });
  });

  it('observes the sender of every request into its routing table, as a proven contact just seen', () => {
    const node = makeNode(self, 9);
    const key = randomId(Prng.fromSeed(17));
    const requests: [PeerRef, Message][] = [
      [a, { kind: 'ping', requestId: 1 }],
      [b, { kind: 'findNode', requestId: 2, target: key }],
      [c, { kind: 'findValue', requestId: 3, key }],
      [d, { kind: 'store', requestId: 4, key, value: bytes('v'), ttlMs: 60_000 }],
    ];
    requests.forEach(([peer, message], index) => {
      assert.equal(node.table.has(peer), false);
      node.receive(100 * (index + 1), peer, message);
      const info = node.table.find(peer);
      assert.ok(info, `${message.kind}: sender not in the table`);
      assert.equal(info.lastSeenMs, 100 * (index + 1));
      assert.equal(info.verified, true);
      assert.equal(info.failures, 0);
    });
    assert.equal(node.stats.requestsServed, 4);
    // Heard from again, a contact is seen again.
    node.receive(900, a, { kind: 'ping', requestId: 5 });
    assert.equal(node.table.find(a)?.lastSeenMs, 900);
  });

  it('ignores a message that claims to come from itself', () => {
    const node = makeNode(self, 10);
    node.receive(0, self, { kind: 'ping', requestId: 1 });
    node.receive(0, self, { kind: 'findNode', requestId: 2, target: a });
    assert.deepEqual(node.takeMessages(), []);
    assert.equal(node.table.size, 0);
    assert.equal(node.stats.requestsServed, 0);
  });
});

describe('DhtNode matches replies to the requests it sent', () => {
  const random = Prng.fromSeed(21);
  const [self, a, b, far1, far2] = randomPeers(5, random);
  const target = randomId(random);

  /** A node whose only contact is `a`, with a lookup of `target` asking `a`. */
  function askingA(mode: 'lookup' | 'get' = 'lookup'): { node: DhtNode; operationId: number; requestId: number; kind: string } {
    const node = makeNode(self, 30);
    meet(node, [a], 0);
    const operationId = mode === 'lookup' ? node.lookup(10, target) : node.get(10, target);
    const request = only(node.takeMessages());
    assert.equal(request.to, a);
    assert.ok('requestId' in request.message);
    return { node, operationId, requestId: request.message.requestId, kind: request.message.kind };
  }

  it('a correct reply from the peer asked completes the request (the control case)', () => {
    const { node, operationId, requestId } = askingA();
    node.receive(30, a, { kind: 'nodes', requestId, closer: [] });
    const done = only(lookupDones(node.takeEvents()));
    assert.equal(done.operationId, operationId);
    assert.deepEqual([done.queries, done.answers, done.failures], [1, 1, 0]);
    assert.equal(node.stats.requestsAnswered, 1);
    assert.equal(node.pendingRequestCount, 0);
    assert.equal(node.table.find(a)?.srttMs, 20, 'the round trip is measured');
  });

  it('a reply whose requestId it never sent counts in stats.repliesUnmatched and is otherwise ignored, but proves its sender alive', () => {
    const { node, requestId } = askingA();
    node.receive(20, b, { kind: 'pong', requestId: (requestId + 1) >>> 0 });
    node.receive(20, b, { kind: 'nodes', requestId: (requestId + 2) >>> 0, closer: [far1, far2] });
    assert.equal(node.stats.repliesUnmatched, 2);
    assert.deepEqual(node.takeMessages(), []);
    assert.deepEqual(node.takeEvents(), []);
    assert.equal(node.pendingRequestCount, 1, 'the real request is still waiting');
    assert.equal(node.table.find(b)?.lastSeenMs, 20, 'the sender is observed');
    assert.equal(node.table.has(far1), false, 'contacts named by an unmatched reply are not taken');
    assert.equal(node.stats.requestsAnswered, 0);
  });

  it('a late answer, after the request timed out, is unmatched too and clears the contact\'s failure', () => {
    const { node, requestId } = askingA();
    tickUntil(node, 5_000);
    assert.equal(node.stats.requestsTimedOut, 1);
    assert.equal(node.table.find(a)?.failures, 1);
    node.receive(5_001, a, { kind: 'nodes', requestId, closer: [] });
    assert.equal(node.stats.repliesUnmatched, 1);
    assert.equal(node.table.find(a)?.failures, 0);
  });

  it('a reply from a peer other than the one asked is penalized and does not complete the request', () => {
    const { node, operationId, requestId } = askingA();
    node.receive(20, b, { kind: 'nodes', requestId, closer: [far1] });
    const events = node.takeEvents();
    assert.deepEqual(lookupDones(events), []);
    const penalty = only(penalties(events));
    assert.equal(penalty.peer, b);
    assert.match(penalty.reason, /another peer/);
    assert.equal(node.stats.penalties, 1);
    assert.equal(node.pendingRequestCount, 1);
    assert.deepEqual(node.takeMessages(), [], 'the contact it named is not asked');
    // The peer asked can still answer.
    node.receive(30, a, { kind: 'nodes', requestId, closer: [] });
    const done = only(lookupDones(node.takeEvents()));
    assert.equal(done.operationId, operationId);
    assert.deepEqual([done.answers, done.failures], [1, 0]);
  });

  const wrongKinds: ['lookup' | 'get', (requestId: number) => Reply][] = [
    ['lookup', (requestId) => ({ kind: 'pong', requestId })],
    ['lookup', (requestId) => ({ kind: 'stored', requestId, status: StoreStatus.ok })],
    ['lookup', (requestId) => ({ kind: 'value', requestId, value: bytes('v'), ttlMs: 1000 })],
    ['get', (requestId) => ({ kind: 'pong', requestId })],
    ['get', (requestId) => ({ kind: 'stored', requestId, status: StoreStatus.ok })],
  ];
  for (const [mode, wrong] of wrongKinds) {
    const example = wrong(0).kind;
    it(`a reply of the wrong kind (${example} to ${mode === 'lookup' ? 'findNode' : 'findValue'}) is penalized and counts as a failure`, () => {
      const { node, operationId, requestId, kind } = askingA(mode);
      node.receive(20, a, wrong(requestId));
      const events = node.takeEvents();
      const penalty = only(penalties(events));
      assert.equal(penalty.peer, a);
      assert.ok(penalty.reason.includes(example) && penalty.reason.includes(kind), penalty.reason);
      const done = only(lookupDones(events));
      assert.equal(done.operationId, operationId);
      assert.deepEqual([done.queries, done.answers, done.failures], [1, 0, 1]);
      assert.equal(done.value, null);
      assert.equal(node.table.find(a)?.failures, 1);
      assert.equal(node.stats.requestsAnswered, 0);
      assert.equal(node.pendingRequestCount, 0);
      // The request is over: a proper answer now is unmatched.
      node.receive(30, a, { kind: 'nodes', requestId, closer: [] });
      assert.equal(node.stats.repliesUnmatched, 1);
    });
  }

  it('a nodes reply listing more than k contacts is penalized and only its first k are used', () => {
    const { node, operationId, requestId } = askingA();
    // The first k are far from the target, the rest very close: had they been used, they would be asked first.
    const listed = [...randomPeers(K, Prng.fromSeed(22), 'f'), ...[1, 2, 3].map((delta) => peerRef(nearId(target, delta), `near${delta}`))];
    node.receive(20, a, { kind: 'nodes', requestId, closer: listed });
    const events = node.takeEvents();
    const penalty = only(penalties(events));
    assert.equal(penalty.peer, a);
    assert.match(penalty.reason, /more than k/);
    const asked = ofKind(node.takeMessages(), 'findNode').map((out) => out.to.address);
    assert.ok(asked.length > 0);
    const sent = tickUntil(node, 60_000).map((entry) => entry.out.to.address);
    for (const address of [...asked, ...sent]) assert.ok(!address.startsWith('near'), `asked ${address}, beyond the first k`);
    for (const peer of listed.slice(K)) assert.equal(node.table.has(peer), false);
    const done = lookupDones([...events, ...node.takeEvents()]).find((event) => event.operationId === operationId);
    assert.ok(done);
    assert.ok(done.answers >= 1, 'the reply still counts as an answer');
    assert.ok(!done.closest.some((peer) => peer.address.startsWith('near')));
  });
});

describe('DhtNode configuration and command arguments', () => {
  const [self] = randomPeers(1, Prng.fromSeed(31));

  it('constructing with an invalid configuration throws a RangeError naming the problem', () => {
    const cases: [Parameters<typeof config>[0], RegExp][] = [
      [{ k: 0 }, /k must be an integer/],
      [{ alpha: 1.5 }, /alpha must be an integer/],
      [{ lookupFinish: 5 }, /lookupFinish must be 'strict' or an integer in 1…k/],
      [{ rtoMinMs: 6000 }, /rtoMinMs must not exceed rtoMaxMs/],
      [{ maintenanceIntervalMs: 0 }, /maintenanceIntervalMs must be a positive number/],
      [{ neighbourhoodProbeIntervalMs: -1 }, /neighbourhoodProbeIntervalMs/],
    ];
    for (const [overrides, pattern] of cases) {
      assert.throws(() => makeNode(self, 1, overrides), (error: unknown) => {
        assert.ok(error instanceof RangeError, String(error));
        assert.match(error.message, /bad DHT configuration/);
        assert.match(error.message, pattern);
        return true;
      });
    }
  });

  it('put rejects an oversized value and a ttl outside (0, Limits.valueTtlMsMax] with a RangeError, and sends nothing', () => {
    const node = makeNode(self, 2);
    meet(node, randomPeers(3, Prng.fromSeed(32), 'p'), 0);
    const key = randomId(Prng.fromSeed(33));
    assert.throws(() => node.put(0, key, new Uint8Array(Limits.valueBytesMax + 1)), RangeError);
    for (const ttlMs of [0, -1, NaN, Limits.valueTtlMsMax + 1]) {
      assert.throws(() => node.put(0, key, bytes('v'), ttlMs), RangeError, `ttl ${ttlMs}`);
    }
    assert.deepEqual(node.takeMessages(), []);
    assert.equal(node.stats.lookupsStarted, 0);
    assert.equal(node.values.size, 0);
    // The limits themselves are accepted.
    node.put(0, key, new Uint8Array(Limits.valueBytesMax), Limits.valueTtlMsMax);
    assert.ok(ofKind(node.takeMessages(), 'findNode').length > 0);
  });

  it(`refuses more than Limits.activeLookupsMax lookups at once: the extra one ends at once with an error`, () => {
    const node = makeNode(self, 3);
    meet(node, randomPeers(2, Prng.fromSeed(34), 'p'), 0);
    const random = Prng.fromSeed(35);
    for (let i = 0; i < Limits.activeLookupsMax; i++) node.lookup(0, randomId(random));
    assert.deepEqual(node.takeEvents(), []);
    node.takeMessages();
    const refused = node.lookup(0, randomId(random));
    const done = only(lookupDones(node.takeEvents()));
    assert.equal(done.operationId, refused);
    assert.match(done.error ?? '', /too many lookups/);
    assert.deepEqual(node.takeMessages(), []);
  });
});
