/**
 * The repair policy over one object's holder record, as a real node will run it: hand-made cases
 * for each of Carbonite's ideas (a grace period before presuming a holder gone, a repair threshold,
 * re-integration of returning holders, bounded extras), then properties over random records.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planRepair, type HolderState } from '../../../../src/services/storage/durability/repair-plan.ts';
import { RepairPlanner, type HolderTable } from '../../../../src/services/storage/durability/repair-planner.ts';
import { classifyHolder, decideFromCounts, HolderStatus, RepairAction, type RepairPolicy } from '../../../../src/services/storage/durability/repair-policy.ts';
import { piecesNeeded, piecesTarget, type Redundancy } from '../../../../src/services/storage/durability/redundancy.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const NOW = 1000 * DAY_MS;
const three: Redundancy = { kind: 'replicate', copies: 3 };
const fourPlusTwo: Redundancy = { kind: 'erasure', dataFragments: 4, parityFragments: 2 };

const policy: RepairPolicy = {
  repairBelowPieces: 3, extraPiecesMax: 2, recordedPiecesMax: 8, graceMs: 4 * DAY_MS, forgetAfterMs: 60 * DAY_MS, retryIntervalMs: HOUR_MS,
};
const erasurePolicy: RepairPolicy = { ...policy, repairBelowPieces: 5, extraPiecesMax: 2, recordedPiecesMax: 14 };

/** A holder that answered the latest check. */
function up(holder: string): HolderState<string> {
  return { holder, lastSeenAtMs: NOW, answeredLatestCheck: true, presumedGone: false };
}

/** A holder silent for `silentMs`; `presumedGone` is what the previous plan concluded. */
function down(holder: string, silentMs: number, presumedGone = silentMs >= policy.graceMs): HolderState<string> {
  return { holder, lastSeenAtMs: NOW - silentMs, answeredLatestCheck: false, presumedGone };
}

describe('the grace period', () => {
  it('a holder down for less than the grace period still counts: no repair, look again when it ends', () => {
    const plan = planRepair(three, policy, [up('a'), up('b'), down('c', DAY_MS)], NOW);
    assert.equal(plan.action, RepairAction.none);
    assert.equal(plan.create, 0);
    assert.deepEqual(plan.counts, { reachable: 2, suspect: 1, presumedGone: 0 });
    assert.deepEqual(plan.presumeGone, []);
    assert.equal(plan.nextCheckAtMs, NOW - DAY_MS + policy.graceMs);
  });

  it('beyond the grace period it is presumed gone, and the object is repaired back to R', () => {
    const plan = planRepair(three, policy, [up('a'), up('b'), down('c', policy.graceMs, false)], NOW);
    assert.equal(plan.action, RepairAction.repair);
    assert.equal(plan.create, 1);
    assert.deepEqual(plan.presumeGone, ['c']);
    // It stays in the record (it may come back) until forgetAfterMs.
    assert.deepEqual(plan.record.map((h) => [h.holder, h.presumedGone]), [['a', false], ['b', false], ['c', true]]);
    assert.equal(plan.nextCheckAtMs, NOW - policy.graceMs + policy.forgetAfterMs);
  });

  it('two holders gone at once: two copies', () => {
    const plan = planRepair(three, policy, [up('a'), down('b', 5 * DAY_MS), down('c', 6 * DAY_MS)], NOW);
    assert.equal(plan.create, 2);
  });

  it('with nothing reachable to copy from, the repair is blocked and retried', () => {
    const plan = planRepair(three, policy, [down('a', HOUR_MS), down('b', 5 * DAY_MS), down('c', 6 * DAY_MS)], NOW);
    assert.equal(plan.action, RepairAction.blocked);
    assert.equal(plan.create, 0);
    assert.equal(plan.nextCheckAtMs, NOW + policy.retryIntervalMs);
  });
});

describe('re-integration', () => {
  it('a returning holder counts again and is not repaired; the copy made in its absence stays as an extra', () => {
    // c was presumed gone and d was created for it; now c answers again.
    const plan = planRepair(three, policy, [up('a'), up('b'), { ...up('c'), presumedGone: true }, up('d')], NOW);
    assert.deepEqual(plan.reintegrate, ['c']);
    assert.equal(plan.action, RepairAction.none);
    assert.deepEqual(plan.counts, { reachable: 4, suspect: 0, presumedGone: 0 });
    assert.deepEqual(plan.drop, []);
    assert.ok(plan.record.every((h) => !h.presumedGone));
  });

  it('the extra absorbs the next transient failure: one holder presumed gone needs no repair', () => {
    const plan = planRepair(three, policy, [up('a'), up('b'), down('c', 5 * DAY_MS), up('d')], NOW);
    assert.equal(plan.action, RepairAction.none);
  });

  it('beyond target + extras, the newest reachable copies are dropped', () => {
    const holders = [up('a'), up('b'), up('c'), up('d'), up('e'), down('f', HOUR_MS), { ...up('g'), presumedGone: true }];
    const plan = planRepair(three, policy, holders, NOW);
    assert.equal(plan.action, RepairAction.surplus);
    assert.deepEqual(plan.drop, ['e', 'g']);
    assert.deepEqual(plan.record.map((h) => h.holder), ['a', 'b', 'c', 'd', 'f']);
  });
});

describe('forgetting', () => {
  it('a holder silent for forgetAfterMs leaves the record', () => {
    const plan = planRepair(three, policy, [up('a'), up('b'), up('c'), down('d', policy.forgetAfterMs)], NOW);
    assert.deepEqual(plan.forget, ['d']);
    assert.deepEqual(plan.record.map((h) => h.holder), ['a', 'b', 'c']);
  });

  it('but never the last pieces an object has: the most recently seen are kept', () => {
    const plan = planRepair(three, policy, [down('a', 90 * DAY_MS), down('b', 70 * DAY_MS)], NOW);
    assert.deepEqual(plan.forget, ['a']);
    assert.deepEqual(plan.record.map((h) => h.holder), ['b']);
    assert.equal(plan.action, RepairAction.blocked);
  });

  it('a full record evicts the longest-silent presumed-gone holders to make room for new pieces', () => {
    const small: RepairPolicy = { ...policy, extraPiecesMax: 0, recordedPiecesMax: 4 };
    const holders = [up('a'), down('b', 10 * DAY_MS), down('c', 20 * DAY_MS), down('d', 5 * DAY_MS)];
    const plan = planRepair(three, small, holders, NOW);
    assert.equal(plan.create, 2);
    assert.deepEqual(plan.forget, ['b', 'c']);
    assert.equal(plan.record.length + plan.create, 4);
  });
});

describe('erasure thresholds', () => {
  it('4+2 repairing below 5: one fragment missing is tolerated', () => {
    const plan = planRepair(fourPlusTwo, erasurePolicy, [up('a'), up('b'), up('c'), up('d'), down('e', HOUR_MS), down('f', 9 * DAY_MS)], NOW);
    assert.equal(plan.action, RepairAction.none);
    assert.deepEqual(plan.counts, { reachable: 4, suspect: 1, presumedGone: 1 });
  });

  it('two missing: both rebuilt in one repair, once K = 4 are reachable to read', () => {
    const plan = planRepair(fourPlusTwo, erasurePolicy, [up('a'), up('b'), up('c'), up('d'), down('e', 8 * DAY_MS), down('f', 9 * DAY_MS)], NOW);
    assert.equal(plan.action, RepairAction.repair);
    assert.equal(plan.create, 2);
  });

  it('fewer than K reachable: blocked, however many are counted', () => {
    const plan = planRepair(fourPlusTwo, erasurePolicy, [up('a'), up('b'), up('c'), down('d', HOUR_MS), down('e', 8 * DAY_MS), down('f', 9 * DAY_MS)], NOW);
    assert.equal(plan.action, RepairAction.blocked);
  });

  it('an eager threshold (K+M) repairs the first missing fragment', () => {
    const eager: RepairPolicy = { ...erasurePolicy, repairBelowPieces: 6 };
    const plan = planRepair(fourPlusTwo, eager, [up('a'), up('b'), up('c'), up('d'), up('e'), down('f', 9 * DAY_MS)], NOW);
    assert.equal(plan.create, 1);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random records.

const redundancyArbitrary: fc.Arbitrary<Redundancy> = fc.oneof(
  fc.integer({ min: 1, max: 6 }).map((copies): Redundancy => ({ kind: 'replicate', copies })),
  fc.record({ dataFragments: fc.integer({ min: 1, max: 8 }), parityFragments: fc.integer({ min: 1, max: 6 }) })
    .map(({ dataFragments, parityFragments }): Redundancy => ({ kind: 'erasure', dataFragments, parityFragments })),
);

const caseArbitrary = redundancyArbitrary.chain((redundancy) => {
  const target = piecesTarget(redundancy);
  return fc.record({
    redundancy: fc.constant(redundancy),
    policy: fc.record({
      repairBelowPieces: fc.integer({ min: 0, max: target }),
      extraPiecesMax: fc.integer({ min: 0, max: 4 }),
      graceMs: fc.integer({ min: 0, max: 10 * DAY_MS }),
      forgetExtraMs: fc.integer({ min: 0, max: 60 * DAY_MS }),
      recordedSlack: fc.integer({ min: 0, max: 8 }),
    }).map((p): RepairPolicy => ({
      repairBelowPieces: p.repairBelowPieces, extraPiecesMax: p.extraPiecesMax, recordedPiecesMax: target + p.extraPiecesMax + p.recordedSlack,
      graceMs: p.graceMs, forgetAfterMs: p.graceMs + p.forgetExtraMs, retryIntervalMs: HOUR_MS,
    })),
    silences: fc.array(fc.option(fc.integer({ min: 1, max: 100 * DAY_MS }), { nil: null }), { minLength: 0, maxLength: 14 }),
  }).filter(({ policy: p, silences }) => silences.length <= p.recordedPiecesMax);
});

function holdersOf(silences: readonly (number | null)[], graceMs: number): HolderState<number>[] {
  return silences.map((silentMs, holder) => silentMs === null
    ? { holder, lastSeenAtMs: NOW, answeredLatestCheck: true, presumedGone: false }
    : { holder, lastSeenAtMs: NOW - silentMs, answeredLatestCheck: false, presumedGone: silentMs >= graceMs && holder % 2 === 0 });
}

describe('properties', () => {
  it('the plan agrees with the count-level decision on the classified counts', () => {
    fc.assert(fc.property(caseArbitrary, ({ redundancy, policy: p, silences }) => {
      const holders = holdersOf(silences, p.graceMs);
      const plan = planRepair(redundancy, p, holders, NOW);
      const decision = decideFromCounts(redundancy, p, plan.counts);
      assert.equal(plan.action, decision.action);
      assert.equal(plan.create, decision.action === RepairAction.repair ? decision.pieces : 0);
      assert.equal(plan.drop.length, decision.action === RepairAction.surplus ? decision.pieces : 0);
    }));
  });

  it('a repair brings the counted pieces to the target, within the record\'s capacity', () => {
    fc.assert(fc.property(caseArbitrary, ({ redundancy, policy: p, silences }) => {
      const plan = planRepair(redundancy, p, holdersOf(silences, p.graceMs), NOW);
      const counted = plan.counts.reachable + plan.counts.suspect;
      if (plan.action === RepairAction.repair) {
        assert.equal(counted + plan.create, piecesTarget(redundancy));
        assert.ok(plan.counts.reachable >= piecesNeeded(redundancy));
        assert.ok(plan.record.length + plan.create <= p.recordedPiecesMax);
      }
      if (plan.action === RepairAction.blocked) assert.ok(plan.counts.reachable < piecesNeeded(redundancy));
    }));
  });

  it('only reachable holders are asked to drop; forgetting never takes an object below `needed` recorded pieces', () => {
    fc.assert(fc.property(caseArbitrary, ({ redundancy, policy: p, silences }) => {
      const holders = holdersOf(silences, p.graceMs);
      const plan = planRepair(redundancy, p, holders, NOW);
      for (const holder of plan.drop) assert.ok(holders[holder].answeredLatestCheck);
      const needed = piecesNeeded(redundancy);
      if (plan.action !== RepairAction.repair) assert.ok(plan.record.length >= Math.min(needed, holders.length));
      // Every holder is in exactly one of: the record, forgotten, dropped.
      const accounted = [...plan.record.map((h) => h.holder), ...plan.forget, ...plan.drop].sort((a, b) => a - b);
      assert.deepEqual(accounted, holders.map((h) => h.holder));
      // Counts cover the record.
      assert.equal(plan.counts.reachable + plan.counts.suspect + plan.counts.presumedGone, plan.record.length + plan.drop.length);
    }));
  });

  it('re-integration and presumption follow the grace period', () => {
    fc.assert(fc.property(caseArbitrary, ({ redundancy, policy: p, silences }) => {
      const holders = holdersOf(silences, p.graceMs);
      const plan = planRepair(redundancy, p, holders, NOW);
      for (const state of plan.record) {
        const status = classifyHolder(p, state.answeredLatestCheck, state.lastSeenAtMs, NOW);
        assert.equal(state.presumedGone, status === HolderStatus.presumedGone || status === HolderStatus.forgettable);
      }
      for (const holder of plan.reintegrate) assert.ok(holders[holder].presumedGone);
    }));
  });

  it('the allocation-free planner, reused across records, gives the same answers as fresh ones', () => {
    const planners = new Map<string, RepairPlanner>();
    fc.assert(fc.property(caseArbitrary, ({ redundancy, policy: p, silences }) => {
      const key = JSON.stringify([redundancy, p]);
      const reused = planners.get(key) ?? new RepairPlanner(redundancy, p);
      planners.set(key, reused);
      const holders = holdersOf(silences, p.graceMs);
      const table: HolderTable = {
        holderCount: () => holders.length,
        answered: (i) => holders[i].answeredLatestCheck,
        lastSeenAtMs: (i) => holders[i].lastSeenAtMs,
      };
      reused.plan(table, NOW);
      const plan = planRepair(redundancy, p, holders, NOW);
      assert.equal(reused.action, plan.action);
      assert.equal(reused.nextCheckAtMs, plan.nextCheckAtMs);
      assert.deepEqual([...reused.forget.subarray(0, reused.forgetCount)], plan.forget);
      assert.deepEqual([...reused.drop.subarray(0, reused.dropCount)], plan.drop);
    }));
  });
});
