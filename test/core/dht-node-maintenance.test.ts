/**
 * DhtNode's upkeep over time: bucket refresh (Kademlia §2.3), republish and expiry (§2.5), the
 * liveness check of a full bucket (§2.2), neighbourhood probing, revival of evicted contacts, and
 * the hand-off of values to newcomers (§2.5). One real node among scripted peers on a hand network.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DhtConfig } from '../../src/core/config.ts';
import type { DhtNode } from '../../src/core/dht-node.ts';
import { bitAt, idEquals, idFromHex, idToHex, randomId, type Id } from '../../src/core/id.ts';
import type { Message, Store } from '../../src/core/messages.ts';
import { peerRef, type PeerRef } from '../../src/core/peer.ts';
import { Prng } from '../../src/sim/prng.ts';
import { idSharing, naiveClosest } from './helpers.ts';
import { bytes, config, HandNet, makeNode, meet, nearId, ofKind, randomPeers, replyTo, type Sent } from './node-harness.ts';

const MINUTE = 60_000;
const K = config().k;

/** A well-behaved peer that knows nobody: it answers every request, naming no one. */
function helpful(_from: PeerRef, message: Message): Message | null {
  switch (message.kind) {
    case 'ping':
    case 'findNode':
    case 'findValue':
    case 'store':
      return replyTo(message);
    default:
      return null;
  }
}

/**
 * One real node (joined alone at t = 0) and scripted peers: `alive` answer everything, the others
 * are dead. Every peer pings the node at `metAtMs`, so all are its proven contacts.
 */
function setup(
  self: PeerRef, alive: readonly PeerRef[], dead: readonly PeerRef[], overrides: Partial<DhtConfig>, metAtMs = 100,
): { net: HandNet; node: DhtNode } {
  const net = new HandNet(10);
  const node = net.add(makeNode(self, 7, overrides));
  net.run(node, (n, now) => n.join(now, []));
  for (const peer of alive) net.respond(peer, helpful);
  net.runUntil(metAtMs);
  for (const peer of [...alive, ...dead]) net.transmit(peer, self, { kind: 'ping', requestId: 0 });
  net.runUntil(metAtMs + 100);
  for (const peer of [...alive, ...dead]) assert.ok(node.table.has(peer));
  return { net, node };
}

function inBucket(id: Id, bucket: { readonly prefix: Id; readonly depth: number }): boolean {
  for (let bit = 0; bit < bucket.depth; bit++) if (bitAt(id, bit) !== bitAt(bucket.prefix, bit)) return false;
  return true;
}

/** When each findNode target was first asked for: the start of its lookup. */
function firstAsked(findNodes: readonly Sent[]): Map<string, number> {
  const started = new Map<string, number>();
  for (const entry of findNodes) {
    const hex = idToHex((entry.message as { target: Id }).target);
    if (!started.has(hex)) started.set(hex, entry.atMs);
  }
  return started;
}

function sentOfKind(sent: readonly Sent[], kind: Message['kind']): Sent[] {
  return sent.filter((entry) => entry.message.kind === kind);
}

function storesOf(sent: readonly Sent[], key: Id): (Sent & { message: Store })[] {
  return sent.filter((entry): entry is Sent & { message: Store } => entry.message.kind === 'store' && idEquals(entry.message.key, key));
}

describe('bucket refresh (Kademlia §2.3)', () => {
  const random = Prng.fromSeed(201);
  const self = peerRef(randomId(random), 'self');
  // Contacts at many distances, so the table has several buckets.
  const peers = [0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 8, 10].map((shared, i) => peerRef(idSharing(self, shared, random), `p${i}`));

  it('a bucket not looked up for bucketRefreshIntervalMs gets a refresh lookup (findNode of an id in its range) at the next maintenance run', () => {
    const { net, node } = setup(self, peers, [], { bucketRefreshIntervalMs: 10 * MINUTE });
    const buckets = node.table.buckets();
    assert.ok(buckets.length >= 4, `${buckets.length} buckets`);
    assert.ok(buckets.every((bucket) => bucket.lastTouchedMs <= 200));
    net.runUntil(10 * MINUTE - 1);
    assert.deepEqual(sentOfKind(net.sentBy(self), 'findNode'), [], 'a refresh before its time');
    net.runUntil(12 * MINUTE);
    const refreshes = sentOfKind(net.sentBy(self), 'findNode');
    assert.ok(refreshes.length > 0);
    // Each refresh lookup goes on asking peers as answers come; when it started is when its target was first asked for.
    const started = firstAsked(refreshes);
    assert.equal(new Set(started.values()).size, 1, 'all stale buckets are refreshed by the first maintenance run after the interval');
    assert.ok([...started.values()][0] < 11 * MINUTE);
    assert.equal(started.size, buckets.length, 'one refresh lookup per bucket');
    for (const bucket of buckets) {
      const hits = [...started.keys()].filter((hex) => inBucket(idFromHex(hex), bucket));
      assert.equal(hits.length, 1, `bucket at depth ${bucket.depth} was refreshed ${hits.length} times`);
    }
    // Refreshed buckets wait another interval.
    for (const bucket of node.table.buckets()) assert.ok(bucket.lastTouchedMs >= 10 * MINUTE);
    net.runUntil(20 * MINUTE - 1);
    assert.equal(sentOfKind(net.sentBy(self), 'findNode').length, refreshes.length);
  });

  it('at most refreshesPerMaintenanceMax refreshes start per maintenance run', () => {
    const { net, node } = setup(self, peers, [], { bucketRefreshIntervalMs: 10 * MINUTE, refreshesPerMaintenanceMax: 1 });
    const bucketCount = node.table.buckets().length;
    net.runUntil(10 * MINUTE + (bucketCount + 1) * MINUTE);
    const started = firstAsked(sentOfKind(net.sentBy(self), 'findNode'));
    const targetsByTime = new Map<number, number>();
    for (const atMs of started.values()) targetsByTime.set(atMs, (targetsByTime.get(atMs) ?? 0) + 1);
    for (const [atMs, count] of targetsByTime) assert.equal(count, 1, `${count} refreshes started at ${atMs}`);
    assert.equal(targetsByTime.size, bucketCount, 'one run per stale bucket');
  });
});

describe('republish and expiry (Kademlia §2.5)', () => {
  const random = Prng.fromSeed(211);
  const [self, ...peers] = randomPeers(9, random);
  const key = randomId(random);
  const storedAtMs = 1000;
  const storeTtlMs = 2 * 3_600_000;

  function holding(overrides: Partial<DhtConfig>): { net: HandNet; node: DhtNode } {
    const made = setup(self, peers, [], overrides);
    made.net.runUntil(storedAtMs);
    made.net.transmit(peers[0], self, { kind: 'store', requestId: 1, key, value: bytes('held'), ttlMs: storeTtlMs });
    made.net.runUntil(storedAtMs + 100);
    assert.ok(made.node.values.get(key, made.net.nowMs));
    return made;
  }

  it('a held value is republished after republishIntervalMs: a lookup of its key, then stores of its remaining ttl to the k closest', () => {
    const { net, node } = holding({ republishIntervalMs: 10 * MINUTE });
    net.runUntil(storedAtMs + 10 * MINUTE - 1);
    assert.deepEqual(storesOf(net.sentBy(self), key), []);
    net.runUntil(storedAtMs + 12 * MINUTE);
    const stores = storesOf(net.sentBy(self), key);
    assert.deepEqual(new Set(stores.map((entry) => entry.to.address)), new Set(naiveClosest(key, peers, K).map((peer) => peer.address)));
    const [first] = stores;
    assert.ok(first.atMs >= storedAtMs + 10 * MINUTE && first.atMs < storedAtMs + 11 * MINUTE + 1000, `republished at ${first.atMs}`);
    const lookups = sentOfKind(net.sentBy(self), 'findNode').filter((entry) => idEquals((entry.message as { target: Id }).target, key));
    assert.ok(lookups.length > 0 && lookups[0].atMs <= first.atMs, 'the stores follow a lookup of the key');
    for (const entry of stores) {
      assert.equal(entry.traffic, 'maintenance');
      assert.deepEqual(entry.message.value, bytes('held'));
      assert.equal(entry.message.ttlMs, Math.floor(storedAtMs + net.delayMs + storeTtlMs - entry.atMs));
    }
    assert.ok(node.values.get(key, net.nowMs));
  });

  it('a STORE received in the meantime postpones the republish by a whole interval (the §2.5 optimisation)', () => {
    const { net } = holding({ republishIntervalMs: 10 * MINUTE });
    net.runUntil(storedAtMs + 5 * MINUTE);
    net.transmit(peers[1], self, { kind: 'store', requestId: 2, key, value: bytes('held'), ttlMs: storeTtlMs });
    net.runUntil(storedAtMs + 15 * MINUTE - 1);
    assert.deepEqual(storesOf(net.sentBy(self), key), [], 'republished although refreshed');
    net.runUntil(storedAtMs + 17 * MINUTE);
    const [first] = storesOf(net.sentBy(self), key);
    assert.ok(first, 'never republished');
    assert.ok(first.atMs >= storedAtMs + 15 * MINUTE);
  });

  it('the publisher republishes its own value after publisherRepublishIntervalMs with the full ttl, renewing its copy', () => {
    const { net, node } = setup(self, peers, [], { publisherRepublishIntervalMs: 10 * MINUTE, republishIntervalMs: 60 * MINUTE });
    const published = randomId(random);
    net.run(node, (n, now) => n.put(now, published, bytes('mine'), 20 * MINUTE));
    net.runUntil(net.nowMs + 1000);
    const firstRound = storesOf(net.sentBy(self), published).length;
    assert.equal(firstRound, K);
    const putAtMs = net.nowMs;
    net.runUntil(putAtMs + 12 * MINUTE);
    const republished = storesOf(net.sentBy(self), published).slice(firstRound);
    assert.equal(republished.length, K);
    for (const entry of republished) assert.equal(entry.message.ttlMs, 20 * MINUTE);
    const republishLookup = sentOfKind(net.sentBy(self, putAtMs + 10 * MINUTE), 'findNode').find((entry) => idEquals((entry.message as { target: Id }).target, published));
    assert.ok(republishLookup);
    assert.equal(node.values.get(published, net.nowMs)?.expiresAtMs, republishLookup.atMs + 20 * MINUTE, 'the publisher\'s own copy is renewed');
  });

  it('the publisher republishes before its own copy expires when the ttl equals publisherRepublishIntervalMs (as the defaults have it, 24 h each)', () => {
    const { net, node } = setup(self, peers, [], { publisherRepublishIntervalMs: 10 * MINUTE, valueTtlMsDefault: 10 * MINUTE });
    const published = randomId(random);
    net.run(node, (n, now) => n.put(now, published, bytes('mine')));
    net.runUntil(net.nowMs + 1000);
    const firstRound = storesOf(net.sentBy(self), published).length;
    net.runUntil(net.nowMs + 12 * MINUTE);
    assert.ok(storesOf(net.sentBy(self), published).length > firstRound, 'never republished');
    assert.ok(node.values.get(published, net.nowMs), 'the publisher lost its own value');
  });

  it('expired values disappear: the maintenance run drops them and FIND_VALUE then answers with nodes', () => {
    const { net, node } = setup(self, peers, [], {});
    net.transmit(peers[0], self, { kind: 'store', requestId: 1, key, value: bytes('brief'), ttlMs: 90_000 });
    net.runUntil(1000);
    assert.equal(node.snapshot().values.length, 1);
    net.runUntil(1000 + 90_000 + 2 * MINUTE);
    assert.deepEqual(node.snapshot().values, []);
    assert.equal(node.values.size, 0);
    net.transmit(peers[1], self, { kind: 'findValue', requestId: 9, key });
    net.runUntil(net.nowMs + 100);
    const [answer] = net.sentBy(self, net.nowMs - 100).filter((entry) => entry.to === peers[1]);
    assert.equal(answer.message.kind, 'nodes');
  });
});

describe('liveness of contacts', () => {
  const random = Prng.fromSeed(221);
  const self = peerRef(randomId(random), 'self');

  /** Contacts in our half and k in the far half, whose bucket is then full and may not split. */
  function fullFarBucket(): { near: PeerRef[]; far: PeerRef[]; newcomer: PeerRef } {
    const near = [1, 2, 3, 4].map((shared, i) => peerRef(idSharing(self, shared, random), `near${i}`));
    const far = [0, 1, 2, 3].map((i) => peerRef(idSharing(self, 0, random), `far${i}`));
    return { near, far, newcomer: peerRef(idSharing(self, 0, random), 'newcomer') };
  }

  for (const answers of [false, true]) {
    it(`a newcomer to a full bucket makes the node ping the bucket's least-recently-seen contact (§2.2), which ${answers ? 'answers and stays' : 'is silent and gives way'}`, () => {
      const { near, far, newcomer } = fullFarBucket();
      const node = makeNode(self, 1, { livenessCheckAfterMs: MINUTE });
      meet(node, [...near, ...far], 0);
      node.receive(30_000, newcomer, { kind: 'ping', requestId: 1 });
      assert.deepEqual(node.takeMessages().map((out) => `${out.to.address} ${out.message.kind}`), ['newcomer pong'], 'the contacts are fresh: no check');
      assert.equal(node.table.has(newcomer), false);
      node.receive(2 * MINUTE, newcomer, { kind: 'ping', requestId: 2 });
      const out = node.takeMessages();
      const [check] = ofKind(out, 'ping');
      assert.ok(check, 'no liveness check');
      assert.equal(check.to.address, 'far0');
      if (answers) {
        node.receive(2 * MINUTE + 20, far[0], { kind: 'pong', requestId: check.message.requestId });
        assert.equal(node.table.has(far[0]), true);
        assert.equal(node.table.has(newcomer), false);
      } else {
        for (let atMs = node.nextWakeAtMs(); atMs <= 3 * MINUTE; atMs = node.nextWakeAtMs()) node.tick(atMs);
        assert.equal(node.table.has(far[0]), false);
        assert.equal(node.table.has(newcomer), true, 'the newcomer takes its place');
      }
    });
  }

  const near = [253, 252, 251, 250, 249].map((shared, i) => peerRef(idSharing(self, shared, random), `near${i}`));
  const distant = peerRef(idSharing(self, 0, random), 'distant');

  /**
   * near0 pings the node every 10 s; near1, near2 and near4 answer; near3 and `distant` are dead.
   * The k = 4 closest are near0…near3, then near4 once near3 is gone; `distant` never is.
   */
  function probing(untilMs = 150_000): { net: HandNet; node: DhtNode; advance: (untilMs: number) => void } {
    const made = setup(self, [near[0], near[1], near[2], near[4]], [near[3], distant], { neighbourhoodProbeIntervalMs: 30_000, failuresToEvict: 5 });
    let lastPingMs = 0;
    const advance = (endMs: number): void => {
      for (; lastPingMs + 10_000 <= endMs; lastPingMs += 10_000) {
        made.net.runUntil(lastPingMs + 10_000);
        made.net.transmit(near[0], self, { kind: 'ping', requestId: 0 });
      }
      made.net.runUntil(endMs);
    };
    advance(untilMs);
    return { ...made, advance };
  }

  const { requestTimeoutMinMs, requestTimeoutRtoMultiple, rtoInitialMs } = config();
  const timeoutMs = Math.max(requestTimeoutMinMs, requestTimeoutRtoMultiple * rtoInitialMs);

  it('in a quiet neighbourhood the probe interval backs off, doubling up to 16 times the configured one; a silent neighbour brings it back', () => {
    const made = setup(self, [near[0], near[1], near[2], near[4]], [], { neighbourhoodProbeIntervalMs: 30_000 });
    made.net.runUntil(2 * 60 * 60_000);
    const rounds = [...new Set(sentOfKind(made.net.sentBy(self), 'ping').filter((entry) => entry.to === near[1]).map((entry) => entry.atMs))];
    const gaps = rounds.slice(1).map((atMs, i) => atMs - rounds[i]);
    assert.ok(gaps.length >= 4, `${gaps.length} gaps`);
    gaps.slice(1).forEach((gap, i) => assert.ok(gap >= gaps[i], `the interval never shrinks while all answer: ${gaps}`));
    assert.ok(gaps.at(-1) as number >= 8 * 30_000, `backed off to ${gaps.at(-1)} ms`);
    assert.ok(gaps.every((gap) => gap <= 16 * 30_000), `never beyond 16 intervals: ${gaps}`);
    // A neighbour goes silent: the next round finds it, and the one after comes a configured interval later.
    made.net.respond(near[2], () => null);
    const silentFromMs = made.net.nowMs;
    made.net.runUntil(silentFromMs + 40 * 60_000);
    const after = [...new Set(sentOfKind(made.net.sentBy(self, silentFromMs), 'ping').filter((entry) => entry.to === near[1]).map((entry) => entry.atMs))];
    const shortGap = after.slice(1).some((atMs, i) => atMs - after[i] <= 2 * 30_000);
    assert.ok(shortGap, `probes came back to the configured pace after a silent neighbour: ${after}`);
  });

  it('the neighbourhood probe pings the k closest contacts not heard from for neighbourhoodProbeIntervalMs, and drops one that does not answer at once', () => {
    const { net, node } = probing();
    const pings = sentOfKind(net.sentBy(self), 'ping');
    const pinged = (peer: PeerRef): Sent[] => pings.filter((entry) => entry.to === peer);
    assert.deepEqual(pinged(near[0]), [], 'a neighbour heard from lately is not probed');
    assert.deepEqual(pinged(distant), [], 'a contact outside the neighbourhood is not probed');
    for (const peer of [near[1], near[2], near[3]]) {
      assert.ok(pinged(peer).length >= 1, `${peer.address} not probed`);
      assert.ok(pinged(peer)[0].atMs >= 200 + 30_000, 'probed before it was silent for an interval');
    }
    assert.equal(pinged(near[3]).length, 1);
    assert.equal(node.table.has(near[3]), false, 'silent neighbour dropped after one probe (failuresToEvict is 5)');
    for (const peer of [near[0], near[1], near[2], near[4], distant]) assert.equal(node.table.has(peer), true, peer.address);
  });

  it('a contact evicted for silence is pinged again a minute later and comes back when it answers', () => {
    const { net, node, advance } = probing(0);
    const probeOf3 = (): Sent | undefined => sentOfKind(net.sentBy(self), 'ping').find((entry) => entry.to === near[3]);
    for (let atMs = 1000; probeOf3() === undefined && atMs < 100_000; atMs += 1000) advance(atMs);
    const probe = probeOf3() as Sent;
    advance(probe.atMs + timeoutMs);
    assert.equal(node.table.has(near[3]), false, 'evicted');
    net.respond(near[3], helpful);
    advance(probe.atMs + timeoutMs + 3 * MINUTE);
    const revival = sentOfKind(net.sentBy(self, probe.atMs + 1), 'ping').find((entry) => entry.to === near[3]);
    assert.ok(revival, 'never pinged again');
    assert.ok(revival.atMs >= probe.atMs + timeoutMs + MINUTE, `pinged again at ${revival.atMs}, evicted at ${probe.atMs + timeoutMs}`);
    assert.equal(node.table.has(near[3]), true);
    assert.equal(node.table.find(near[3])?.verified, true);
  });

  it('a contact evicted for silence that stays silent is retried, backing off, for an hour, then forgotten', () => {
    const { net, node } = probing();
    const probe = sentOfKind(net.sentBy(self), 'ping').find((entry) => entry.to === near[3]) as Sent;
    net.runUntil(probe.atMs + 75 * MINUTE);
    const retries = sentOfKind(net.sentBy(self, probe.atMs + 1), 'ping').filter((entry) => entry.to === near[3]);
    assert.ok(retries.length >= 4, `${retries.length} retries`);
    assert.ok(retries.every((entry) => entry.atMs < probe.atMs + 62 * MINUTE), `still retrying at ${retries.at(-1)?.atMs}`);
    assert.ok((retries.at(-1) as Sent).atMs >= probe.atMs + 40 * MINUTE, 'gave up early');
    // Backing off: each wait is at least as long as the one before, and none exceeds 15 minutes (+ one maintenance run).
    const gaps = retries.slice(1).map((entry, i) => entry.atMs - retries[i].atMs);
    gaps.slice(1).forEach((gap, i) => assert.ok(gap >= gaps[i] - MINUTE, `gap ${gap} after ${gaps[i]}`));
    assert.ok(gaps.every((gap) => gap <= 17 * MINUTE), `gaps ${gaps}`);
    assert.equal(node.table.has(near[3]), false);
  });
});

describe('hand-off to newcomers (Kademlia §2.5)', () => {
  const random = Prng.fromSeed(231);
  const self = peerRef(randomId(random), 'self');
  const key = nearId(self, 0x10);
  const value = bytes('handed');

  /** A node holding `key`, stored at t = 0 by a contact, knowing `contacts`. */
  function holder(contacts: readonly PeerRef[]): DhtNode {
    const node = makeNode(self, 1);
    meet(node, contacts, 0);
    node.receive(0, contacts[0], { kind: 'store', requestId: 1, key, value, ttlMs: 60_000 });
    node.takeMessages();
    return node;
  }

  const farContacts = randomPeers(5, random, 'far');

  it('a new node among the k closest to a held value gets a store of it, with the remaining ttl, when we are the closest holder we know', () => {
    const node = holder(farContacts);
    const newcomer = peerRef(nearId(key, 1), 'newcomer');
    node.receive(10_000.5, newcomer, { kind: 'ping', requestId: 2 });
    const out = node.takeMessages();
    const [store] = ofKind(out, 'store');
    assert.ok(store, 'no hand-off');
    assert.equal(store.to, newcomer);
    assert.equal(store.traffic, 'maintenance');
    assert.deepEqual(store.message.key, key);
    assert.deepEqual(store.message.value, value);
    assert.equal(store.message.ttlMs, 49_999);
    // Once: the newcomer heard from again gets nothing more.
    node.receive(11_000, newcomer, { kind: 'ping', requestId: 3 });
    assert.deepEqual(ofKind(node.takeMessages(), 'store'), []);
  });

  it('no hand-off when a contact we know is closer to the value than we are (it hands off instead)', () => {
    const closer = peerRef(nearId(key, 2), 'closer');
    const node = holder([...farContacts, closer]);
    node.receive(10_000, peerRef(nearId(key, 1), 'newcomer'), { kind: 'ping', requestId: 2 });
    assert.deepEqual(ofKind(node.takeMessages(), 'store'), []);
  });

  it('no hand-off to a new node that is not among the k closest to the value', () => {
    // k contacts all closer to the key than the newcomer, though farther than us.
    const between = [0x20, 0x21, 0x22, 0x23].map((delta, i) => peerRef(nearId(self, delta), `between${i}`));
    const node = holder([...farContacts, ...between]);
    node.receive(10_000, peerRef(nearId(self, 0x80), 'newcomer'), { kind: 'ping', requestId: 2 });
    assert.deepEqual(ofKind(node.takeMessages(), 'store'), []);
  });

  it('a node first heard of through a lookup reply also gets the hand-off once it is heard from directly', () => {
    const node = holder(farContacts);
    const newcomer = peerRef(nearId(key, 1), 'newcomer');
    node.lookup(5_000, randomId(random));
    const [request] = ofKind(node.takeMessages(), 'findNode');
    node.receive(5_020, request.to, { kind: 'nodes', requestId: request.message.requestId, closer: [newcomer] });
    node.takeMessages();
    assert.equal(node.table.find(newcomer)?.verified, false);
    node.receive(10_000, newcomer, { kind: 'ping', requestId: 2 });
    assert.equal(ofKind(node.takeMessages(), 'store').length, 1, 'no hand-off');
  });

  it('does not hand a value back to the peer that has just stored it', () => {
    const node = makeNode(self, 2);
    const storer = peerRef(nearId(key, 3), 'storer');
    node.receive(0, storer, { kind: 'store', requestId: 1, key, value, ttlMs: 60_000 });
    assert.deepEqual(node.takeMessages().map((out) => out.message.kind), ['stored']);
  });
});
