/**
 * DhtNodes talking to each other: lookups, put and get, join, leave and restart, end to end on a
 * hand network of a few dozen nodes (fixed 10 ms delay, k = 4, α = 2), and once on the simulator's
 * World with the wire codec in the loop. Results are judged against a naive sort of all ids.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DhtConfig } from '../../src/core/config.ts';
import { idEquals, idToHex, randomId, type Id } from '../../src/core/id.ts';
import type { LookupDone } from '../../src/core/node-io.ts';
import { peerRef, type PeerRef } from '../../src/core/peer.ts';
import type { DhtNode } from '../../src/core/dht-node.ts';
import type { LatencyModel } from '../../src/sim/latency/model.ts';
import { defaultNetworkConfig } from '../../src/sim/network.ts';
import { Prng } from '../../src/sim/prng.ts';
import { World } from '../../src/sim/world.ts';
import { hexes, naiveClosest } from './helpers.ts';
import {
  bytes, config, HandNet, isJoined, isLookupDone, isPutDone, joinedNetwork, makeNode, meet, nearId, ofKind, randomPeers, type Sent,
} from './node-harness.ts';

const K = config().k;

function others(peers: readonly PeerRef[], self: PeerRef): PeerRef[] {
  return peers.filter((peer) => !idEquals(peer, self));
}

function runLookup(net: HandNet, node: DhtNode, target: Id): LookupDone {
  const operationId = net.run(node, (n, now) => n.lookup(now, target));
  const done = net.runUntilEvent(node, isLookupDone(operationId), net.nowMs + 60_000);
  assert.ok(done, 'the lookup never finished');
  return done;
}

function holders(nodes: readonly DhtNode[], key: Id, nowMs: number): DhtNode[] {
  return nodes.filter((node) => node.values.get(key, nowMs) !== undefined);
}

describe('lookups end to end (Kademlia §2.3)', () => {
  it('find the true k closest nodes, with a sensible report (hops, queries, answers, failures, times)', () => {
    const { net, nodes, peers } = joinedNetwork(30, 5);
    const random = Prng.fromSeed(51);
    for (let i = 0; i < 15; i++) {
      const node = nodes[Math.floor(random.nextFloat() * nodes.length)];
      // Random targets, and targets next to a node (which a lookup must find, not skip).
      const target = i % 3 === 0 ? nearId(peers[(i * 7) % peers.length], 1) : randomId(random);
      const startedAtMs = net.nowMs;
      const done = runLookup(net, node, target);
      assert.deepEqual(hexes(done.closest), hexes(naiveClosest(target, others(peers, node.self), K)), `lookup ${i}`);
      assert.equal(done.startedAtMs, startedAtMs);
      assert.ok(done.finishedAtMs >= startedAtMs + 2 * net.delayMs, 'at least one round trip');
      assert.ok(done.finishedAtMs < startedAtMs + config().lookupDurationMaxMs);
      assert.ok(done.hops >= 1 && done.hops <= 6, `hops ${done.hops}`);
      assert.ok(done.answers >= 1 && done.answers <= done.queries, `${done.answers} answers to ${done.queries} queries`);
      assert.ok(done.answers >= K, 'strict: the k closest all answered');
      assert.equal(done.failures, 0);
      assert.ok(done.queries <= config().lookupQueriesMax);
      assert.equal(done.value, null);
      assert.equal(done.error, null);
    }
    assert.deepEqual(net.wakeInPast, []);
  });

  it('both finish rules work: strict certifies all k, a number q certifies the closest q and costs fewer queries', () => {
    const random = Prng.fromSeed(52);
    const targets = Array.from({ length: 12 }, () => randomId(random));
    const run = (lookupFinish: DhtConfig['lookupFinish']): LookupDone[] => {
      // Joins use maintenanceLookupFinish, so both networks are built alike.
      const { net, nodes } = joinedNetwork(30, 6, { lookupFinish });
      return targets.map((target, i) => runLookup(net, nodes[(i * 5) % nodes.length], target));
    };
    const { peers } = joinedNetwork(30, 6);
    const strict = run('strict');
    const confirmed = run(1);
    let strictQueries = 0;
    let confirmedQueries = 0;
    targets.forEach((target, i) => {
      const asker = peers[(i * 5) % peers.length];
      const expected = naiveClosest(target, others(peers, asker), K);
      assert.deepEqual(hexes(strict[i].closest), hexes(expected), `strict ${i}`);
      assert.equal(idToHex(confirmed[i].closest[0]), idToHex(expected[0]), `q = 1, lookup ${i}: the closest`);
      assert.ok(confirmed[i].answers >= 1);
      strictQueries += strict[i].queries;
      confirmedQueries += confirmed[i].queries;
    });
    assert.ok(confirmedQueries < strictQueries, `q = 1 sent ${confirmedQueries} queries, strict ${strictQueries}`);
  });

  it('on the simulator World (wire codec in the loop), 50 nodes find the true closest', () => {
    const constant: LatencyModel = { name: 'constant', place: () => ({ host: 0, accessMs: 5, latitude: NaN, longitude: NaN }), rttMs: () => 24 };
    const world = new World({ seed: 53, dht: config(), latency: constant, network: defaultNetworkConfig, wire: true });
    const found: LookupDone[] = [];
    world.onNodeEvent = (_node, event) => {
      if (event.kind === 'lookupDone') found.push(event);
    };
    for (let i = 0; i < 50; i++) {
      const node = world.createNode();
      world.start(node, i === 0 ? [] : [world.nodes[0].peer]);
      world.runUntil(world.nowMs + 300);
    }
    world.runUntil(world.nowMs + 10_000);
    assert.ok(world.nodes.every((node) => node.joined));
    const peers = world.nodes.map((node) => node.peer);
    const random = world.stream(1);
    const asked: [PeerRef, Id][] = [];
    for (let i = 0; i < 20; i++) {
      const node = world.nodes[Math.floor(random.nextFloat() * world.nodes.length)];
      const target = randomId(random);
      asked.push([node.peer, target]);
      world.lookup(node, target);
      world.runUntil(world.nowMs + 5_000);
    }
    assert.equal(found.length, asked.length);
    found.forEach((done, i) => {
      const [asker, target] = asked[i];
      assert.deepEqual(hexes(done.closest), hexes(naiveClosest(target, others(peers, asker), K)), `lookup ${i}`);
    });
    assert.equal(world.traffic.undecodable, 0);
  });
});

describe('put and get end to end (Kademlia §2.3, §2.5)', () => {
  it('put stores at the k closest nodes and counts them in putDone; get from another node finds the value', () => {
    const { net, nodes, peers } = joinedNetwork(30, 7);
    const random = Prng.fromSeed(71);
    for (let round = 0; round < 4; round++) {
      const key = round === 3 ? nearId(peers[3], 9) : randomId(random);
      const publisher = nodes[round === 3 ? 3 : (round * 11 + 2) % nodes.length];
      const startedAtMs = net.nowMs;
      const operationId = net.run(publisher, (n, now) => n.put(now, key, bytes(`value ${round}`), 600_000));
      const done = net.runUntilEvent(publisher, isPutDone(operationId), net.nowMs + 60_000);
      assert.ok(done);
      assert.equal(done.startedAtMs, startedAtMs);
      assert.deepEqual([done.refused, done.failed], [0, 0]);
      // The replicas are the k closest other nodes; the publisher keeps its own copy and counts
      // itself only when it is one of the k closest.
      const replicas = naiveClosest(key, others(peers, publisher.self), K);
      const publisherIsClose = naiveClosest(key, peers, K).some((peer) => idEquals(peer, publisher.self));
      if (round === 3) assert.ok(publisherIsClose, 'round 3 publishes next to itself');
      assert.deepEqual(
        new Set(holders(nodes, key, net.nowMs).filter((node) => node !== publisher).map((node) => idToHex(node.self))),
        new Set(hexes(replicas)),
        `round ${round}`,
      );
      assert.equal(publisher.values.get(key, net.nowMs)?.origin, 'published');
      assert.equal(done.stored, K + (publisherIsClose ? 1 : 0), `round ${round}: stored`);
      // A get from a node that holds nothing finds it.
      const asker = nodes.find((node) => node.values.get(key, net.nowMs) === undefined) as DhtNode;
      const getId = net.run(asker, (n, now) => n.get(now, key));
      const got = net.runUntilEvent(asker, isLookupDone(getId), net.nowMs + 60_000);
      assert.ok(got);
      assert.deepEqual(got.value, bytes(`value ${round}`));
      assert.ok(got.hops >= 1);
      assert.equal(got.error, null);
    }
  });

  it('a get of a value the node holds returns at once, with hops 0 and no message sent', () => {
    const { net, nodes } = joinedNetwork(12, 8);
    const key = randomId(Prng.fromSeed(81));
    const publisher = nodes[4];
    net.runUntilEvent(publisher, isPutDone(net.run(publisher, (n, now) => n.put(now, key, bytes('here')))), net.nowMs + 60_000);
    net.runUntil(net.nowMs + 1000);
    for (const holder of holders(nodes, key, net.nowMs)) {
      const nowMs = net.nowMs;
      const operationId = holder.get(nowMs, key);
      assert.deepEqual(holder.takeMessages(), []);
      const [done] = holder.takeEvents();
      assert.deepEqual(done, {
        kind: 'lookupDone', operationId, target: key, closest: [], hops: 0, queries: 0, answers: 0, failures: 0,
        startedAtMs: nowMs, finishedAtMs: nowMs, value: bytes('here'), error: null,
      });
    }
  });

  it('get caches the value at the closest node that answered without it (§2.3), which then holds and serves it', () => {
    // B knows two non-holders C1 (closer to the key) and C2; they know the holder X; B does not.
    const random = Prng.fromSeed(91);
    const key = randomId(random);
    const x = peerRef(nearId(key, 1), 'X');
    const c1 = peerRef(nearId(key, 0x40), 'C1');
    const c2 = peerRef(nearId(key, 0x80), 'C2');
    const [b, o1, o2] = randomPeers(3, random, 'o');
    const net = new HandNet(10);
    const node = (peer: PeerRef, seed: number, known: PeerRef[]): DhtNode => {
      const created = net.add(makeNode(peer, seed));
      meet(created, known, 0);
      return created;
    };
    const nodeX = node(x, 1, [c1, c2, o1, o2]);
    const nodeC1 = node(c1, 2, [x, c2, o1, o2]);
    const nodeC2 = node(c2, 3, [x, c1, o1, o2]);
    node(o1, 4, [x, c1, c2, o2]);
    node(o2, 5, [x, c1, c2, o1]);
    const nodeB = node(b, 6, [c1, c2]);
    nodeX.values.put(key, bytes('cached'), 3_600_000, 'stored', 0);
    net.runUntil(1000);
    const operationId = net.run(nodeB, (n, now) => n.get(now, key));
    const done = net.runUntilEvent(nodeB, isLookupDone(operationId), 60_000);
    assert.ok(done);
    assert.deepEqual(done.value, bytes('cached'));
    const cacheStores = net.sentBy(b).filter((sent) => sent.message.kind === 'store');
    assert.equal(cacheStores.length, 1);
    assert.equal(cacheStores[0].to.address, 'C1', 'the closest node that answered without the value');
    const ttlMs = cacheStores[0].message.kind === 'store' ? cacheStores[0].message.ttlMs : NaN;
    assert.ok(ttlMs >= 60_000 && ttlMs < 3_600_000 - 1000, `cached for ${ttlMs} ms`);
    net.runUntil(net.nowMs + 100);
    const cached = nodeC1.values.get(key, net.nowMs);
    assert.ok(cached, 'C1 holds the cached copy');
    assert.deepEqual(cached.value, bytes('cached'));
    assert.ok(cached.expiresAtMs <= net.nowMs + ttlMs);
    assert.equal(nodeC2.values.get(key, net.nowMs), undefined);
  });

  it('in a joined network (50 nodes, k = 3, α = 1), a get caches its value at the closest node that answered it without the value', () => {
    const { net, nodes } = joinedNetwork(50, 9, { k: 3, alpha: 1 });
    const random = Prng.fromSeed(92);
    let cachedSomewhere = 0;
    for (let round = 0; round < 10; round++) {
      const key = randomId(random);
      const publisher = nodes[round];
      net.runUntilEvent(publisher, isPutDone(net.run(publisher, (n, now) => n.put(now, key, bytes('v'), 3_600_000))), net.nowMs + 60_000);
      const asker = nodes.filter((node) => node.values.get(key, net.nowMs) === undefined)[round * 3];
      const sinceMs = net.nowMs;
      const got = net.runUntilEvent(asker, isLookupDone(net.run(asker, (n, now) => n.get(now, key))), net.nowMs + 60_000);
      assert.ok(got);
      assert.deepEqual(got.value, bytes('v'));
      net.runUntil(net.nowMs + 100);
      const toAsker = net.sent.filter((sent) => sent.atMs >= sinceMs && sent.to === asker.self && sent.message.kind === 'nodes');
      const answeredBefore = toAsker.filter((sent) => sent.atMs + net.delayMs < got.finishedAtMs).map((sent) => sent.from);
      const answeredAtTheEnd = toAsker.filter((sent) => sent.atMs + net.delayMs === got.finishedAtMs).map((sent) => sent.from);
      const stores = net.sentBy(asker.self, sinceMs).filter((sent) => sent.message.kind === 'store');
      assert.ok(stores.length <= 1);
      for (const store of stores) {
        cachedSomewhere++;
        assert.equal(store.traffic, 'user');
        if (answeredAtTheEnd.length === 0) {
          assert.equal(store.to.address, naiveClosest(key, answeredBefore, 1)[0].address, 'the closest that answered without the value');
        } else {
          assert.ok([...answeredBefore, ...answeredAtTheEnd].some((peer) => peer.address === store.to.address));
        }
        assert.ok(net.nodes.get(store.to.address)?.values.get(key, net.nowMs), 'which then holds it');
      }
      if (stores.length === 0) assert.deepEqual(answeredBefore, [], 'someone answered without the value, yet nothing was cached');
    }
    assert.ok(cachedSomewhere >= 2, `only ${cachedSomewhere} gets cached their value`);
  });
});

describe('join (Kademlia §2.3)', () => {
  it('with no bootstrap peer completes at once: joined with 0 contacts, state ready, nothing sent', () => {
    const [self] = randomPeers(1, Prng.fromSeed(101));
    const node = makeNode(self, 1);
    assert.equal(node.state, 'idle');
    const operationId = node.join(250, []);
    assert.deepEqual(node.takeEvents(), [{ kind: 'joined', operationId, startedAtMs: 250, finishedAtMs: 250, contacts: 0 }]);
    assert.equal(node.state, 'ready');
    assert.deepEqual(node.takeMessages(), []);
  });

  for (const joinRefresh of ['lookups', 'requests'] as const) {
  it(`through one bootstrap peer (refresh by ${joinRefresh}): emits joined, ends with its neighbourhood as contacts, and the others learn of it`, () => {
    const { net, nodes, peers } = joinedNetwork(30, 10, { joinRefresh });
    const [newcomer] = randomPeers(1, Prng.fromSeed(102), 'new');
    const node = net.add(makeNode(newcomer, 99, { joinRefresh }, net.nowMs));
    const startedAtMs = net.nowMs;
    const operationId = net.run(node, (n, now) => n.join(now, [peers[17]]));
    assert.equal(node.state, 'joining');
    const joined = net.runUntilEvent(node, isJoined(operationId), net.nowMs + 60_000);
    assert.ok(joined, 'never joined');
    assert.equal(node.state, 'ready');
    assert.equal(joined.startedAtMs, startedAtMs);
    assert.ok(joined.finishedAtMs > startedAtMs);
    assert.equal(joined.contacts, node.table.size);
    assert.ok(joined.contacts >= 2 * K, `${joined.contacts} contacts`);
    // It knows its own neighbourhood (the self-lookup's result) ...
    for (const peer of naiveClosest(newcomer, peers, K)) assert.ok(node.table.has(peer), 'misses one of its k closest');
    // ... and its neighbours, and the bootstrap, know it.
    // (The bootstrap peer need not keep it: a full bucket prefers its old contacts, §2.2.)
    const knowers = nodes.filter((other) => other.table.has(newcomer));
    for (const peer of naiveClosest(newcomer, peers, K)) {
      assert.ok(net.nodes.get(peer.address)?.table.has(newcomer), `neighbour ${peer.address} does not know the newcomer`);
    }
    assert.ok(knowers.length >= K);
    // It is found by lookups.
    assert.equal(idToHex(runLookup(net, nodes[3], nearId(newcomer, 1)).closest[0]), idToHex(newcomer));
  });
  }

  it('refreshing by requests sends one FIND_NODE per bucket beyond the neighbourhood after the self-lookup, and fills more of the table than lookups do', () => {
    const sizes: Record<string, number> = {};
    const refreshRequests: Record<string, number> = {};
    for (const joinRefresh of ['lookups', 'requests'] as const) {
      const { net, peers } = joinedNetwork(60, 12, { joinRefresh, bitsPerDigit: 2 });
      const [newcomer] = randomPeers(1, Prng.fromSeed(104), 'new');
      const node = net.add(makeNode(newcomer, 98, { joinRefresh, bitsPerDigit: 2 }, net.nowMs));
      const sentBefore = net.sent.length;
      const operationId = net.run(node, (n, now) => n.join(now, [peers[5]]));
      const joined = net.runUntilEvent(node, isJoined(operationId), net.nowMs + 60_000);
      assert.ok(joined, `never joined (${joinRefresh})`);
      sizes[joinRefresh] = joined.contacts;
      refreshRequests[joinRefresh] = net.sent.slice(sentBefore).filter((sent) => idEquals(sent.from, newcomer) && sent.message.kind === 'findNode').length;
      for (const peer of naiveClosest(newcomer, peers, K)) assert.ok(node.table.has(peer), `${joinRefresh}: misses one of its k closest`);
    }
    assert.ok(refreshRequests.requests < refreshRequests.lookups, `requests ${refreshRequests.requests}, lookups ${refreshRequests.lookups}`);
    assert.ok(sizes.requests >= sizes.lookups, `contacts: requests ${sizes.requests}, lookups ${sizes.lookups}`);
  });

  it('refreshing by requests: a refresh request that goes unanswered is replaced by a lookup, and the join still completes', () => {
    const { net, peers } = joinedNetwork(30, 13, { joinRefresh: 'requests' });
    const [newcomer] = randomPeers(1, Prng.fromSeed(105), 'new');
    const node = net.add(makeNode(newcomer, 97, { joinRefresh: 'requests' }, net.nowMs));
    // Half the network goes silent just after the self-lookup starts: some refresh requests meet the dead.
    const operationId = net.run(node, (n, now) => n.join(now, [peers[3]]));
    net.runUntil(net.nowMs + 15);
    for (const peer of peers.slice(15)) net.nodes.delete(peer.address);
    const joined = net.runUntilEvent(node, isJoined(operationId), net.nowMs + 120_000);
    assert.ok(joined, 'never joined');
    assert.equal(node.state, 'ready');
    assert.ok(node.stats.requestsTimedOut > 0, 'no request met a dead peer: the test proves nothing');
  });

  it('refreshing by requests: a silent contact is replaced by the next nearest one, request by request, before any lookup', () => {
    const { net, peers } = joinedNetwork(30, 13, { joinRefresh: 'requests' });
    const [newcomer] = randomPeers(1, Prng.fromSeed(105), 'new');
    const node = net.add(makeNode(newcomer, 97, { joinRefresh: 'requests' }, net.nowMs));
    const sentBefore = net.sent.length;
    const operationId = net.run(node, (n, now) => n.join(now, [peers[3]]));
    net.runUntil(net.nowMs + 15);
    const dead = new Set(peers.slice(15).map((peer) => peer.address));
    for (const address of dead) net.nodes.delete(address);
    assert.ok(net.runUntilEvent(node, isJoined(operationId), net.nowMs + 120_000), 'never joined');
    // The newcomer's FIND_NODEs for each refresh target (its own id is the self-lookup's), in order.
    const byTarget = new Map<string, Sent[]>();
    for (const sent of net.sent.slice(sentBefore)) {
      if (!idEquals(sent.from, newcomer) || sent.message.kind !== 'findNode' || idEquals(sent.message.target, newcomer)) continue;
      const key = idToHex(sent.message.target);
      byTarget.set(key, [...(byTarget.get(key) ?? []), sent]);
    }
    let retried = 0;
    for (const requests of byTarget.values()) {
      if (!dead.has(requests[0].to.address) || requests.length < 2) continue;
      const [first, second] = requests;
      if (second.atMs === first.atMs) continue;
      retried++;
      assert.notEqual(second.to.address, first.to.address, 'the next attempt goes to another contact');
      assert.equal(requests.filter((sent) => sent.atMs === second.atMs).length, 1, 'one request, not a lookup of α');
    }
    assert.ok(retried > 0, 'no refresh request met a dead contact: the test proves nothing');
  });

  it('through a dead bootstrap peer still completes, with no live contact', () => {
    const [self, ghost] = randomPeers(2, Prng.fromSeed(103));
    const net = new HandNet(10);
    const node = net.add(makeNode(self, 1));
    const operationId = net.run(node, (n, now) => n.join(now, [ghost]));
    const joined = net.runUntilEvent(node, isJoined(operationId), 60_000);
    assert.ok(joined);
    // The lone bootstrap request is waited for until it fails (nobody else to ask), no longer.
    const { rtoInitialMs, requestTimeoutMinMs, requestTimeoutRtoMultiple } = config();
    assert.ok(joined.finishedAtMs <= Math.max(requestTimeoutMinMs, requestTimeoutRtoMultiple * rtoInitialMs) + 20);
    assert.equal(node.state, 'ready');
  });
});

describe('leave', () => {
  it('sends leave to every contact and hands each held value to its closest contacts with a store of the remaining ttl', () => {
    const random = Prng.fromSeed(111);
    const [self, ...pool] = randomPeers(12, random);
    const node = makeNode(self, 1);
    meet(node, pool, 0);
    const keys = [randomId(random), randomId(random)];
    keys.forEach((key, i) => node.receive(100, pool[i], { kind: 'store', requestId: i, key, value: bytes(`v${i}`), ttlMs: 10_000 }));
    node.takeMessages();
    node.leave(2_500.5);
    const out = node.takeMessages();
    assert.deepEqual(new Set(ofKind(out, 'leave').map((sent) => sent.to.address)), new Set(node.table.peers().map((peer) => peer.address)));
    assert.ok(ofKind(out, 'leave').every((sent) => sent.traffic === 'maintenance'));
    const stores = ofKind(out, 'store');
    keys.forEach((key, i) => {
      const forKey = stores.filter((sent) => idEquals(sent.message.key, key));
      assert.deepEqual(forKey.map((sent) => sent.to.address), node.table.closest(key, K).map((peer) => peer.address));
      for (const sent of forKey) {
        assert.deepEqual(sent.message.value, bytes(`v${i}`));
        assert.equal(sent.message.ttlMs, 7599);
      }
    });
    assert.equal(out.length, node.table.size + keys.length * K);
    assert.equal(node.state, 'left');
    assert.equal(node.nextWakeAtMs(), Infinity);
  });

  it('a node receiving leave drops the sender from its table at once, and answers nothing', () => {
    const [self, a, b, stranger] = randomPeers(4, Prng.fromSeed(112));
    const node = makeNode(self, 1);
    meet(node, [a, b], 0);
    node.receive(10, a, { kind: 'leave' });
    node.receive(10, stranger, { kind: 'leave' });
    assert.equal(node.table.has(a), false);
    assert.equal(node.table.has(b), true);
    assert.equal(node.table.has(stranger), false, 'a leave does not add its sender');
    assert.deepEqual(node.takeMessages(), []);
  });

  it('a node that has left ignores all input, its commands throw, and leaving again does nothing', () => {
    const [self, a] = randomPeers(2, Prng.fromSeed(113));
    const node = makeNode(self, 1);
    meet(node, [a], 0);
    node.join(0, []);
    node.leave(10);
    node.takeMessages();
    node.takeEvents();
    const served = node.stats.requestsServed;
    node.receive(20, a, { kind: 'ping', requestId: 1 });
    node.receive(20, a, { kind: 'findNode', requestId: 2, target: a });
    node.receive(20, a, { kind: 'pong', requestId: 3 });
    node.tick(1_000_000);
    assert.deepEqual(node.takeMessages(), []);
    assert.deepEqual(node.takeEvents(), []);
    assert.equal(node.stats.requestsServed, served);
    assert.equal(node.stats.repliesUnmatched, 0);
    for (const command of [
      () => node.join(30, [a]), () => node.lookup(30, a), () => node.get(30, a), () => node.put(30, a, bytes('v')),
    ]) {
      assert.throws(command, /left/);
    }
    node.leave(40);
    assert.deepEqual(node.takeMessages(), []);
    assert.equal(node.state, 'left');
  });

  it('end to end: the leaver\'s contacts forget it and its values stay findable', () => {
    const { net, nodes, peers } = joinedNetwork(30, 12);
    const leaver = nodes[8];
    const key = nearId(leaver.self, 3);
    net.runUntilEvent(nodes[20], isPutDone(net.run(nodes[20], (n, now) => n.put(now, key, bytes('stays'), 3_600_000))), net.nowMs + 60_000);
    assert.ok(leaver.values.get(key, net.nowMs), 'the leaver is a replica');
    const contacts = leaver.table.peers();
    net.run(leaver, (n, now) => n.leave(now));
    net.runUntil(net.nowMs + 1000);
    for (const contact of contacts) assert.equal(net.nodes.get(contact.address)?.table.has(leaver.self), false, `${contact.address} still lists the leaver`);
    const remaining = nodes.filter((node) => node !== leaver);
    const closestRemaining = naiveClosest(key, others(peers, leaver.self), K);
    for (const peer of closestRemaining) assert.ok(net.nodes.get(peer.address)?.values.get(key, net.nowMs), `${peer.address} does not hold the value`);
    const asker = remaining.find((node) => node.values.get(key, net.nowMs) === undefined) as DhtNode;
    const got = net.runUntilEvent(asker, isLookupDone(net.run(asker, (n, now) => n.get(now, key))), net.nowMs + 60_000);
    assert.deepEqual(got?.value, bytes('stays'));
  });
});

describe('snapshot and restart', () => {
  const random = Prng.fromSeed(121);
  const [self, other, ...pool] = randomPeers(10, random);

  it('snapshot() has the identity, the contacts and the held values with their expiry, ttl and origin', () => {
    const node = makeNode(self, 1);
    meet(node, pool, 0);
    const stored = randomId(random);
    node.receive(100, pool[0], { kind: 'store', requestId: 1, key: stored, value: bytes('s'), ttlMs: 50_000 });
    const snapshot = node.snapshot();
    assert.equal(snapshot.self, self);
    assert.deepEqual(new Set(hexes(snapshot.contacts)), new Set(hexes(node.table.peers())));
    assert.ok(snapshot.contacts.length >= K);
    assert.deepEqual(snapshot.values, [{ key: stored, value: bytes('s'), expiresAtMs: 50_100, ttlMs: 50_000, origin: 'stored' }]);
  });

  it('a node built from its snapshot keeps its contacts and unexpired values, and serves them', () => {
    const key = randomId(random);
    const gone = randomId(random);
    const before = makeNode(self, 2);
    meet(before, pool, 0);
    const contacts = before.snapshot().contacts;
    const snapshot = {
      self,
      contacts,
      values: [
        { key, value: bytes('kept'), expiresAtMs: 90_000, ttlMs: 80_000, origin: 'stored' as const },
        { key: gone, value: bytes('gone'), expiresAtMs: 30_000, ttlMs: 20_000, origin: 'stored' as const },
      ],
    };
    const node = makeNode(self, 2, {}, 40_000, snapshot);
    assert.equal(node.state, 'idle');
    assert.deepEqual(new Set(hexes(node.table.peers())), new Set(hexes(contacts)));
    assert.equal(node.values.get(key, 40_000)?.expiresAtMs, 90_000);
    assert.equal(node.values.get(gone, 40_000), undefined, 'expired while down');
    node.receive(41_000, other, { kind: 'findValue', requestId: 5, key });
    assert.deepEqual(node.takeMessages()[0].message, { kind: 'value', requestId: 5, value: bytes('kept'), ttlMs: 49_000 });
  });

  it('constructing with another node\'s snapshot throws', () => {
    assert.throws(() => makeNode(self, 3, {}, 0, { self: other, contacts: [], values: [] }), RangeError);
  });

  it('a restored publisher keeps its value\'s original ttlMs, which republish renews', () => {
    const key = randomId(random);
    const snapshot = { self, contacts: [], values: [{ key, value: bytes('mine'), expiresAtMs: 5 * 3_600_000, ttlMs: 10 * 3_600_000, origin: 'published' as const }] };
    const node = makeNode(self, 4, {}, 0, snapshot);
    const [held] = node.values.heldValues();
    assert.equal(held.origin, 'published');
    assert.equal(held.ttlMs, 10 * 3_600_000);
  });

  it('end to end: a crashed node restarted from its snapshot rejoins with join(nowMs, []), keeps its values, and is found again', () => {
    const { net, nodes, peers } = joinedNetwork(30, 13);
    const restarting = nodes[11];
    const key = nearId(restarting.self, 5);
    net.runUntilEvent(nodes[2], isPutDone(net.run(nodes[2], (n, now) => n.put(now, key, bytes('durable'), 3_600_000))), net.nowMs + 60_000);
    assert.ok(restarting.values.get(key, net.nowMs));
    const snapshot = restarting.snapshot();
    net.crash(restarting);
    net.runUntil(net.nowMs + 120_000);
    const restarted = net.add(makeNode(restarting.self, 1234, {}, net.nowMs, snapshot));
    assert.equal(restarted.table.size, snapshot.contacts.length);
    assert.deepEqual(restarted.values.get(key, net.nowMs)?.value, bytes('durable'));
    const operationId = net.run(restarted, (n, now) => n.join(now, []));
    const joined = net.runUntilEvent(restarted, isJoined(operationId), net.nowMs + 60_000);
    assert.ok(joined);
    assert.ok(joined.contacts >= 2 * K);
    for (const peer of naiveClosest(restarting.self, others(peers, restarting.self), K)) {
      assert.ok(net.nodes.get(peer.address)?.table.has(restarting.self), `${peer.address} does not know the restarted node`);
    }
    const done = runLookup(net, nodes[25], nearId(restarting.self, 1));
    assert.equal(idToHex(done.closest[0]), idToHex(restarting.self));
    assert.deepEqual(net.wakeInPast, []);
  });
});
