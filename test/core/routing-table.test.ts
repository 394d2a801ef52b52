import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { commonPrefixLength, ID_BITS, idEquals, idToHex, randomId, withBitFlipped, type Id } from '../../src/core/id.ts';
import type { PeerRef } from '../../src/core/peer.ts';
import { peerRef } from '../../src/core/peer.ts';
import { RoutingTable, type Bucket, type ContactInfo, type ObserveOutcome, type RoutingTableConfig } from '../../src/core/routing-table.ts';
import { addRttSample, retransmissionTimeoutMs, type RttSample } from '../../src/core/rtt-estimator.ts';
import { bitsId, bitsPeer, bitString, clusterPool, fcOptions, hexes, idSharing, peerOf, peerPool, seeded, toBigInt } from './helpers.ts';

// ---- oracles and invariants --------------------------------------------------------------------

const bigOf = new WeakMap<Id, bigint>();
function big(id: Id): bigint {
  let value = bigOf.get(id);
  if (value === undefined) {
    value = toBigInt(id);
    bigOf.set(id, value);
  }
  return value;
}

const hexOf = new WeakMap<Id, string>();
function hex(id: Id): string {
  let value = hexOf.get(id);
  if (value === undefined) {
    value = idToHex(id);
    hexOf.set(id, value);
  }
  return value;
}

/** Naive k closest by XOR distance as BigInt, over everything `peers()` returns. */
function naive(target: Id, items: readonly PeerRef[], count: number, excluded?: Id): PeerRef[] {
  const t = big(target);
  const ex = excluded ? big(excluded) : -1n;
  return items
    .filter((item) => big(item) !== ex)
    .map((item) => ({ item, d: big(item) ^ t }))
    .sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : 0))
    .slice(0, Math.max(0, count))
    .map((entry) => entry.item);
}

/** Whether the first `bits` bits of `id` are those of `prefix` (BigInt shifts, cached per id object). */
function inPrefix(id: Id, prefix: Id, bits: number): boolean {
  const shift = BigInt(ID_BITS - bits);
  return big(id) >> shift === big(prefix) >> shift;
}

function bucketOf(table: RoutingTable, id: Id): Bucket {
  const found = table.buckets().filter((bucket) => inPrefix(id, bucket.prefix, bucket.depth));
  if (found.length !== 1) assert.fail(`${found.length} buckets cover ${idToHex(id).slice(0, 8)}`);
  return found[0];
}

function roundUpToMultiple(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

interface KnownBugChecks {
  /** Bug 1: remove/recordFailure can promote the removed contact itself back from the replacement cache. */
  readonly noDuplicates: boolean;
  /** Bug 2: onLivenessResult can start a liveness check that it never reports. */
  readonly checksReported: boolean;
}

const NO_KNOWN_BUG_CHECKS: KnownBugChecks = { noDuplicates: false, checksReported: false };

/** The structural invariants of the table, checked against its own reports and naive recomputations. */
function checkStructure(table: RoutingTable, config: RoutingTableConfig, checks: KnownBugChecks): void {
  const self = table.self;
  const buckets = table.buckets();
  // The leaves partition the id space: sorted by prefix, each range [prefix, prefix + 2^(256 − depth))
  // starts where the previous one ended, from 0 to 2^256, and each prefix is zero past its depth.
  const ranges = buckets.map((bucket) => ({ start: big(bucket.prefix), size: 1n << BigInt(ID_BITS - bucket.depth) })).sort((a, b) => (a.start < b.start ? -1 : 1));
  let covered = 0n;
  for (const range of ranges) {
    assert.equal(range.start, covered, 'bucket ranges are contiguous and do not overlap');
    assert.equal(range.start % range.size, 0n, 'prefix bits past the depth are zero');
    covered += range.size;
  }
  assert.equal(covered, 1n << BigInt(ID_BITS), 'the buckets cover the whole id space');
  let ownPath = 0;
  for (const bucket of buckets) {
    assert.ok(bucket.depth >= 0 && bucket.depth <= ID_BITS - 1, `depth ${bucket.depth}`);
    assert.equal(bucket.onOwnPath, inPrefix(self, bucket.prefix, bucket.depth), 'onOwnPath says whether our id is in range');
    if (bucket.onOwnPath) ownPath++;
    // Kademlia §2.2: a k-bucket holds at most k contacts, least recently seen first.
    assert.ok(bucket.size <= config.k, `bucket of ${bucket.size} > k = ${config.k}`);
    let weak = 0;
    let firstWeak = -1;
    for (let i = 0; i < bucket.size; i++) {
      const peer = bucket.peers[i];
      assert.ok(inPrefix(peer, bucket.prefix, bucket.depth), 'a contact lies in its bucket range');
      assert.equal(bucket.head(i), peer.head);
      if (i > 0) assert.ok(bucket.lastSeenMsAt(i - 1) <= bucket.lastSeenMsAt(i), 'least recently seen first');
      const isWeak = bucket.failuresAt(i) > 0 || !bucket.isVerified(i);
      if (isWeak) {
        weak++;
        if (firstWeak < 0) firstWeak = i;
      }
    }
    assert.equal(bucket.weakCount, weak, 'weakCount counts contacts that failed or were never verified');
    assert.equal(bucket.firstWeakIndex(), firstWeak);
    assert.ok(bucket.replacementCount <= config.replacementsMax, 'the replacement cache is bounded');
    const replacementHexes = new Set<string>();
    for (let i = 0; i < bucket.replacementCount; i++) {
      const peer = bucket.replacementPeers[i];
      assert.ok(inPrefix(peer, bucket.prefix, bucket.depth), 'a replacement lies in its bucket range');
      assert.ok(!idEquals(peer, self));
      replacementHexes.add(hex(peer));
      if (i > 0) assert.ok(bucket.replacementSeenMs[i - 1] <= bucket.replacementSeenMs[i], 'replacements oldest first');
    }
    assert.equal(replacementHexes.size, bucket.replacementCount, 'no duplicate replacements');
    if (checks.noDuplicates) {
      for (const peer of bucket.peers) if (replacementHexes.has(hex(peer))) assert.fail(`contact ${hex(peer).slice(0, 8)} is also in its replacement cache`);
    }
    if (!config.relaxedSplitting && !bucket.onOwnPath) {
      // Without relaxed splitting, a bucket off our path splits only down to the next digit boundary.
      const leftOurPathAt = commonPrefixLength(bucket.prefix, self);
      assert.ok(leftOurPathAt < bucket.depth);
      assert.ok(bucket.depth <= roundUpToMultiple(leftOurPathAt + 1, config.bitsPerDigit), `off-path bucket at depth ${bucket.depth}, b = ${config.bitsPerDigit}`);
    }
  }
  assert.equal(ownPath, 1, 'exactly one bucket holds our own id');

  const peers = table.peers();
  assert.equal(table.size, peers.length, 'size counts the contacts');
  assert.ok(!peers.some((peer) => idEquals(peer, self)), 'we never store ourselves');
  if (checks.noDuplicates) assert.equal(new Set(peers.map(hex)).size, peers.length, 'no duplicate contacts');
  for (const peer of peers) {
    assert.ok(table.has(peer));
    const info = table.find(peer);
    assert.ok(info);
    if (checks.noDuplicates) assert.equal(info.peer, peer);
  }
}

function checkClosest(table: RoutingTable, targets: readonly Id[], counts: readonly number[], excluded: Id | undefined): void {
  const peers = table.peers();
  for (const target of targets) {
    for (const count of counts) {
      for (const ex of [undefined, excluded]) {
        const got = table.closest(target, count, ex);
        const expected = naive(target, peers, count, ex);
        if (got.length !== expected.length || got.some((peer, i) => !idEquals(peer, expected[i]))) {
          assert.deepEqual(got.map(hex), expected.map(hex), `closest(${hex(target).slice(0, 8)}, ${count}, ${ex ? hex(ex).slice(0, 8) : '-'})`);
        }
      }
    }
  }
}

function contactsByHex(table: RoutingTable): Map<string, ContactInfo> {
  const out = new Map<string, ContactInfo>();
  for (const bucket of table.buckets()) for (let i = 0; i < bucket.size; i++) out.set(hex(bucket.peers[i]), bucket.info(i));
  return out;
}

function isWeak(info: ContactInfo): boolean {
  return info.failures > 0 || !info.verified;
}

/** Whether `peer` would be one of our k closest contacts: what relaxed splitting (§2.4) protects. */
function amongClosestToSelf(table: RoutingTable, k: number, peer: Id): boolean {
  const nearest = naive(table.self, table.peers(), k);
  return nearest.length < k || (big(peer) ^ big(table.self)) < (big(nearest[k - 1]) ^ big(table.self));
}

/** A full bucket that the rules forbid to split (§2.4 and §4.2). */
function assertMayNotSplit(table: RoutingTable, config: RoutingTableConfig, bucket: Bucket, newcomer: Id): void {
  assert.equal(bucket.size, config.k, 'only a full bucket turns a newcomer away');
  if (bucket.depth >= ID_BITS - 1) return;
  assert.equal(bucket.onOwnPath, false, 'a bucket whose range holds our own id splits when full');
  assert.equal(bucket.depth % config.bitsPerDigit, 0, 'a bucket at a depth that is not a multiple of b splits');
  if (config.relaxedSplitting) assert.equal(amongClosestToSelf(table, config.k, newcomer), false, 'relaxed splitting keeps all of our k closest');
}

// ---- random operation sequences -----------------------------------------------------------------

type Op =
  | { readonly kind: 'observe'; readonly p: number; readonly dt: number; readonly rtt: number | null; readonly moved: boolean }
  | { readonly kind: 'addUnverified'; readonly p: number }
  /** A peer waiting in some replacement cache is named in a lookup reply (it is alive, others know it). */
  | { readonly kind: 'addUnverifiedReplacement'; readonly p: number }
  /** `contact`: the peer is picked among the current contacts rather than from the whole pool. */
  | { readonly kind: 'remove'; readonly p: number; readonly contact: boolean }
  | { readonly kind: 'recordFailure'; readonly p: number; readonly contact: boolean }
  | { readonly kind: 'liveness'; readonly alive: boolean; readonly dt: number }
  | { readonly kind: 'touch'; readonly p: number; readonly dt: number };

const LIVENESS_AFTER_MS = 10_000;
const dtArbitrary = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 5000, max: 30_000 }));

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('observe' as const), p: fc.nat(), dt: dtArbitrary, rtt: fc.option(fc.integer({ min: 1, max: 800 })), moved: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('addUnverified' as const), p: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('addUnverifiedReplacement' as const), p: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), p: fc.nat(), contact: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('recordFailure' as const), p: fc.nat(), contact: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('liveness' as const), alive: fc.boolean(), dt: dtArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('touch' as const), p: fc.nat(), dt: dtArbitrary }) },
);

interface Scenario {
  readonly seed: number;
  readonly k: number;
  readonly bitsPerDigit: number;
  readonly relaxedSplitting: boolean;
  readonly failuresToEvict: number;
  readonly replacementsMax: number;
  readonly poolSize: number;
  /**
   * 'mixed': random peers, peers near us and near the bottom of the tree; 'cluster': all peers near
   * one far point, so our k closest lie in full buckets off our path (relaxed splitting's case, §2.4).
   */
  readonly poolShape: 'mixed' | 'cluster';
  readonly ops: readonly Op[];
}

const scenarioArbitrary = (maxOps: number): fc.Arbitrary<Scenario> =>
  fc.record({
    seed: fc.nat(),
    k: fc.constantFrom(1, 2, 3, 20),
    bitsPerDigit: fc.integer({ min: 1, max: 5 }),
    relaxedSplitting: fc.boolean(),
    failuresToEvict: fc.integer({ min: 1, max: 3 }),
    replacementsMax: fc.constantFrom(1, 3, 20),
    poolSize: fc.integer({ min: 4, max: 120 }),
    poolShape: fc.constantFrom<Scenario['poolShape']>('mixed', 'cluster'),
    ops: fc.array(opArbitrary, { minLength: 1, maxLength: maxOps, size: 'max' }),
  });

/** Where bug 1 lives: relaxed splitting of full buckets off our path, small k. */
const relaxedClusterScenarios = scenarioArbitrary(150).map((scenario): Scenario => ({
  ...scenario,
  relaxedSplitting: true,
  poolShape: 'cluster',
  k: scenario.k === 20 ? 2 : scenario.k,
}));

function configOf(scenario: Scenario): RoutingTableConfig {
  return {
    k: scenario.k,
    bitsPerDigit: scenario.bitsPerDigit,
    relaxedSplitting: scenario.relaxedSplitting,
    failuresToEvict: scenario.failuresToEvict,
    livenessCheckAfterMs: LIVENESS_AFTER_MS,
    replacementsMax: scenario.replacementsMax,
  };
}

const RTO = { fallbackMs: 777, minMs: 50, maxMs: 5000 } as const;

function runScenario(scenario: Scenario, checks: KnownBugChecks, stats?: Map<string, number>): void {
  const count = (what: string): void => {
    if (stats) stats.set(what, (stats.get(what) ?? 0) + 1);
  };
  const random = seeded(scenario.seed);
  const self = peerRef(randomId(random), 'self');
  const config = configOf(scenario);
  // Index 0 of the pool is our own id under another address: the table must refuse it.
  const others = scenario.poolShape === 'mixed' ? peerPool(self, scenario.poolSize, random) : clusterPool(self, scenario.poolSize, random);
  const pool = [peerRef(self, 'me-again'), ...others];
  let nowMs = 1_000_000;
  const table = new RoutingTable(self, config, nowMs);
  assert.equal(table.buckets()[0].lastTouchedMs, nowMs);
  /** Liveness checks the table asked for and nobody has answered yet, oldest first. */
  const outstanding: PeerRef[] = [];
  /** Outstanding checks whose contact has stayed in the table since: their bucket must remember them. */
  const underWay = new Set<PeerRef>();
  const pickPeer = (p: number, contact: boolean): PeerRef => {
    const contacts = table.peers();
    return contact && contacts.length > 0 ? contacts[p % contacts.length] : pool[p % pool.length];
  };

  for (const [step, op] of scenario.ops.entries()) {
    const before = contactsByHex(table);
    const sizeBefore = table.size;
    // A split hands waiting newcomers to a child with room: contacts may also arrive from the caches.
    const cachedBefore = new Set(table.buckets().flatMap((bucket) => bucket.replacementPeers.map(hex)));
    const promotedFromCache = (except: string): number =>
      [...contactsByHex(table).keys()].filter((h) => !before.has(h) && h !== except && cachedBefore.has(h)).length;
    switch (op.kind) {
      case 'observe': {
        nowMs += op.dt;
        const base = pool[op.p % pool.length];
        const peer = op.moved ? peerRef(base, `${base.address}-moved`) : base;
        const peerHex = hex(peer);
        const bucketsBefore = table.buckets().length;
        const outcome: ObserveOutcome = table.observe(peer, nowMs, op.rtt ?? undefined);
        count(`observe:${typeof outcome === 'string' ? outcome : 'check'}`);
        if (table.buckets().length > bucketsBefore) count('split');
        const after = contactsByHex(table);
        if (idEquals(peer, self)) {
          assert.equal(outcome, 'self');
          assert.equal(table.size, sizeBefore);
          break;
        }
        const removed = [...before.keys()].filter((h) => !after.has(h));
        if (before.has(peerHex)) {
          // A known contact is updated; one others had named, heard from at last, is proven.
          assert.equal(outcome, (before.get(peerHex) as ContactInfo).verified ? 'updated' : 'proven');
          assert.equal(removed.length, 0);
        }
        // §4.1: only a contact that failed or was never heard from makes way, and only one.
        assert.ok(removed.length <= 1, 'at most one contact gives way');
        for (const h of removed) assert.ok(isWeak(before.get(h) as ContactInfo), 'only a weak contact gives way to a newcomer');
        if (outcome === 'updated' || outcome === 'proven' || outcome === 'added') {
          const info = table.find(peer);
          assert.ok(info, 'the sender is in the table');
          assert.equal(info.peer.address, peer.address, 'the authenticated address replaces the old one');
          assert.equal(info.failures, 0, 'hearing from a contact resets its failures');
          assert.equal(info.verified, true);
          assert.equal(info.lastSeenMs, nowMs);
          const bucket = bucketOf(table, peer);
          assert.ok(idEquals(bucket.peers[bucket.size - 1], peer), 'the sender becomes the most recently seen');
          for (let i = 0; i < bucket.replacementCount; i++) assert.ok(!idEquals(bucket.replacementPeers[i], peer));
          if (outcome === 'added') {
            const promoted = promotedFromCache(peerHex);
            assert.equal(table.size, sizeBefore + 1 + promoted - removed.length);
          }
        } else if (outcome === 'self') {
          assert.fail('only our own id is "self"');
        } else {
          // 'cached' or a liveness check: the newcomer waits in the replacement cache (§4.1).
          assert.equal(removed.length, 0);
          assert.equal(table.has(peer), false);
          const bucket = bucketOf(table, peer);
          assertMayNotSplit(table, config, bucket, peer);
          assert.equal(bucket.weakCount, 0, 'a weak contact would have made way without a check');
          assert.ok(idEquals(bucket.replacementPeers[bucket.replacementCount - 1], peer), 'the newcomer is the newest replacement');
          if (outcome === 'cached') {
            assert.ok(bucket.checking !== null || nowMs - bucket.lastSeenMsAt(0) < LIVENESS_AFTER_MS, 'a stale least-recently-seen contact is checked');
          } else {
            assert.equal(outcome.check, bucket.peers[0], 'the least-recently-seen contact is the one checked (§2.2)');
            assert.ok(nowMs - bucket.lastSeenMsAt(0) >= LIVENESS_AFTER_MS, 'a fresh contact is kept without a check');
            assert.equal(bucket.checking, outcome.check);
            assert.equal([...underWay].filter((c) => bucketOf(table, c) === bucket).length, 0, 'one liveness check per bucket at a time');
            outstanding.push(outcome.check);
            underWay.add(outcome.check);
          }
        }
        if (op.rtt !== null && table.has(peer) && outcome === 'added') {
          assert.ok((table.find(peer) as ContactInfo).srttMs > 0, 'the RTT sample is kept');
        }
        break;
      }
      case 'addUnverified':
      case 'addUnverifiedReplacement': {
        // Prefer the replacements of buckets that have room: the rare state a relaxed split leaves behind.
        const withRoom = table.buckets().filter((bucket) => bucket.size < config.k).flatMap((bucket) => bucket.replacementPeers);
        const replacements = withRoom.length > 0 ? withRoom : table.buckets().flatMap((bucket) => bucket.replacementPeers);
        const peer = op.kind === 'addUnverified' || replacements.length === 0 ? pool[op.p % pool.length] : replacements[op.p % replacements.length];
        const added = table.addUnverified(peer, nowMs);
        count(`${op.kind}:${added}`);
        if (op.kind === 'addUnverifiedReplacement' && replacements.length > 0) count(`fromCache:${added}`);
        const after = contactsByHex(table);
        for (const h of before.keys()) assert.ok(after.has(h), 'addUnverified never displaces a contact');
        if (added) {
          assert.equal(table.size, sizeBefore + 1 + promotedFromCache(hex(peer)));
          assert.equal(table.find(peer)?.verified, false);
        } else {
          assert.equal(table.size, sizeBefore);
          if (!idEquals(peer, self) && !before.has(hex(peer))) assertMayNotSplit(table, config, bucketOf(table, peer), peer);
        }
        break;
      }
      case 'remove': {
        const peer = pickPeer(op.p, op.contact);
        const bucket = bucketOf(table, peer);
        const newest = bucket.replacementCount > 0 ? bucket.replacementPeers[bucket.replacementCount - 1] : null;
        const had = before.has(hex(peer));
        assert.equal(table.remove(peer), had);
        count(`remove:${had}:${newest ? 'promoted' : 'none'}`);
        if (had) {
          assert.equal(table.size, sizeBefore - 1 + (newest ? 1 : 0), 'the newest replacement takes the freed place');
          if (newest) assert.ok(table.has(newest));
          if (checks.noDuplicates) assert.equal(table.has(peer), false, 'a removed contact is gone');
        } else {
          assert.equal(table.size, sizeBefore);
        }
        break;
      }
      case 'recordFailure': {
        const peer = pickPeer(op.p, op.contact);
        const info = before.get(hex(peer));
        const evicted = table.recordFailure(peer);
        count(`recordFailure:${evicted}`);
        if (!info) {
          assert.equal(evicted, false);
          assert.equal(table.size, sizeBefore);
        } else if (info.failures + 1 >= config.failuresToEvict) {
          assert.equal(evicted, true, `evicted after ${config.failuresToEvict} consecutive failures`);
          if (checks.noDuplicates) assert.equal(table.has(peer), false);
        } else {
          assert.equal(evicted, false);
          assert.equal(table.find(peer)?.failures, info.failures + 1);
        }
        break;
      }
      case 'liveness': {
        nowMs += op.dt;
        const checked = outstanding.shift();
        if (!checked) break;
        underWay.delete(checked);
        const had = before.has(hex(checked));
        // As DhtNode does: an answer is observed like any message, then reported.
        if (op.alive) table.observe(checked, nowMs);
        table.onLivenessResult(checked, op.alive);
        count(`liveness:${op.alive}:${had}`);
        if (op.alive && had) {
          const bucket = bucketOf(table, checked);
          assert.ok(idEquals(bucket.peers[bucket.size - 1], checked), 'a contact that answers is kept, as the most recently seen (§2.2)');
          assert.equal(table.find(checked)?.failures, 0);
        }
        if (!op.alive) {
          if (checks.noDuplicates) assert.equal(table.has(checked), false, 'a contact that does not answer is evicted');
          if (had) assert.ok(table.size >= sizeBefore - 1);
        }
        break;
      }
      case 'touch': {
        nowMs += op.dt;
        const target = pool[op.p % pool.length];
        table.touch(target, nowMs);
        assert.equal(bucketOf(table, target).lastTouchedMs, nowMs);
        break;
      }
    }

    checkStructure(table, config, checks);
    for (const checked of underWay) {
      if (!table.has(checked)) underWay.delete(checked);
      else if (bucketOf(table, checked).checking !== checked) assert.fail('a bucket forgot the liveness check under way (e.g. across a split)');
    }
    if (checks.checksReported) {
      for (const bucket of table.buckets()) {
        if (bucket.checking !== null) {
          const checking = bucket.checking;
          if (!outstanding.some((peer) => idEquals(peer, checking))) assert.fail(`bucket waits for a liveness check of ${hex(checking).slice(0, 8)} that nobody was asked to send`);
        }
      }
    }
    // RTO per contact from its own samples, the fallback otherwise.
    for (const info of contactsByHex(table).values()) {
      const expected = info.srttMs === 0 ? RTO.fallbackMs : retransmissionTimeoutMs(info, RTO.fallbackMs, RTO.minMs, RTO.maxMs);
      assert.equal(table.retransmissionTimeoutMs(info.peer, RTO.fallbackMs, RTO.minMs, RTO.maxMs), expected);
    }
    if (step % 5 === 0 || step === scenario.ops.length - 1) {
      const size = table.size;
      const targets = [self, pool[(step * 7 + 1) % pool.length], withBitFlipped(self, step % ID_BITS), idSharing(self, step % 40, random)];
      checkClosest(table, targets, [0, 1, scenario.k, size, size + 3], pool[(step * 3 + 2) % pool.length]);
    }
  }
}

describe('RoutingTable under random operation sequences (k ∈ {1,2,3,20}, b ∈ 1…5, relaxed on/off)', () => {
  it('keeps its invariants, its LRS policy and a closest() equal to a naive sort, after every operation', () => {
    const stats = new Map<string, number>();
    fc.assert(
      fc.property(scenarioArbitrary(150), (scenario) => runScenario(scenario, NO_KNOWN_BUG_CHECKS, stats)),
      fcOptions(0x7ab1e, 60),
    );
    // The sequences reach every branch of the policy, not just the easy ones.
    for (const what of ['observe:added', 'observe:updated', 'observe:cached', 'observe:check', 'observe:self', 'split', 'addUnverified:true', 'addUnverified:false', 'addUnverifiedReplacement:true', 'remove:true:promoted', 'recordFailure:true', 'liveness:true:true', 'liveness:false:true']) {
      assert.ok((stats.get(what) ?? 0) >= 5, `${what} happened ${stats.get(what) ?? 0} times`);
    }
  });

  it('no contact is stored twice or survives its removal when relaxed splitting is off, or when addUnverified is not used', () => {
    const relaxedOff = scenarioArbitrary(150).map((scenario): Scenario => ({ ...scenario, relaxedSplitting: false }));
    fc.assert(fc.property(relaxedOff, (scenario) => runScenario(scenario, { noDuplicates: true, checksReported: false })), fcOptions(0x7ab1f, 20));
    const verifiedOnly = relaxedClusterScenarios.map((scenario): Scenario => ({
      ...scenario,
      ops: scenario.ops.filter((op) => op.kind !== 'addUnverified' && op.kind !== 'addUnverifiedReplacement'),
    }));
    fc.assert(fc.property(verifiedOnly, (scenario) => runScenario(scenario, { noDuplicates: true, checksReported: false })), fcOptions(0x7ab22, 20));
  });

  it(
    'never stores a contact twice and never keeps one it was told to remove',
    () => {
      fc.assert(
        fc.property(relaxedClusterScenarios, (scenario) => runScenario(scenario, { noDuplicates: true, checksReported: false })),
        { ...fcOptions(0x7ab20, 40), endOnFailure: true },
      );
    },
  );

  it(
    'waits only for liveness checks it asked the caller to send',
    () => {
      fc.assert(
        fc.property(scenarioArbitrary(150), (scenario) => runScenario(scenario, { noDuplicates: false, checksReported: true })),
        { ...fcOptions(0x7ab21, 40), endOnFailure: true },
      );
    },
  );
});

// ---- closest() ----------------------------------------------------------------------------------

describe('RoutingTable.closest (FIND_NODE answers with the k closest contacts it knows, §2.3)', () => {
  const config: RoutingTableConfig = { k: 20, bitsPerDigit: 1, relaxedSplitting: true, failuresToEvict: 2, livenessCheckAfterMs: LIVENESS_AFTER_MS, replacementsMax: 20 };

  it('equals a naive sort by XOR distance for any target, count and excluded contact, in big tables too', () => {
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom(1, 5, 20, 64), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 50, max: 1500 }), (seed, k, b, n) => {
        const random = seeded(seed);
        const self = randomId(random);
        const table = new RoutingTable(self, { ...config, k, bitsPerDigit: b }, 0);
        for (const peer of peerPool(self, n, random)) table.observe(peer, 0);
        const peers = table.peers();
        const targets = [self, randomId(random), peers[0], idSharing(peers[peers.length - 1], 30, random)];
        // Large counts (several hundred) exercise the growth of the shared scratch arrays.
        checkClosest(table, targets, [1, k, 3 * k + 1, peers.length, 2 * peers.length + 300], peers[peers.length >> 1]);
      }),
      fcOptions(0xc105e, 15),
    );
  });

  it('leaves out the excluded id even when it is the target itself', () => {
    const self = bitsId('0');
    const table = new RoutingTable(self, config, 0);
    const a = bitsPeer('1');
    const b = bitsPeer('11');
    table.observe(a, 0);
    table.observe(b, 0);
    assert.deepEqual(table.closest(a, 5, a), [b]);
    assert.deepEqual(table.closest(a, 5), [a, b]);
    assert.deepEqual(table.closest(a, 0), []);
  });
});

// ---- splitting (§2.4, §4.2) ---------------------------------------------------------------------

function table(self: Id, overrides: Partial<RoutingTableConfig> = {}, nowMs = 0): RoutingTable {
  return new RoutingTable(self, {
    k: 2, bitsPerDigit: 1, relaxedSplitting: false, failuresToEvict: 2, livenessCheckAfterMs: LIVENESS_AFTER_MS, replacementsMax: 20, ...overrides,
  }, nowMs);
}

function depths(t: RoutingTable): string[] {
  return t.buckets().map((bucket) => `${bitString(bucket.prefix, bucket.depth) || '·'}:${bucket.peers.map((p) => p.address).join(',')}`);
}

describe('RoutingTable splitting', () => {
  it('"when a bucket whose range includes the node\'s own ID is full, it is split into two" (§2.4)', () => {
    const t = table(bitsId('0000'), { k: 2 });
    assert.equal(t.observe(bitsPeer('1000'), 0), 'added');
    assert.equal(t.observe(bitsPeer('0100'), 0), 'added');
    assert.equal(t.buckets().length, 1);
    // Full, holds our id: splits, as often as needed for the newcomer to find room.
    assert.equal(t.observe(bitsPeer('0010'), 0), 'added');
    assert.equal(t.observe(bitsPeer('0001'), 0), 'added');
    assert.equal(t.size, 4);
    assert.deepEqual(depths(t), ['00:0010,0001', '01:0100', '1:1000']);
    assert.equal(t.observe(bitsPeer('00011'), 0), 'added');
    assert.deepEqual(depths(t), ['000:0001,00011', '001:0010', '01:0100', '1:1000']);
  });

  it('splits all the way down to depth 255 near our own id, and never past it', () => {
    const self = bitsId('');
    const t = table(self, { k: 1 });
    const last = peerOf(withBitFlipped(self, 255), 'last');
    const last2 = peerOf(withBitFlipped(self, 254), 'last2');
    const last3 = peerOf(withBitFlipped(withBitFlipped(self, 254), 255), 'last3');
    assert.equal(t.observe(last2, 0), 'added');
    assert.equal(t.observe(last, 0), 'added');
    assert.equal(Math.max(...t.buckets().map((b) => b.depth)), 255);
    assert.equal(t.buckets().length, 256, 'one split at each depth 0…254');
    // last3 shares 255 bits with last2: their bucket is at depth 255 and may not split, although full.
    assert.equal(t.observe(last3, 0), 'cached');
    checkStructure(t, { k: 1, bitsPerDigit: 1, relaxedSplitting: false, failuresToEvict: 2, livenessCheckAfterMs: 1, replacementsMax: 20 }, { noDuplicates: true, checksReported: true });
  });

  it('a full bucket off our path at a digit boundary does not split (b = 1): the newcomer is cached', () => {
    const t = table(bitsId('0'), { k: 2 });
    t.observe(bitsPeer('10'), 0);
    t.observe(bitsPeer('11'), 0);
    assert.equal(t.observe(bitsPeer('101'), 1), 'cached');
    assert.equal(t.buckets().length, 1 + 1);
    assert.equal(t.has(bitsPeer('101')), false);
  });

  it('with b bits per digit, a bucket at a depth that is not a multiple of b splits, so each digit gets 2^b − 1 sibling buckets (§4.2)', () => {
    for (const b of [2, 3, 4, 5]) {
      const random = seeded(100 + b);
      const self = randomId(random);
      const k = 2;
      const t = table(self, { k, bitsPerDigit: b });
      // Plenty of peers in every part of the first digit.
      for (let i = 0; i < 400 * (1 << b); i++) t.observe(peerOf(randomId(random)), 0);
      // The first digit: the subtrees that differ from our id in the first b bits.
      const firstDigit = t.buckets().filter((bucket) => !bucket.onOwnPath && commonPrefixLength(bucket.prefix, self) < b);
      assert.equal(firstDigit.length, (1 << b) - 1, `b = ${b}`);
      assert.ok(firstDigit.every((bucket) => bucket.size === k));
    }
  });

  it('an off-path bucket below a digit boundary splits even when the newcomer is far (b = 2)', () => {
    const t = table(bitsId('00'), { k: 1, bitsPerDigit: 2 });
    assert.equal(t.observe(bitsPeer('10'), 0), 'added');
    // Bucket '1' is at depth 1, not a multiple of 2: it splits into '10' and '11'.
    assert.equal(t.observe(bitsPeer('11'), 0), 'added');
    assert.equal(t.observe(bitsPeer('111'), 0), 'cached', 'depth 2 is a digit boundary: no further split');
  });

  it('relaxed splitting: a bucket off our path splits when the newcomer would be one of our k closest (§2.4)', () => {
    const self = bitsId('0');
    const strictTable = table(self, { k: 2, relaxedSplitting: false });
    const relaxedTable = table(self, { k: 2, relaxedSplitting: true });
    for (const t of [strictTable, relaxedTable]) {
      t.observe(bitsPeer('111'), 0);
      t.observe(bitsPeer('110'), 0);
    }
    // '100' is closer to us than both contacts in bucket '1'.
    assert.equal(strictTable.observe(bitsPeer('100'), 0), 'cached');
    assert.equal(relaxedTable.observe(bitsPeer('100'), 0), 'added');
    assert.deepEqual(hexes(relaxedTable.closest(self, 2)), hexes([bitsPeer('100'), bitsPeer('110')]));
    // A newcomer that is not among our k closest is still cached.
    assert.equal(relaxedTable.observe(bitsPeer('1111'), 0), 'cached');
  });

  it('relaxed splitting keeps all of our k closest: after observing any set of peers, closest(self, k) is the naive k closest of them', () => {
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom(1, 2, 3, 8, 20), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 400 }), (seed, k, b, n) => {
        const random = seeded(seed);
        const self = randomId(random);
        const t = table(self, { k, bitsPerDigit: b, relaxedSplitting: true });
        const observed = peerPool(self, n, random);
        // Far clusters first, so our neighbourhood arrives into full buckets off our path.
        observed.sort((x, y) => commonPrefixLength(x, self) - commonPrefixLength(y, self));
        for (const [i, peer] of observed.entries()) {
          t.observe(peer, i);
          if (i % 16 === 0) assert.deepEqual(hexes(t.closest(self, k)), hexes(naive(self, observed.slice(0, i + 1), k)));
        }
        assert.deepEqual(hexes(t.closest(self, k)), hexes(naive(self, observed, k)));
      }),
      fcOptions(0x5e1f, 60),
    );
  });

  it('without relaxed splitting our k closest can be lost (why §2.4 relaxes the rule)', () => {
    const self = bitsId('0');
    const t = table(self, { k: 2, relaxedSplitting: false });
    const observed = [bitsPeer('111'), bitsPeer('110'), bitsPeer('100')];
    for (const peer of observed) t.observe(peer, 0);
    assert.notDeepEqual(hexes(t.closest(self, 2)), hexes(naive(self, observed, 2)));
  });

  it('split buckets keep their contacts, order, state and lastTouchedMs', () => {
    const self = bitsId('0000');
    const t = table(self, { k: 3 }, 500);
    t.observe(bitsPeer('0100', 'A'), 10, 100);
    t.addUnverified(bitsPeer('1000', 'U'), 20);
    t.observe(bitsPeer('0010', 'B'), 30);
    t.recordFailure(bitsPeer('0010'));
    assert.equal(t.buckets().length, 1);
    const before = new Map([...contactsByHex(t)].map(([h, info]) => [h, { ...info }]));
    assert.equal(t.observe(bitsPeer('0001', 'C'), 40), 'added');
    assert.ok(t.buckets().length > 1, 'the full bucket split');
    const after = contactsByHex(t);
    for (const [h, info] of before) assert.deepEqual(after.get(h), info);
    assert.deepEqual(t.buckets().map((bucket) => bucket.peers.map((p) => p.address).join(',')), ['A,B,C', 'U'], 'least recently seen first, as before');
    for (const bucket of t.buckets()) assert.equal(bucket.lastTouchedMs, 500);
    assert.equal(bucketOf(t, bitsId('0010')).weakCount, 1, 'B still counts as weak');
    assert.equal(bucketOf(t, bitsId('1000')).weakCount, 1, 'U still counts as weak');
  });
});

// ---- LRS policy (§2.2, §4.1) --------------------------------------------------------------------

/** A table whose bucket '1' (off our path, depth 1, b = 1, no relaxed splitting) is full with P then Q. */
function fullBucket(overrides: Partial<RoutingTableConfig> = {}): { t: RoutingTable; P: PeerRef; Q: PeerRef; bucket: () => Bucket } {
  const t = table(bitsId('0'), { k: 2, ...overrides });
  const P = bitsPeer('1000', 'P');
  const Q = bitsPeer('1001', 'Q');
  assert.equal(t.observe(P, 0), 'added');
  assert.equal(t.observe(Q, 1000), 'added');
  return { t, P, Q, bucket: () => bucketOf(t, P) };
}

describe('RoutingTable least-recently-seen eviction policy (§2.2)', () => {
  it('a full bucket caches a newcomer without a check while its least-recently-seen contact was seen recently', () => {
    const { t, P, bucket } = fullBucket();
    const N = bitsPeer('1010', 'N');
    assert.equal(t.observe(N, LIVENESS_AFTER_MS - 1), 'cached');
    assert.deepEqual(bucket().peers, [P, bitsPeer('1001', 'Q')].map((p) => bucket().peers.find((x) => idEquals(x, p))));
    assert.deepEqual(hexes(bucket().replacementPeers), hexes([N]));
    assert.equal(bucket().checking, null);
  });

  it('"the recipient pings the least-recently seen node" once it has been silent livenessCheckAfterMs (boundary included), one check at a time', () => {
    const { t, P, bucket } = fullBucket();
    const N = bitsPeer('1010', 'N');
    const M = bitsPeer('1011', 'M');
    assert.deepEqual(t.observe(N, LIVENESS_AFTER_MS), { check: P });
    assert.equal(bucket().checking, P);
    assert.equal(t.observe(M, LIVENESS_AFTER_MS + 5000), 'cached', 'no second check while one is under way');
    assert.deepEqual(hexes(bucket().replacementPeers), hexes([N, M]));
  });

  it('"if the least-recently seen node … responds, it is moved to the tail of the list, and the new sender\'s contact is discarded"', () => {
    const { t, P, Q, bucket } = fullBucket();
    const N = bitsPeer('1010', 'N');
    assert.deepEqual(t.observe(N, 20_000), { check: P });
    t.observe(P, 20_100); // the answer is observed like any message, as DhtNode does
    t.onLivenessResult(P, true);
    assert.deepEqual(bucket().peers, [Q, P]);
    assert.equal(bucket().lastSeenMsAt(1), 20_100);
    assert.equal(bucket().checking, null);
    assert.equal(t.has(N), false);
    // Q is now the stale one: the next newcomer checks Q.
    assert.deepEqual(t.observe(bitsPeer('1011', 'M'), 20_200), { check: Q });
  });

  it('"if the least-recently seen node fails to respond, it is evicted … and the new sender inserted" (the newest replacement)', () => {
    const { t, P, Q, bucket } = fullBucket();
    const N = bitsPeer('1010', 'N');
    const M = bitsPeer('1011', 'M');
    assert.deepEqual(t.observe(N, 20_000), { check: P });
    assert.equal(t.observe(M, 20_500), 'cached');
    t.onLivenessResult(P, false);
    assert.equal(t.has(P), false);
    assert.deepEqual(bucket().peers, [Q, M], 'the newest replacement, in least-recently-seen order');
    assert.deepEqual(hexes(bucket().replacementPeers), hexes([N]));
    assert.equal(bucket().checking, null);
    assert.equal(t.find(M)?.lastSeenMs, 20_500);
    assert.equal(t.find(M)?.verified, true);
  });

  it('a promoted replacement is placed by when it was last seen, not at the tail', () => {
    const { t, P, Q, bucket } = fullBucket();
    const N = bitsPeer('1010', 'N');
    t.observe(N, 500); // cached: P was seen at 0, 500 < LIVENESS_AFTER_MS
    t.remove(Q);
    assert.deepEqual(bucket().peers, [P, N]);
    t.observe(P, 2000);
    t.observe(bitsPeer('1011', 'M'), 2100);
    t.remove(P);
    assert.deepEqual(hexes(bucket().peers), hexes([N, bitsPeer('1011')]));
  });

  it('a contact with a failed request gives way to a verified newcomer without a check (§4.1)', () => {
    const { t, P, Q, bucket } = fullBucket();
    assert.equal(t.recordFailure(Q), false);
    const N = bitsPeer('1010', 'N');
    assert.equal(t.observe(N, 1500), 'added');
    assert.deepEqual(bucket().peers, [P, N]);
    assert.equal(bucket().checking, null);
  });

  it('a contact never verified (added with addUnverified) gives way to a verified newcomer without a check', () => {
    const t = table(bitsId('0'), { k: 2 });
    const U = bitsPeer('1000', 'U');
    const P = bitsPeer('1001', 'P');
    assert.equal(t.addUnverified(U, 0), true);
    assert.equal(t.observe(P, 0), 'added');
    assert.equal(t.find(U)?.verified, false);
    const N = bitsPeer('1010', 'N');
    assert.equal(t.observe(N, 50_000), 'added');
    assert.equal(t.has(U), false);
    assert.deepEqual(hexes(bucketOf(t, P).peers), hexes([P, N]));
  });

  it('observe proves an unverified contact: it is verified from then on', () => {
    const t = table(bitsId('0'), { k: 2 });
    const U = bitsPeer('1000', 'U');
    t.addUnverified(U, 0);
    assert.equal(t.observe(U, 5), 'proven');
    assert.equal(t.find(U)?.verified, true);
    assert.equal(bucketOf(t, U).weakCount, 0);
  });

  it('recordFailure evicts after failuresToEvict consecutive failures and promotes a replacement; observe resets the count', () => {
    const { t, P, Q, bucket } = fullBucket({ failuresToEvict: 3 });
    const N = bitsPeer('1010', 'N');
    t.observe(N, 1500);
    assert.equal(t.recordFailure(P), false);
    assert.equal(t.recordFailure(P), false);
    assert.equal(t.find(P)?.failures, 2);
    t.observe(P, 1600);
    assert.equal(t.find(P)?.failures, 0, 'hearing from it resets the count');
    assert.equal(t.recordFailure(P), false);
    assert.equal(t.recordFailure(P), false);
    assert.equal(t.recordFailure(P), true);
    assert.equal(t.has(P), false);
    assert.deepEqual(hexes(bucket().peers), hexes([Q, N]));
    assert.equal(t.recordFailure(P), false, 'a contact no longer in the table');
  });

  it('the replacement cache keeps the replacementsMax newest, and a returning newcomer moves to the newest end', () => {
    const { t, bucket } = fullBucket({ replacementsMax: 2 });
    const [A, B, C] = ['1010', '1011', '1100'].map((bits) => bitsPeer(bits));
    t.observe(A, 100);
    t.observe(B, 200);
    t.observe(A, 300);
    assert.deepEqual(hexes(bucket().replacementPeers), hexes([B, A]));
    assert.deepEqual(bucket().replacementSeenMs, [200, 300]);
    t.observe(C, 400);
    assert.deepEqual(hexes(bucket().replacementPeers), hexes([A, C]));
  });

  it('remove of a contact not in the table drops it from the replacement cache', () => {
    const { t, bucket } = fullBucket();
    const N = bitsPeer('1010', 'N');
    t.observe(N, 100);
    assert.equal(t.remove(N), false);
    assert.equal(bucket().replacementCount, 0);
  });
});

describe('RoutingTable.addUnverified (contacts named by others fill only spare room)', () => {
  it('never displaces a contact and never stores us or a duplicate', () => {
    const { t, P, Q } = fullBucket();
    assert.equal(t.addUnverified(bitsPeer('1010'), 50_000), false);
    assert.equal(t.addUnverified(P, 0), false);
    assert.equal(t.addUnverified(peerOf(t.self), 0), false);
    assert.deepEqual(hexes(t.peers()), hexes([P, Q]));
  });

  it('places the unverified contact first (least recently seen) and splits like observe does', () => {
    const t = table(bitsId('0000'), { k: 2 });
    t.observe(bitsPeer('1000', 'A'), 10);
    t.addUnverified(bitsPeer('1100', 'U'), 20);
    const bucket = bucketOf(t, bitsId('1'));
    assert.deepEqual(bucket.peers.map((p) => p.address), ['U', 'A']);
    assert.equal(t.addUnverified(bitsPeer('0100', 'V'), 0), true);
    assert.equal(t.addUnverified(bitsPeer('0010', 'W'), 0), true, 'our own bucket splits for it');
    assert.equal(t.size, 4);
  });
});

describe('RoutingTable RTT and retransmission timeouts (RFC 6298 per contact)', () => {
  it('uses the contact\'s own samples once observed with rttSampleMs, else the fallback', () => {
    const t = table(bitsId('0'), { k: 4 });
    const P = bitsPeer('1000');
    assert.equal(t.retransmissionTimeoutMs(P, 999, 10, 9000), 999, 'unknown contact');
    t.observe(P, 0);
    assert.equal(t.retransmissionTimeoutMs(P, 999, 10, 9000), 999, 'no sample yet');
    const estimate: RttSample = { srttMs: 0, rttVarMs: 0 };
    for (const sample of [100, 140, 90]) {
      t.observe(P, 0, sample);
      addRttSample(estimate, sample);
    }
    assert.equal(t.find(P)?.srttMs, estimate.srttMs);
    assert.equal(t.find(P)?.rttVarMs, estimate.rttVarMs);
    assert.equal(t.retransmissionTimeoutMs(P, 999, 10, 9000), estimate.srttMs + 4 * estimate.rttVarMs);
    assert.equal(t.retransmissionTimeoutMs(P, 999, 10, 200), 200, 'clamped to the maximum');
    assert.equal(t.retransmissionTimeoutMs(P, 999, 5000, 9000), 5000, 'clamped to the minimum');
  });

  it('a newcomer added with a sample has it from the start; the samples survive a split', () => {
    const t = table(bitsId('0000'), { k: 1 });
    const P = bitsPeer('0100');
    t.observe(P, 0, 300);
    t.observe(bitsPeer('0010'), 0);
    assert.equal(t.retransmissionTimeoutMs(P, 1, 1, 10_000), 300 + 4 * 150);
  });
});

describe('RoutingTable.touch and bucket refresh times (§2.3)', () => {
  it('touch marks only the bucket covering the target', () => {
    const t = table(bitsId('0000'), { k: 1 }, 100);
    t.observe(bitsPeer('1000'), 0);
    t.observe(bitsPeer('0100'), 0);
    t.observe(bitsPeer('0010'), 0);
    t.touch(bitsId('0111'), 900);
    for (const bucket of t.buckets()) assert.equal(bucket.lastTouchedMs, bitString(bucket.prefix, bucket.depth) === '01' ? 900 : 100);
    t.touch(t.self, 1000);
    assert.equal(bucketOf(t, t.self).lastTouchedMs, 1000);
  });
});

// ---- known bugs: minimal reproductions ----------------------------------------------------------

describe('RoutingTable known bugs (minimal reproductions)', () => {
  it(
    'remove(B) removes B, even when B was added by addUnverified after a relaxed split left it in the replacement cache',
    () => {
      const self = bitsId('0');
      const t = table(self, { k: 1, relaxedSplitting: true });
      const A = bitsPeer('101', 'A');
      const B = bitsPeer('110', 'B');
      const C = bitsPeer('100', 'C');
      assert.equal(t.observe(A, 0), 'added');
      assert.equal(t.observe(B, 0), 'cached'); // bucket '1' full, B not among our k = 1 closest
      assert.equal(t.observe(C, 0), 'added'); // C is: bucket '1' splits, and the empty bucket '11' takes B from the cache
      assert.equal(t.has(B), true, 'a split promotes a waiting newcomer into a child with room');
      assert.equal(t.addUnverified(B, 0), false, 'already a contact');
      assert.equal(t.remove(B), true);
      assert.equal(t.has(B), false, 'B was removed, and no cache hands it back');
    },
  );

  it(
    'a contact is never stored twice (k = 2: B promoted from the cache while already a contact)',
    () => {
      const self = bitsId('0');
      const t = table(self, { k: 2, relaxedSplitting: true });
      const [A1, A2, B, C1, C2] = ['1010', '1011', '1100', '1000', '1001'].map((bits) => bitsPeer(bits, bits));
      t.observe(A1, 0);
      t.observe(A2, 0);
      assert.equal(t.observe(B, 0), 'cached');
      assert.equal(t.observe(C1, 0), 'added');
      assert.equal(t.observe(C2, 0), 'added');
      const D = bitsPeer('1101', 'D');
      assert.equal(t.has(B), true, 'the split promoted B from the cache');
      assert.equal(t.addUnverified(B, 0), false);
      assert.equal(t.addUnverified(D, 0), true);
      t.remove(D);
      assert.deepEqual(t.peers().map((p) => p.address).filter((a) => a === '1100'), ['1100'], `contacts: ${t.peers().map((p) => p.address)}`);
    },
  );

  it('every liveness check the table waits for is one the caller was asked to send', () => {
    const { t, P, Q, bucket } = fullBucket();
    const N = bitsPeer('1010', 'N');
    assert.deepEqual(t.observe(N, 20_000), { check: P });
    t.remove(P); // e.g. P sent `leave`; N is promoted
    // The ping P was sent earlier is answered after all: DhtNode observes the answer, then reports it.
    const outcome = t.observe(P, 20_100);
    t.onLivenessResult(P, true);
    if (typeof outcome === 'object') assert.equal(bucket().checking, outcome.check, 'the table waits only for the check it asked for');
    else assert.equal(bucket().checking, null);
    assert.ok(typeof outcome === 'object' && outcome.check === Q, 'Q, silent for long, is the one to check now');
  });
});
