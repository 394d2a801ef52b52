import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { LookupFinishRule } from '../../src/core/config.ts';
import { ClosestPeersLookup, type LookupConfig } from '../../src/core/closest-peers-lookup.ts';
import { compareDistance, idEquals, idToHex, randomId, type Id } from '../../src/core/id.ts';
import { peerRef, type PeerRef } from '../../src/core/peer.ts';
import type { Random } from '../../src/core/random.ts';
import { RoutingTable } from '../../src/core/routing-table.ts';
import { bitsId, bitsPeer, clusterPool, fcOptions, hexes, idSharing, naiveClosest, seeded } from './helpers.ts';

// ---- a simulated network -----------------------------------------------------------------------

type Behaviour = 'alive' | 'slow' | 'dead';

interface Network {
  readonly self: PeerRef;
  readonly peers: readonly PeerRef[];
  readonly behaviour: ReadonlyMap<string, Behaviour>;
  /** What `peer` answers to FIND_NODE(target) from `asker`. */
  answer(peer: PeerRef, target: Id, asker: PeerRef): PeerRef[];
}

/** Every peer knows everyone: it answers the true k closest to the target, leaving out the asker (as a node does). */
function omniscientNetwork(self: PeerRef, peers: readonly PeerRef[], k: number, behaviour: ReadonlyMap<string, Behaviour>): Network {
  const everyone = [self, ...peers];
  return { self, peers, behaviour, answer: (_peer, target, asker) => naiveClosest(target, everyone, k, asker) };
}

/**
 * Every peer has a Kademlia routing table (k, b = 1, relaxed splitting) that has heard from every
 * other peer, so it knows its own neighbourhood, and answers from it as a node does (not naming the asker).
 */
function kademliaNetwork(self: PeerRef, peers: readonly PeerRef[], k: number, behaviour: ReadonlyMap<string, Behaviour>): Network {
  const everyone = [self, ...peers];
  const tables = new Map<string, RoutingTable>();
  for (const peer of peers) {
    const table = new RoutingTable(peer, { k, bitsPerDigit: 1, relaxedSplitting: true, failuresToEvict: 2, livenessCheckAfterMs: 1e9, replacementsMax: 0 }, 0);
    for (const other of everyone) table.observe(other, 0);
    tables.set(idToHex(peer), table);
  }
  return { self, peers, behaviour, answer: (peer, target, asker) => (tables.get(idToHex(peer)) as RoutingTable).closest(target, k, asker) };
}

/**
 * Peers know only a few others at random: answers are arbitrary, may name us, the asker, the
 * target's far side or the same peers again. Only for the invariants that hold whatever peers say.
 */
function gossipNetwork(self: PeerRef, peers: readonly PeerRef[], behaviour: ReadonlyMap<string, Behaviour>, random: Random): Network {
  const everyone = [self, ...peers];
  const known = new Map<string, PeerRef[]>();
  for (const peer of peers) known.set(idToHex(peer), Array.from({ length: 1 + Math.floor(random.nextFloat() * 12) }, () => everyone[Math.floor(random.nextFloat() * everyone.length)]));
  return { self, peers, behaviour, answer: (peer) => known.get(idToHex(peer)) as PeerRef[] };
}

// ---- the driver ---------------------------------------------------------------------------------

interface Sent {
  readonly peer: PeerRef;
  readonly sentAtMs: number;
  readonly softDeadlineMs: number;
  resolved: 'answered' | 'failed' | null;
}

interface DriveOptions {
  readonly rtoMs: (peer: PeerRef) => number;
  /** A request fails this many RTOs after it was sent (the hard timeout). */
  readonly hardTimeoutRtos: number;
  readonly random: Random;
}

interface DriveResult {
  readonly sent: ReadonlyMap<string, Sent>;
  readonly maxWaiting: number;
  readonly endMs: number;
  readonly stalledEver: boolean;
}

/**
 * Runs a lookup against a network until it finishes, in simulated time, checking after every step
 * what must hold whatever the peers answer. Alive peers answer before their soft deadline (one RTO),
 * slow ones after it but before the hard timeout, dead ones never: their requests fail at the hard timeout.
 */
function drive(lookup: ClosestPeersLookup, config: LookupConfig, network: Network, options: DriveOptions): DriveResult {
  const sent = new Map<string, Sent>();
  const events: { atMs: number; order: number; peer: PeerRef; outcome: 'answer' | 'fail' }[] = [];
  let order = 0;
  let nowMs = 0;
  let maxWaiting = 0;
  // The stall model, from the outside: α answers in a row that leave the closest live candidate unchanged.
  let answersWithoutProgress = 0;
  let stalled = false;
  let stalledEver = false;
  const confirmCount = config.finish === 'strict' ? config.k : config.finish;
  const answeredAll = (peers: readonly PeerRef[]): boolean => peers.every((peer) => sent.get(idToHex(peer))?.resolved === 'answered');

  for (let iteration = 0; ; iteration++) {
    assert.ok(iteration < 100_000, 'the lookup terminates');
    const timeoutFor = (peer: PeerRef): number => options.rtoMs(peer);
    for (;;) {
      const peer = lookup.next(nowMs, timeoutFor);
      if (peer === null) break;
      const hex = idToHex(peer);
      assert.ok(!idEquals(peer, network.self), 'never asks itself');
      assert.ok(!sent.has(hex), 'never asks the same peer twice');
      assert.ok(lookup.closestPeers(config.k).some((candidate) => idEquals(candidate, peer)), 'asks only among the k closest live candidates (§2.3)');
      assert.ok(lookup.queriesSent <= config.queriesMax, 'queriesSent never exceeds queriesMax');
      const rto = options.rtoMs(peer);
      sent.set(hex, { peer, sentAtMs: nowMs, softDeadlineMs: nowMs + rto, resolved: null });
      // In flight and within its soft deadline, and still a candidate (a candidate dropped for
      // candidatesMax no longer counts): what α bounds. Unresponsive requests do not count.
      const live = new Set(hexes(lookup.closestPeers(Number.MAX_SAFE_INTEGER)));
      const waiting = [...sent.values()].filter((s) => s.resolved === null && s.softDeadlineMs > nowMs && live.has(idToHex(s.peer))).length;
      maxWaiting = Math.max(maxWaiting, waiting);
      const parallelism = stalled && config.finish === 'strict' ? Math.max(config.alpha, config.k) : config.alpha;
      assert.ok(waiting <= parallelism, `${waiting} requests waiting, at most ${parallelism} allowed (stalled: ${stalled})`);
      const behaviour = network.behaviour.get(hex) ?? 'alive';
      const hardMs = rto * options.hardTimeoutRtos;
      if (behaviour === 'dead') events.push({ atMs: nowMs + hardMs, order: order++, peer, outcome: 'fail' });
      else {
        const low = behaviour === 'alive' ? 1 : rto + 1;
        const high = behaviour === 'alive' ? rto - 1 : hardMs - 1;
        events.push({ atMs: nowMs + low + Math.floor(options.random.nextFloat() * (high - low + 1)), order: order++, peer, outcome: 'answer' });
      }
    }
    assert.equal(lookup.queriesSent, sent.size);

    const candidatesNow = lookup.closestPeers(Number.MAX_SAFE_INTEGER);
    assert.ok(candidatesNow.length <= config.candidatesMax, 'at most candidatesMax candidates');
    const closestToConfirm = lookup.closestPeers(confirmCount);
    if (lookup.isFinished()) {
      const budgetSpent = lookup.queriesSent >= config.queriesMax;
      assert.ok(answeredAll(closestToConfirm) || budgetSpent, 'finishes only when the closest have answered, or the budget is spent');
      if (!answeredAll(closestToConfirm)) {
        const inFlight = [...sent.values()].filter((s) => s.resolved === null && s.softDeadlineMs > nowMs);
        assert.equal(inFlight.length, 0, 'with the budget spent it finishes only when nothing is outstanding');
      }
      assert.ok(lookup.answers > 0 || lookup.silentCount() === 0, 'before anyone answers, it never gives up on a request that may still be answered');
      return { sent, maxWaiting, endMs: nowMs, stalledEver };
    }
    // With no answer yet, a request past its soft deadline keeps the lookup open until it is answered or fails.
    const waitingForSilent = lookup.answers === 0 && lookup.silentCount() > 0;
    assert.ok(!answeredAll(closestToConfirm) || waitingForSilent, `once the closest ${confirmCount} have answered the lookup is finished`);

    events.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
    const nextEventMs = events.length > 0 ? events[0].atMs : Infinity;
    const nextMs = Math.min(nextEventMs, lookup.nextDeadlineMs());
    assert.ok(nextMs < Infinity, 'an unfinished lookup always waits for something');
    assert.ok(nextMs >= nowMs);
    nowMs = nextMs;
    while (events.length > 0 && events[0].atMs <= nowMs) {
      const event = events.shift() as (typeof events)[number];
      const record = sent.get(idToHex(event.peer)) as Sent;
      if (event.outcome === 'fail') {
        record.resolved = 'failed';
        const failuresBefore = lookup.failures;
        lookup.onFailure(event.peer);
        if (lookup.failures > failuresBefore) assert.ok(!lookup.closestPeers(Number.MAX_SAFE_INTEGER).some((p) => idEquals(p, event.peer)), 'a failed peer leaves the results');
        continue;
      }
      record.resolved = 'answered';
      // The implementation compares the closest live candidate once the answering peer counts as
      // answered: a late answer from an unresponsive peer makes it live again.
      const closestLive = lookup.closestPeers(1)[0] as PeerRef | undefined;
      const before = closestLive === undefined || compareDistance(lookup.target, event.peer, closestLive) < 0 ? event.peer : closestLive;
      const answersBefore = lookup.answers;
      const newlySeen: PeerRef[] = [];
      const knownBefore = new Set(hexes(lookup.closestPeers(Number.MAX_SAFE_INTEGER)));
      const reply = network.answer(event.peer, lookup.target, network.self);
      lookup.onSuccess(event.peer, reply, newlySeen);
      if (lookup.answers === answersBefore) {
        // The answer was not taken: the peer had been dropped for candidatesMax.
        record.resolved = 'failed';
        assert.equal(newlySeen.length, 0);
        continue;
      }
      for (const peer of newlySeen) {
        assert.ok(!knownBefore.has(idToHex(peer)) && !sent.has(idToHex(peer)), 'newlySeen names only peers new to the lookup');
        assert.ok(!idEquals(peer, network.self));
      }
      const after = lookup.closestPeers(1)[0];
      if (!idEquals(before, after)) {
        answersWithoutProgress = 0;
        stalled = false;
      } else if (++answersWithoutProgress >= config.alpha) {
        stalled = true;
        stalledEver = true;
      }
    }
  }
}

const addresses = (peers: readonly PeerRef[]): string[] => peers.map((peer) => peer.address);

// ---- scenarios ----------------------------------------------------------------------------------

interface LookupScenario {
  readonly seed: number;
  readonly n: number;
  readonly k: number;
  readonly alpha: number;
  readonly finish: LookupFinishRule;
  readonly queriesMax: number;
  readonly candidatesMax: number;
  readonly seedsCount: number;
  readonly deadFraction: number;
  readonly slowFraction: number;
  readonly clustered: boolean;
  readonly targetIsPeer: boolean;
}

type RawScenarioKey = Exclude<keyof LookupScenario, 'finish'> | 'finishQ';

const lookupScenario = (overrides: Partial<Record<RawScenarioKey, fc.Arbitrary<unknown>>> = {}): fc.Arbitrary<LookupScenario> =>
  fc
    .record({
      seed: fc.nat(),
      n: fc.integer({ min: 1, max: 150 }),
      k: fc.constantFrom(1, 2, 3, 5, 8, 20),
      alpha: fc.integer({ min: 1, max: 5 }),
      finishQ: fc.option(fc.integer({ min: 1, max: 20 }), { freq: 2 }),
      queriesMax: fc.oneof(fc.constant(10_000), fc.integer({ min: 1, max: 40 })),
      candidatesMax: fc.oneof(fc.constant(10_000), fc.integer({ min: 0, max: 40 })),
      seedsCount: fc.integer({ min: 0, max: 30 }),
      deadFraction: fc.constantFrom(0, 0, 0.1, 0.3, 0.7),
      slowFraction: fc.constantFrom(0, 0, 0.2, 0.5),
      clustered: fc.boolean(),
      targetIsPeer: fc.boolean(),
      ...overrides,
    })
    .map((raw) => {
      const r = raw as Record<string, unknown>;
      const k = r.k as number;
      const finishQ = r.finishQ as number | null;
      return {
        seed: r.seed as number,
        n: r.n as number,
        k,
        alpha: r.alpha as number,
        finish: finishQ === null ? 'strict' : Math.min(finishQ, k),
        queriesMax: r.queriesMax as number,
        // candidatesMax ≥ k, as the node configures it (2k).
        candidatesMax: Math.max(k, r.candidatesMax as number),
        seedsCount: r.seedsCount as number,
        deadFraction: r.deadFraction as number,
        slowFraction: r.slowFraction as number,
        clustered: r.clustered as boolean,
        targetIsPeer: r.targetIsPeer as boolean,
      };
    });

interface Built {
  readonly lookup: ClosestPeersLookup;
  readonly config: LookupConfig;
  readonly self: PeerRef;
  readonly peers: PeerRef[];
  readonly target: Id;
  readonly seeds: readonly PeerRef[];
  readonly behaviour: Map<string, Behaviour>;
  readonly random: Random;
}

function build(scenario: LookupScenario): Built {
  const random = seeded(scenario.seed);
  const self = peerRef(randomId(random), 'self');
  const peers = scenario.clustered ? clusterPool(self, scenario.n, random) : Array.from({ length: scenario.n }, (_, i) => peerRef(randomId(random), `p${i}`));
  const target = scenario.targetIsPeer ? peers[Math.floor(random.nextFloat() * peers.length)] : scenario.clustered ? idSharing(peers[0], 3, random) : randomId(random);
  const behaviour = new Map<string, Behaviour>();
  for (const peer of peers) {
    const roll = random.nextFloat();
    behaviour.set(idToHex(peer), roll < scenario.deadFraction ? 'dead' : roll < scenario.deadFraction + scenario.slowFraction ? 'slow' : 'alive');
  }
  // Seeds: some of our contacts, as the routing table would give them, plus us and a duplicate.
  const seeds = Array.from({ length: scenario.seedsCount }, () => peers[Math.floor(random.nextFloat() * peers.length)]);
  if (scenario.seedsCount > 2) seeds.push(self, seeds[0]);
  const config: LookupConfig = { k: scenario.k, alpha: scenario.alpha, finish: scenario.finish, queriesMax: scenario.queriesMax, candidatesMax: scenario.candidatesMax };
  return { lookup: new ClosestPeersLookup(target, self, seeds, config), config, self, peers, target, seeds, behaviour, random };
}

const driveOptions = (random: Random): DriveOptions => ({
  rtoMs: (peer) => 50 + (peer.head % 200),
  hardTimeoutRtos: 3,
  random,
});

// ---- properties ---------------------------------------------------------------------------------

describe('ClosestPeersLookup against a simulated network (§2.3)', () => {
  it('whatever peers answer: at most α waiting (k when stalled under strict), never itself, never twice, within budget and candidatesMax, and finishes exactly when its rule says', () => {
    fc.assert(
      fc.property(lookupScenario(), (scenario) => {
        const built = build(scenario);
        const network = gossipNetwork(built.self, built.peers, built.behaviour, built.random);
        drive(built.lookup, built.config, network, driveOptions(built.random));
      }),
      fcOptions(0x100c, 150),
    );
  });

  it('with all peers alive and omniscient, strict finds exactly the true k closest, and finishes only when all of them have answered', () => {
    fc.assert(
      fc.property(lookupScenario({ deadFraction: fc.constant(0), slowFraction: fc.constant(0), queriesMax: fc.constant(10_000), candidatesMax: fc.constant(10_000), finishQ: fc.constant(null), seedsCount: fc.integer({ min: 1, max: 20 }) }), (scenario) => {
        const built = build(scenario);
        const network = omniscientNetwork(built.self, built.peers, scenario.k, built.behaviour);
        const result = drive(built.lookup, built.config, network, driveOptions(built.random));
        const truth = naiveClosest(built.target, built.peers, scenario.k);
        assert.deepEqual(addresses(built.lookup.closestPeers(scenario.k)), addresses(truth));
        for (const peer of truth) assert.equal(result.sent.get(idToHex(peer))?.resolved, 'answered', '"the lookup terminates when the initiator has queried and gotten responses from the k closest nodes it has seen"');
      }),
      fcOptions(0x100d, 80),
    );
  });

  it('when every peer has a full Kademlia routing table (it knows its own neighbourhood), strict finds the true k closest', () => {
    fc.assert(
      fc.property(
        lookupScenario({ n: fc.integer({ min: 1, max: 70 }), deadFraction: fc.constant(0), slowFraction: fc.constant(0), queriesMax: fc.constant(10_000), candidatesMax: fc.constant(10_000), finishQ: fc.constant(null), seedsCount: fc.integer({ min: 1, max: 5 }), k: fc.constantFrom(1, 2, 3, 5, 8) }),
        (scenario) => {
          const built = build(scenario);
          const network = kademliaNetwork(built.self, built.peers, scenario.k, built.behaviour);
          drive(built.lookup, built.config, network, driveOptions(built.random));
          assert.deepEqual(addresses(built.lookup.closestPeers(scenario.k)), addresses(naiveClosest(built.target, built.peers, scenario.k)));
        },
      ),
      fcOptions(0x100e, 40),
    );
  });

  it('under the confirmed rule q, it finishes once the closest q have answered, and its result still starts with the true q closest', () => {
    fc.assert(
      fc.property(lookupScenario({ deadFraction: fc.constant(0), slowFraction: fc.constant(0), queriesMax: fc.constant(10_000), candidatesMax: fc.constant(10_000), finishQ: fc.integer({ min: 1, max: 20 }), seedsCount: fc.integer({ min: 1, max: 20 }) }), (scenario) => {
        const built = build(scenario);
        const network = omniscientNetwork(built.self, built.peers, scenario.k, built.behaviour);
        const result = drive(built.lookup, built.config, network, driveOptions(built.random));
        const q = scenario.finish as number;
        const truth = naiveClosest(built.target, built.peers, q);
        assert.deepEqual(addresses(built.lookup.closestPeers(q)), addresses(truth));
        for (const peer of truth) assert.equal(result.sent.get(idToHex(peer))?.resolved, 'answered');
        assert.ok(result.sent.size <= scenario.n);
      }),
      fcOptions(0x100f, 70),
    );
  });

  it('dead peers never stall it: with failures it still finishes, no failed peer is in the result, and strict returns the closest live peers it could learn of', () => {
    fc.assert(
      fc.property(lookupScenario({ deadFraction: fc.constantFrom(0.3, 0.7, 1), slowFraction: fc.constant(0), queriesMax: fc.constant(10_000), seedsCount: fc.integer({ min: 1, max: 20 }) }), (scenario) => {
        const built = build(scenario);
        const network = omniscientNetwork(built.self, built.peers, scenario.k, built.behaviour);
        const result = drive(built.lookup, built.config, network, driveOptions(built.random));
        const failed = new Set([...result.sent.values()].filter((s) => s.resolved === 'failed').map((s) => idToHex(s.peer)));
        for (const peer of built.lookup.closestPeers(scenario.k)) assert.ok(!failed.has(idToHex(peer)));
        // Failures of candidates already dropped for candidatesMax are not counted.
        if (scenario.candidatesMax >= 10_000) assert.equal(built.lookup.failures, failed.size);
        else assert.ok(built.lookup.failures <= failed.size);
        if (scenario.finish === 'strict' && scenario.candidatesMax >= 10_000) {
          // Peers learn of: the seeds, and (once any seed answers) the true k closest, which every answer names.
          const isLive = (peer: PeerRef): boolean => built.behaviour.get(idToHex(peer)) !== 'dead';
          const learnable = built.seeds.some(isLive) ? [...built.seeds, ...naiveClosest(built.target, built.peers, scenario.k)] : built.seeds;
          const unique = [...new Map(learnable.filter((peer) => !idEquals(peer, built.self)).map((peer) => [idToHex(peer), peer])).values()];
          assert.deepEqual(addresses(built.lookup.closestPeers(scenario.k)), addresses(naiveClosest(built.target, unique.filter(isLive), scenario.k)));
        }
      }),
      fcOptions(0x1010, 70),
    );
  });

  it('a slow peer (answering after its soft deadline) is presumed dead: it holds up nothing, but its late answer is taken', () => {
    fc.assert(
      fc.property(lookupScenario({ slowFraction: fc.constantFrom(0.5, 1), deadFraction: fc.constant(0), queriesMax: fc.constant(10_000), seedsCount: fc.integer({ min: 1, max: 20 }) }), (scenario) => {
        const built = build(scenario);
        const network = omniscientNetwork(built.self, built.peers, scenario.k, built.behaviour);
        const result = drive(built.lookup, built.config, network, driveOptions(built.random));
        // Everything in the result that was asked has answered.
        for (const peer of built.lookup.closestPeers(scenario.k)) {
          const record = result.sent.get(idToHex(peer));
          if (record) assert.notEqual(record.resolved, 'failed');
        }
        assert.equal(built.lookup.failures, 0);
      }),
      fcOptions(0x1011, 40),
    );
  });
});

// ---- deterministic scenarios --------------------------------------------------------------------

const self = bitsPeer('1111', 'self');
const target = bitsId('0000');
/** Candidates by distance to the target 0000…: p(1) = 0001 is the closest. */
const p = (n: number): PeerRef => bitsPeer(n.toString(2).padStart(8, '0'), `p${n}`);
const rto = (): number => 100;

function lookupOf(seeds: PeerRef[], overrides: Partial<LookupConfig> = {}): ClosestPeersLookup {
  return new ClosestPeersLookup(target, self, seeds, { k: 3, alpha: 2, finish: 'strict', queriesMax: 100, candidatesMax: 50, ...overrides });
}

function drain(lookup: ClosestPeersLookup, nowMs: number): PeerRef[] {
  const out: PeerRef[] = [];
  for (let peer = lookup.next(nowMs, rto); peer; peer = lookup.next(nowMs, rto)) out.push(peer);
  return out;
}

const names = (peers: readonly PeerRef[]): string[] => peers.map((peer) => peer.address);

describe('ClosestPeersLookup step by step', () => {
  it('asks the α closest first, then one more per answer', () => {
    const lookup = lookupOf([p(5), p(1), p(9), p(3)]);
    assert.deepEqual(names(drain(lookup, 0)), ['p1', 'p3']);
    lookup.onSuccess(p(1), []);
    assert.deepEqual(names(drain(lookup, 10)), ['p5']);
    assert.equal(lookup.queriesSent, 3);
  });

  it('skips ourselves and duplicates among seeds and referrals', () => {
    const lookup = lookupOf([p(2), self, p(2), peerRef(p(2), 'other-address')]);
    assert.deepEqual(names(lookup.closestPeers(10)), ['p2']);
    const newlySeen: PeerRef[] = [];
    assert.deepEqual(names(drain(lookup, 0)), ['p2']);
    lookup.onSuccess(p(2), [self, p(2), p(4), p(4)], newlySeen);
    assert.deepEqual(names(newlySeen), ['p4']);
    assert.deepEqual(names(lookup.closestPeers(10)), ['p2', 'p4']);
  });

  it('a peer silent past its soft deadline stops counting against α, and its late answer is still taken', () => {
    const lookup = lookupOf([p(1), p(2), p(3), p(4)], { alpha: 1 });
    assert.deepEqual(names(drain(lookup, 0)), ['p1']);
    assert.equal(lookup.nextDeadlineMs(), 100);
    assert.deepEqual(names(drain(lookup, 99)), []);
    assert.deepEqual(names(drain(lookup, 100)), ['p2'], 'p1 is unresponsive at its deadline');
    assert.equal(lookup.nextDeadlineMs(), 200);
    lookup.onSuccess(p(1), [p(8)]);
    assert.equal(lookup.answers, 1, 'the late answer counts');
    assert.ok(names(lookup.closestPeers(10)).includes('p8'));
    lookup.onFailure(p(1));
    assert.equal(lookup.failures, 0, 'a failure after the answer is ignored');
    assert.deepEqual(names(lookup.closestPeers(1)), ['p1']);
  });

  it('with nobody else to ask and no answer yet, a lookup waits for its silent request to answer or fail', () => {
    const lookup = lookupOf([p(1)]);
    assert.deepEqual(names(drain(lookup, 0)), ['p1']);
    assert.deepEqual(names(drain(lookup, 100)), [], 'p1 is past its soft deadline');
    assert.equal(lookup.isFinished(), false, 'the only contact may still answer (a slow first connection)');
    lookup.onSuccess(p(1), [p(2)]);
    assert.deepEqual(names(drain(lookup, 150)), ['p2'], 'its late answer moves the lookup on');
    lookup.onSuccess(p(2), []);
    drain(lookup, 160);
    assert.equal(lookup.isFinished(), true);
    assert.deepEqual(names(lookup.result(3)), ['p1', 'p2']);

    const failing = lookupOf([p(1)]);
    drain(failing, 0);
    drain(failing, 100);
    failing.onFailure(p(1));
    drain(failing, 300);
    assert.equal(failing.isFinished(), true, 'once the request fails for good, the lookup ends');
    assert.deepEqual(failing.result(3), []);
  });

  it('once someone has answered, a silent request holds up nothing', () => {
    const lookup = lookupOf([p(1), p(2)], { alpha: 2 });
    drain(lookup, 0);
    lookup.onSuccess(p(2), []);
    drain(lookup, 10);
    assert.equal(lookup.isFinished(), false, 'p1 is still within its soft deadline');
    drain(lookup, 100);
    assert.equal(lookup.isFinished(), true, 'p1 went silent and p2 has answered: done');
  });

  it('onFailure removes a peer from the results; an answer after the failure is ignored', () => {
    const lookup = lookupOf([p(1), p(2), p(3), p(4)]);
    drain(lookup, 0);
    lookup.onFailure(p(1));
    assert.equal(lookup.failures, 1);
    assert.deepEqual(names(lookup.closestPeers(3)), ['p2', 'p3', 'p4']);
    lookup.onSuccess(p(1), [p(6)]);
    assert.equal(lookup.answers, 0);
    assert.ok(!names(lookup.closestPeers(10)).includes('p6'));
    // Answers and failures from peers never asked are ignored too.
    lookup.onSuccess(p(4), [p(7)]);
    lookup.onFailure(p(4));
    assert.equal(lookup.answers + lookup.failures, 1);
  });

  it('under strict it finishes when the k closest it has seen have all answered, not before', () => {
    const lookup = lookupOf([p(1), p(2), p(3), p(4)], { k: 3, alpha: 3 });
    assert.deepEqual(names(drain(lookup, 0)), ['p1', 'p2', 'p3']);
    lookup.onSuccess(p(1), []);
    lookup.onSuccess(p(3), []);
    assert.deepEqual(drain(lookup, 1), []);
    assert.equal(lookup.isFinished(), false, 'p2 has not answered');
    lookup.onSuccess(p(2), []);
    assert.deepEqual(drain(lookup, 2), []);
    assert.equal(lookup.isFinished(), true, 'p4 need not be asked: it is not among the k = 3 closest');
    assert.equal(lookup.queriesSent, 3);
  });

  it('under strict, a failed peer makes room: the next closest must answer too', () => {
    const lookup = lookupOf([p(1), p(2), p(3), p(4)], { k: 3, alpha: 3 });
    drain(lookup, 0);
    lookup.onSuccess(p(1), []);
    lookup.onSuccess(p(2), []);
    lookup.onFailure(p(3));
    assert.deepEqual(names(drain(lookup, 1)), ['p4']);
    lookup.onSuccess(p(4), []);
    drain(lookup, 2);
    assert.equal(lookup.isFinished(), true);
    assert.deepEqual(names(lookup.closestPeers(3)), ['p1', 'p2', 'p4']);
  });

  it('under a number q it finishes when the closest q have answered, the rest unasked', () => {
    const lookup = lookupOf([p(1), p(2), p(3), p(4), p(5)], { k: 4, alpha: 1, finish: 2 });
    assert.deepEqual(names(drain(lookup, 0)), ['p1']);
    lookup.onSuccess(p(1), []);
    assert.deepEqual(names(drain(lookup, 1)), ['p2']);
    lookup.onSuccess(p(2), []);
    assert.deepEqual(drain(lookup, 2), []);
    assert.equal(lookup.isFinished(), true);
    assert.deepEqual(names(lookup.closestPeers(4)), ['p1', 'p2', 'p3', 'p4'], 'the result is still the k closest seen');
  });

  it('with fewer candidates than k, it finishes when all of them have answered', () => {
    const lookup = lookupOf([p(1)], { k: 20, alpha: 3 });
    assert.deepEqual(names(drain(lookup, 0)), ['p1']);
    lookup.onSuccess(p(1), []);
    assert.deepEqual(drain(lookup, 1), []);
    assert.ok(lookup.isFinished());
  });

  it('with no seeds it finishes at once', () => {
    const lookup = lookupOf([]);
    assert.equal(lookup.next(0, rto), null);
    assert.ok(lookup.isFinished());
    assert.deepEqual(lookup.closestPeers(3), []);
    assert.equal(lookup.closestHop(), 0);
    assert.equal(lookup.closestAnswered(() => false), undefined);
  });

  it('reopen: after every candidate failed unanswered it drops them, takes new first-hop seeds and runs again; not once anyone answered', () => {
    const lookup = lookupOf([p(1), p(2)], { k: 2, alpha: 2 });
    assert.deepEqual(names(drain(lookup, 0)), ['p1', 'p2']);
    lookup.onFailure(p(1));
    lookup.onFailure(p(2));
    assert.deepEqual(drain(lookup, 1), []);
    assert.ok(lookup.isFinished());
    assert.deepEqual(names(lookup.failedPeers()), ['p1', 'p2']);
    assert.equal(lookup.reopen([p(3), p(4)]), true);
    assert.equal(lookup.isFinished(), false);
    assert.deepEqual(lookup.failedPeers(), [], 'the failed candidates are gone');
    assert.deepEqual(names(drain(lookup, 2)), ['p3', 'p4']);
    assert.equal(lookup.hopOf(p(3)), 1, 'new seeds are first-hop candidates');
    lookup.onSuccess(p(3), []);
    lookup.onSuccess(p(4), []);
    drain(lookup, 3);
    assert.ok(lookup.isFinished());
    assert.deepEqual(names(lookup.closestPeers(2)), ['p3', 'p4']);
    assert.equal(lookup.reopen([p(5)]), false, 'a lookup that had an answer is left as it is');
    assert.ok(lookup.isFinished());
  });

  it('reopen with nobody new to ask, or with the query budget spent, leaves it finished', () => {
    const lookup = lookupOf([p(1)], { k: 2, alpha: 2, queriesMax: 1 });
    drain(lookup, 0);
    lookup.onFailure(p(1));
    drain(lookup, 1);
    assert.equal(lookup.reopen([p(2)]), false, 'the budget is spent');
    const other = lookupOf([p(1)], { k: 2, alpha: 2 });
    drain(other, 0);
    other.onFailure(p(1));
    drain(other, 1);
    assert.equal(other.reopen([]), false);
    assert.ok(other.isFinished());
  });

  it('finish() ends it at once', () => {
    const lookup = lookupOf([p(1), p(2)]);
    lookup.finish();
    assert.equal(lookup.next(0, rto), null);
    assert.ok(lookup.isFinished());
  });

  it('queriesSent never exceeds queriesMax; with the budget spent it finishes once nothing is waiting', () => {
    const lookup = lookupOf([p(1), p(2), p(3), p(4), p(5)], { k: 5, alpha: 3, queriesMax: 2 });
    assert.deepEqual(names(drain(lookup, 0)), ['p1', 'p2']);
    lookup.onSuccess(p(1), [p(6)]);
    assert.deepEqual(drain(lookup, 1), []);
    assert.equal(lookup.isFinished(), false, 'p2 may still answer');
    lookup.onSuccess(p(2), []);
    assert.deepEqual(drain(lookup, 2), []);
    assert.ok(lookup.isFinished());
    assert.equal(lookup.queriesSent, 2);
  });

  it('with the budget spent, a peer past its soft deadline does not hold up the end (it is presumed dead)', () => {
    const lookup = lookupOf([p(1), p(2), p(3)], { k: 3, alpha: 3, queriesMax: 2 });
    assert.deepEqual(names(drain(lookup, 0)), ['p1', 'p2']);
    lookup.onSuccess(p(1), []);
    assert.deepEqual(drain(lookup, 99), []);
    assert.equal(lookup.isFinished(), false);
    assert.deepEqual(drain(lookup, 100), []);
    assert.equal(lookup.isFinished(), true);
    assert.deepEqual(names(lookup.closestPeers(3)), ['p1', 'p3'], 'the silent p2 is left out of the result');
  });

  it('under strict, a peer past its soft deadline does not hold up the end, and leaves the result until it answers', () => {
    const lookup = lookupOf([p(1), p(2), p(3), p(4)], { k: 3, alpha: 3 });
    assert.deepEqual(names(drain(lookup, 0)), ['p1', 'p2', 'p3']);
    lookup.onSuccess(p(2), []);
    lookup.onSuccess(p(3), []);
    // p1 is silent past its deadline: p4 takes its place among the k closest and is asked.
    assert.deepEqual(names(drain(lookup, 100)), ['p4']);
    assert.deepEqual(names(lookup.closestPeers(3)), ['p2', 'p3', 'p4']);
    lookup.onSuccess(p(1), []);
    assert.deepEqual(names(lookup.closestPeers(3)), ['p1', 'p2', 'p3'], 'its late answer brings it back');
    assert.deepEqual(drain(lookup, 101), []);
    assert.ok(lookup.isFinished(), 'the k closest live candidates have answered (p4 is still waiting, but no longer among them)');
  });

  it('stalls under strict after α answers without progress, then asks all of the k closest not yet asked', () => {
    const lookup = lookupOf([p(1), p(2), p(3), p(4), p(5), p(6), p(7)], { k: 5, alpha: 2 });
    assert.deepEqual(names(drain(lookup, 0)), ['p1', 'p2']);
    lookup.onSuccess(p(1), [p(9)]);
    assert.deepEqual(names(drain(lookup, 1)), ['p3'], 'one answer without progress: still α at a time');
    lookup.onSuccess(p(2), [p(10)]);
    // α = 2 answers in a row brought nobody closer than p1: the lookup asks the rest of the k = 5 closest.
    assert.deepEqual(names(drain(lookup, 2)), ['p4', 'p5']);
    // Progress ends the stall: back to α at a time.
    lookup.onSuccess(p(3), [bitsPeer('00000000001', 'closer')]);
    assert.deepEqual(names(drain(lookup, 3)), []);
    lookup.onSuccess(p(4), []);
    lookup.onSuccess(p(5), []);
    assert.deepEqual(names(drain(lookup, 4)), ['closer']);
  });

  it('does not burst when stalled under the confirmed rule: α at a time reaches the closest q', () => {
    const lookup = lookupOf([p(1), p(2), p(3), p(4), p(5), p(6), p(7)], { k: 5, alpha: 2, finish: 4 });
    drain(lookup, 0);
    lookup.onSuccess(p(1), []);
    assert.deepEqual(names(drain(lookup, 1)), ['p3']);
    lookup.onSuccess(p(2), []);
    assert.deepEqual(names(drain(lookup, 2)), ['p4'], 'only α = 2 waiting');
  });

  it('counts hops: seeds are hop 1, referrals their referrer + 1, and the shortest chain wins', () => {
    const lookup = lookupOf([p(4), p(8)], { k: 5, alpha: 2 });
    assert.equal(lookup.closestHop(), 1);
    drain(lookup, 0);
    lookup.onSuccess(p(8), [p(6)]); // p6: hop 2
    drain(lookup, 1);
    lookup.onSuccess(p(6), [p(2)]); // p2: hop 3
    assert.equal(lookup.closestHop(), 3);
    lookup.onSuccess(p(4), [p(2), p(1)]); // p2 now reached in 2 hops; p1 in 2
    assert.equal(lookup.closestHop(), 2);
    drain(lookup, 2);
    lookup.onFailure(p(1));
    assert.equal(lookup.closestHop(), 2, 'p2, reached through p4');
    drain(lookup, 3);
    lookup.onSuccess(p(2), [p(3)]);
    assert.equal(lookup.closestHop(), 2);
    lookup.addPeers([p(2)], 1);
    assert.equal(lookup.closestHop(), 1, 'a later, shorter chain lowers the hop count');
  });

  it('closestAnswered names the closest peer that answered (bar exceptions), with how many live candidates are closer', () => {
    const lookup = lookupOf([p(1), p(2), p(3), p(4)], { k: 4, alpha: 4 });
    assert.equal(lookup.closestAnswered(() => false), undefined);
    drain(lookup, 0);
    lookup.onSuccess(p(3), []);
    lookup.onSuccess(p(4), []);
    lookup.onFailure(p(1));
    assert.deepEqual(lookup.closestAnswered(() => false), { peer: p(3), closerCount: 1 });
    const except3 = lookup.closestAnswered((peer) => idEquals(peer, p(3)));
    assert.equal(except3?.peer.address, 'p4');
    assert.equal(except3?.closerCount, 2, 'p2 (waiting) and p3 (excepted) are closer; the failed p1 does not count');
  });

  it('keeps at most candidatesMax candidates, the closest ones', () => {
    const seeds = Array.from({ length: 30 }, (_, i) => p(i + 1)).reverse();
    const lookup = lookupOf(seeds, { k: 3, candidatesMax: 7 });
    assert.deepEqual(names(lookup.closestPeers(100)), ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']);
    const newlySeen: PeerRef[] = [];
    drain(lookup, 0);
    lookup.onSuccess(p(1), [p(40), bitsPeer('000000000001', 'near'), p(6)], newlySeen);
    assert.deepEqual(names(newlySeen), ['near'], 'farther than all kept candidates: not even seen');
    assert.deepEqual(names(lookup.closestPeers(100)), ['near', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  });

  it('a waiting candidate pushed out by candidatesMax no longer counts against α, and its answer is ignored', () => {
    const lookup = lookupOf([p(5), p(6)], { k: 2, alpha: 2, candidatesMax: 2 });
    assert.deepEqual(names(drain(lookup, 0)), ['p5', 'p6']);
    lookup.onSuccess(p(5), [p(1), p(2)]);
    assert.deepEqual(names(lookup.closestPeers(10)), ['p1', 'p2']);
    assert.deepEqual(names(drain(lookup, 1)), ['p1', 'p2']);
    lookup.onSuccess(p(6), [p(3)]);
    assert.equal(lookup.answers, 1);
  });
});
