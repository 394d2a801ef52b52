/**
 * A holder's maintenance round, scenario by scenario from the sentences (Carbonite's grace
 * period and re-integration, hand-off to closer nodes, one repairer per key, erasure indexes), then
 * properties over random rounds. Peers are named by rank: peer n is the n-th closest to the key.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { PeerRef } from '../../../../src/core/peer.ts';
import type { HolderState } from '../../../../src/services/storage/durability/repair-plan.ts';
import { defaultRepairPolicy, RepairAction, type RepairPolicy } from '../../../../src/services/storage/durability/repair-policy.ts';
import type { Redundancy } from '../../../../src/services/storage/durability/redundancy.ts';
import { withStoredPiece, type HaveAnswer, type PieceHolder } from '../../../../src/services/storage/placement/holder-record.ts';
import { HoldingDefaults, peersToAsk, planHolding, type HoldingInput, type HoldingPlan } from '../../../../src/services/storage/placement/holding-plan.ts';
import { KEY, peerAt, rankOf, ranksOf } from './support.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const NOW = 100 * DAY_MS;
const three: Redundancy = { kind: 'replicate', copies: 3 };
const twoPlusTwo: Redundancy = { kind: 'erasure', dataFragments: 2, parityFragments: 2 };
const policy = defaultRepairPolicy(three); // r_L = 3, extras 3, grace 3 days
const erasurePolicy = defaultRepairPolicy(twoPlusTwo); // r_L = 3 of 4

/** A record entry for peer `rank`, last seen `silentMs` ago, holding `fragmentIndex`. */
function held(rank: number, silentMs = 0, fragmentIndex: number | null = null, presumedGone = silentMs >= policy.graceMs): HolderState<PieceHolder> {
  return { holder: { peer: peerAt(rank), fragmentIndex }, lastSeenAtMs: NOW - silentMs, answeredLatestCheck: silentMs === 0, presumedGone };
}

function have(rank: number, fragmentIndex: number | null = null): HaveAnswer {
  return { peer: peerAt(rank), fragmentIndex };
}

function peers(...ranks: number[]): PeerRef[] {
  return ranks.map((rank) => peerAt(rank));
}

function plan(input: Partial<HoldingInput> & Pick<HoldingInput, 'record' | 'haves' | 'closest'>): HoldingPlan {
  return planHolding({ redundancy: three, policy, key: KEY, self: peerAt(1), ownFragmentIndex: null, nowMs: NOW, ...input });
}

const storedRanks = (p: HoldingPlan) => p.storeOn.map((s) => rankOf(s.peer));
const recordRanks = (p: HoldingPlan) => p.record.map((s) => rankOf(s.holder.peer));

describe('replication: the steady state', () => {
  it('all R closest hold and answer: nothing to do, look again after the check interval', () => {
    const p = plan({ record: [held(1), held(2), held(3)], haves: [have(2), have(3)], closest: peers(1, 2, 3, 4, 5, 6) });
    assert.equal(p.action, RepairAction.none);
    assert.equal(p.acting, true);
    assert.deepEqual(p.storeOn, []);
    assert.deepEqual(p.drop, []);
    assert.deepEqual(recordRanks(p), [1, 2, 3]);
    assert.equal(p.nextCheckAtMs, NOW + HoldingDefaults.checkIntervalMs);
  });

  it('a key just stored by us: the closest nodes lacking it get copies', () => {
    const p = plan({ record: [], haves: [], closest: peers(5, 2, 3, 4) });
    assert.deepEqual(storedRanks(p), [2, 3]);
    assert.equal(p.action, RepairAction.repair);
  });
});

describe('replication: Carbonite', () => {
  it('a transient failure within the grace period: no repair, and no hand-off to the node that would replace it', () => {
    // Peer 3 has been silent a day; the lookup no longer returns it, and returns peer 4 instead.
    const p = plan({ record: [held(1), held(2), held(3, DAY_MS)], haves: [have(2)], closest: peers(1, 2, 4, 5), checkIntervalMs: 7 * DAY_MS });
    assert.equal(p.action, RepairAction.none);
    assert.deepEqual(p.storeOn, []);
    assert.deepEqual(p.counts, { reachable: 2, suspect: 1, presumedGone: 0 });
    assert.equal(p.nextCheckAtMs, NOW - DAY_MS + policy.graceMs, 'look again when its grace period ends');
  });

  it('beyond the grace period: presumed gone, and a copy made on the closest node that holds nothing', () => {
    const p = plan({ record: [held(1), held(2), held(3, 4 * DAY_MS, null, false)], haves: [have(2)], closest: peers(1, 2, 4, 5) });
    assert.equal(p.action, RepairAction.repair);
    assert.deepEqual(storedRanks(p), [4]);
    assert.deepEqual(ranksOf(p.presumedGone), [3]);
    assert.deepEqual(recordRanks(p), [1, 2, 3], 'it stays in the record in case it comes back');
    assert.ok(p.record[2].presumedGone);
  });

  it('the new copy, once stored, is remembered and counted', () => {
    const first = plan({ record: [held(1), held(2), held(3, 4 * DAY_MS, null, false)], haves: [have(2)], closest: peers(1, 2, 4, 5) });
    const record = withStoredPiece(first.record, peerAt(4), null, NOW);
    const next = plan({ record, haves: [have(2), have(4)], closest: peers(1, 2, 4, 5), nowMs: NOW + HOUR_MS });
    assert.equal(next.action, RepairAction.none);
    assert.deepEqual(next.storeOn, []);
    assert.deepEqual(next.counts, { reachable: 3, suspect: 0, presumedGone: 1 });
  });

  it('a holder that comes back is re-integrated: counted again, and nothing is deleted', () => {
    const p = plan({ record: [held(1), held(2), held(3, 5 * DAY_MS, null, true), held(4)], haves: [have(2), have(3), have(4)], closest: peers(1, 2, 3, 4, 5) });
    assert.deepEqual(ranksOf(p.reintegrated), [3]);
    assert.deepEqual(p.drop, []);
    assert.deepEqual(p.storeOn, []);
    assert.deepEqual(recordRanks(p), [1, 2, 3, 4]);
    assert.equal(p.record[2].presumedGone, false);
    assert.deepEqual(p.counts, { reachable: 4, suspect: 0, presumedGone: 0 });
  });

  it('a holder that says it lost the key is dropped from the record at once and replaced, no grace owed', () => {
    const p = plan({ record: [held(1), held(2), held(3)], haves: [have(2)], lacks: peers(3), closest: peers(1, 2, 3, 4) });
    assert.deepEqual(ranksOf(p.lost), [3]);
    assert.deepEqual(recordRanks(p), [1, 2]);
    assert.deepEqual(storedRanks(p), [3], 'it is the closest node holding nothing, so it gets the copy back');
  });

  it('a holder silent past forgetAfterMs is forgotten', () => {
    const p = plan({ record: [held(1), held(2), held(3), held(4, 61 * DAY_MS)], haves: [have(2), have(3)], closest: peers(1, 2, 3) });
    assert.deepEqual(ranksOf(p.forgotten), [4]);
    assert.deepEqual(recordRanks(p), [1, 2, 3]);
  });
});

describe('replication: hand-off to a newly joined closer node', () => {
  it('a node joins among the R closest: it gets a copy although the count is met', () => {
    // We (peer 2) hold with 3 and 4; peer 1 has just joined.
    const p = plan({ self: peerAt(2), record: [held(2), held(3), held(4)], haves: [have(3), have(4)], closest: peers(1, 2, 3, 4, 5) });
    assert.equal(p.action, RepairAction.none);
    assert.deepEqual(storedRanks(p), [1]);
    assert.deepEqual(p.drop, [], 'nothing is dropped before the new copy answers');
  });

  it('once it holds, the farthest holder beyond R + extras is dropped — never one of the R closest', () => {
    // Peer 1, the newcomer, now holds and is the closest reachable holder: the repairer.
    const tight: RepairPolicy = { ...policy, extraPiecesMax: 0, recordedPiecesMax: 6 };
    const p = plan({ policy: tight, self: peerAt(1), record: [held(2), held(3), held(4), held(1)], haves: [have(2), have(3), have(4)], closest: peers(1, 2, 3, 4, 5) });
    assert.equal(p.acting, true);
    assert.equal(p.action, RepairAction.surplus);
    assert.deepEqual(ranksOf(p.drop), [4]);
    assert.deepEqual(recordRanks(p), [2, 3, 1]);
  });

  it('the same round seen by a holder that is not the repairer: it drops nothing', () => {
    const tight: RepairPolicy = { ...policy, extraPiecesMax: 0, recordedPiecesMax: 6 };
    const p = plan({ policy: tight, self: peerAt(2), record: [held(2), held(3), held(4), held(1)], haves: [have(1), have(3), have(4)], closest: peers(1, 2, 3, 4, 5) });
    assert.equal(rankOf(p.repairer), 1);
    assert.equal(p.acting, false);
    assert.deepEqual(p.drop, []);
    assert.deepEqual(recordRanks(p), [2, 3, 4, 1]);
  });

  it('surplus goes farthest first', () => {
    const tight: RepairPolicy = { ...policy, extraPiecesMax: 0, recordedPiecesMax: 6 };
    const p = plan({ policy: tight, self: peerAt(1), record: [held(1), held(2), held(3), held(4), held(6)], haves: [have(2), have(3), have(4), have(6)], closest: peers(1, 2, 3, 4, 5) });
    assert.deepEqual(ranksOf(p.drop), [6, 4]);
    assert.deepEqual(recordRanks(p), [1, 2, 3]);
  });
});

describe('one repairer per key', () => {
  it('only the closest reachable holder acts; the others only keep their record', () => {
    const record = [held(1), held(2), held(3), held(4, 4 * DAY_MS, null, false), held(5, 4 * DAY_MS, null, false)];
    const closest = peers(1, 2, 3, 6, 7);
    // Peer 3 has just lost its copy and says so: two counted, below r_L = 3.
    const byRank = (self: number) => plan({
      self: peerAt(self), record, haves: [1, 2].filter((r) => r !== self).map((r) => have(r)), lacks: self === 3 ? [] : peers(3), closest,
    });
    const views = [byRank(1), byRank(2)];
    assert.deepEqual(views.map((v) => v.acting), [true, false]);
    assert.ok(views.every((v) => rankOf(v.repairer) === 1));
    assert.ok(views.every((v) => v.action === RepairAction.repair), 'they agree on what is to be done');
    assert.deepEqual(views.map((v) => storedRanks(v)), [[3], []]);
    assert.deepEqual(views.map((v) => recordRanks(v)), [[1, 2, 4, 5], [1, 2, 4, 5]]);
  });

  it('when the closest holder falls silent, the next closest reachable one takes over', () => {
    const p = plan({ self: peerAt(2), record: [held(1, 4 * DAY_MS, null, false), held(2), held(3)], haves: [have(3)], closest: peers(2, 3, 4) });
    assert.equal(rankOf(p.repairer), 2);
    assert.equal(p.acting, true);
    assert.deepEqual(storedRanks(p), [4]);
  });
});

describe('answers are checked', () => {
  it('an answer from a stranger, a bad index, or a second answer is ignored and reported', () => {
    const p = plan({
      record: [held(1), held(2), held(3)],
      haves: [have(2), have(2), have(3, 4), have(40)],
      closest: peers(1, 2, 3, 4),
    });
    assert.deepEqual(p.ignoredAnswers.map((a) => [rankOf(a.peer), a.reason]), [
      [2, 'answered twice in one round'],
      [3, 'a replicated key has no fragment 4'],
      [40, 'not a holder and not among the closest nodes asked'],
    ]);
    assert.deepEqual(recordRanks(p), [1, 2, 3]);
    assert.equal(p.record[2].answeredLatestCheck, false, 'a bad answer is not an answer');
  });

  it('a closest node that already holds a piece joins the record; the record never outgrows its bound', () => {
    const small: RepairPolicy = { ...policy, extraPiecesMax: 0, recordedPiecesMax: 3 };
    const p = plan({ policy: small, record: [held(1), held(2)], haves: [have(2), have(3), have(4)], closest: peers(1, 2, 3, 4) });
    assert.deepEqual(recordRanks(p), [1, 2, 3]);
    assert.deepEqual(p.ignoredAnswers.map((a) => [rankOf(a.peer), a.reason]), [[4, 'the holder record is full']]);
  });

  it('too few nodes known: what could not be placed is counted, never doubled up', () => {
    const p = plan({ record: [], haves: [], closest: peers(2) });
    assert.deepEqual(storedRanks(p), [2]);
    assert.equal(p.unplacedPieces, 1);
  });

  it('a record or own piece that does not fit the scheme is a bug in the caller', () => {
    assert.throws(() => plan({ record: [held(2, 0, 1)], haves: [], closest: [] }), RangeError);
    assert.throws(() => plan({ ownFragmentIndex: 0, record: [], haves: [], closest: [] }), RangeError);
  });
});

describe('erasure', () => {
  const eplan = (input: Partial<HoldingInput> & Pick<HoldingInput, 'record' | 'haves' | 'closest'>) =>
    plan({ redundancy: twoPlusTwo, policy: erasurePolicy, ownFragmentIndex: 0, ...input });
  const stored = (p: HoldingPlan) => p.storeOn.map((s) => [rankOf(s.peer), s.fragmentIndex, s.copyFrom === null ? null : rankOf(s.copyFrom)]);

  it('missing indexes are created on the closest nodes that hold nothing, to be rebuilt from K', () => {
    const p = eplan({
      record: [held(1, 0, 0), held(2, 0, 1), held(3, 4 * DAY_MS, 2, false), held(4, 5 * DAY_MS, 3, false)],
      haves: [have(2, 1)], closest: peers(1, 2, 5, 6, 7),
    });
    assert.equal(p.action, RepairAction.repair);
    assert.deepEqual(stored(p), [[5, 2, null], [6, 3, null]]);
  });

  it('lazy: one fragment within the threshold is not repaired', () => {
    const p = eplan({
      record: [held(1, 0, 0), held(2, 0, 1), held(3, 0, 2), held(4, 4 * DAY_MS, 3, false)],
      haves: [have(2, 1), have(3, 2)], closest: peers(1, 2, 3, 5),
    });
    assert.equal(p.action, RepairAction.none);
    assert.deepEqual(p.storeOn, []);
  });

  it('fewer than K reachable fragments: blocked, retried after retryIntervalMs', () => {
    const p = eplan({
      record: [held(1, 0, 0), held(2, 4 * DAY_MS, 1, false), held(3, 4 * DAY_MS, 2, false), held(4, 4 * DAY_MS, 3, false)],
      haves: [], closest: peers(1, 5, 6, 7),
    });
    assert.equal(p.action, RepairAction.blocked);
    assert.deepEqual(p.storeOn, []);
    assert.equal(p.nextCheckAtMs, NOW + erasurePolicy.retryIntervalMs);
  });

  it('two holders of one index count as one piece', () => {
    const p = eplan({
      record: [held(1, 0, 0), held(2, 0, 0), held(3, 0, 1), held(4, 4 * DAY_MS, 2, false), held(5, 4 * DAY_MS, 3, false)],
      haves: [have(2, 0), have(3, 1)], closest: peers(1, 2, 3, 6, 7),
    });
    assert.deepEqual(p.counts, { reachable: 2, suspect: 0, presumedGone: 2 });
    assert.equal(p.action, RepairAction.repair);
    assert.deepEqual(stored(p).map((s) => s[1]), [2, 3]);
  });

  it('a closer node joins: it takes over the fragment of the farthest holder, copied from it', () => {
    const p = eplan({
      self: peerAt(2), ownFragmentIndex: 0,
      record: [held(2, 0, 0), held(3, 0, 1), held(4, 0, 2), held(5, 0, 3)],
      haves: [have(3, 1), have(4, 2), have(5, 3)], closest: peers(1, 2, 3, 4, 5),
    });
    assert.equal(p.action, RepairAction.none);
    assert.deepEqual(stored(p), [[1, 3, 5]]);
    assert.deepEqual(p.drop, []);
  });

  it('once the newcomer holds it, the old holder of that index, outside the K+M closest, is dropped', () => {
    const p = eplan({
      self: peerAt(1), ownFragmentIndex: 3,
      record: [held(2, 0, 0), held(3, 0, 1), held(4, 0, 2), held(5, 0, 3), held(1, 0, 3)],
      haves: [have(2, 0), have(3, 1), have(4, 2), have(5, 3)], closest: peers(1, 2, 3, 4, 5),
    });
    assert.deepEqual(ranksOf(p.drop), [5]);
    assert.deepEqual(recordRanks(p), [2, 3, 4, 1]);
    assert.deepEqual(p.storeOn, []);
  });

  it('a returning holder whose index was re-created is a duplicate: dropped if outside the K+M closest', () => {
    const p = eplan({
      record: [held(1, 0, 0), held(2, 0, 1), held(3, 0, 2), held(4, 0, 3), held(9, 10 * DAY_MS, 3, true)],
      haves: [have(2, 1), have(3, 2), have(4, 3), have(9, 3)], closest: peers(1, 2, 3, 4, 9),
    });
    assert.deepEqual(ranksOf(p.reintegrated), [9]);
    assert.deepEqual(ranksOf(p.drop), [9]);
  });

  it('a fragment answer with no index, or out of range, is ignored', () => {
    const p = eplan({ record: [held(1, 0, 0)], haves: [have(2, null), have(3, 4)], closest: peers(1, 2, 3) });
    assert.equal(p.ignoredAnswers.length, 2);
  });
});

describe('peersToAsk', () => {
  it('the record and the target-many closest, closest first, without ourselves or duplicates', () => {
    const record = [held(1), held(7), held(3)];
    assert.deepEqual(ranksOf(peersToAsk(three, KEY, peerAt(1), record, peers(4, 2, 1, 3, 5, 2))), [2, 3, 4, 7]);
  });
});

describe('properties over random rounds', () => {
  it('the record stays bounded and distinct, we stay in it, stores go only to non-holders, drops never hit us or the target set', () => {
    const scheme = fc.constantFrom<Redundancy>(three, twoPlusTwo, { kind: 'replicate', copies: 1 }, { kind: 'erasure', dataFragments: 3, parityFragments: 3 });
    const roundArb = fc.record({
      closest: fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 12 }),
      answering: fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 12 }),
      lacking: fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 2 }),
      elapsedMs: fc.integer({ min: 0, max: 10 * DAY_MS }),
      storesSucceed: fc.boolean(),
    });
    fc.assert(
      fc.property(scheme, fc.integer({ min: 1, max: 30 }), fc.array(roundArb, { minLength: 1, maxLength: 15 }), (redundancy, selfRank, rounds) => {
        const policy = defaultRepairPolicy(redundancy);
        const total = redundancy.kind === 'replicate' ? null : redundancy.dataFragments + redundancy.parityFragments;
        const self = peerAt(selfRank);
        const own = total === null ? null : selfRank % total;
        let record: HolderState<PieceHolder>[] = [];
        let nowMs = NOW;
        for (const round of rounds) {
          nowMs += round.elapsedMs;
          const indexOf = (rank: number) => (total === null ? null : (rank * 7) % total);
          const p = planHolding({
            redundancy, policy, key: KEY, self, ownFragmentIndex: own, nowMs,
            closest: peers(...round.closest), record,
            haves: round.answering.map((rank) => have(rank, indexOf(rank))), lacks: peers(...round.lacking),
          });
          const ids = p.record.map((s) => rankOf(s.holder.peer));
          assert.equal(new Set(ids).size, ids.length, 'no peer twice');
          assert.ok(ids.includes(selfRank), 'we are in our own record');
          assert.ok(p.record.length <= policy.recordedPiecesMax, `record of ${p.record.length}`);
          assert.ok(p.nextCheckAtMs > nowMs && p.nextCheckAtMs <= nowMs + HoldingDefaults.checkIntervalMs);
          if (!p.acting) assert.deepEqual([p.storeOn.length, p.drop.length], [0, 0]);
          const holderRanks = new Set(ids.concat(p.drop.map(rankOf)));
          for (const s of p.storeOn) {
            assert.ok(!holderRanks.has(rankOf(s.peer)), 'stores go to nodes that hold nothing');
            assert.ok(round.closest.includes(rankOf(s.peer)), 'and that the lookup returned');
          }
          assert.equal(new Set(p.storeOn.map((s) => rankOf(s.peer))).size, p.storeOn.length, 'one piece per node');
          for (const d of p.drop) assert.notEqual(rankOf(d), selfRank);
          if (total !== null && p.action === RepairAction.repair) {
            const created = new Set(p.storeOn.filter((s) => s.copyFrom === null).map((s) => s.fragmentIndex));
            const counted = new Set(p.record.filter((s) => s.answeredLatestCheck || !s.presumedGone).map((s) => s.holder.fragmentIndex));
            for (const index of created) assert.ok(!counted.has(index), 'only uncounted indexes are rebuilt');
          }
          record = p.record.slice();
          if (round.storesSucceed) for (const s of p.storeOn) record = withStoredPiece(record, s.peer, s.fragmentIndex, nowMs);
        }
      }),
      { seed: 51, numRuns: 400 },
    );
  });
});
