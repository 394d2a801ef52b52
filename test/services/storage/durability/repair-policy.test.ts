/**
 * The policy's parameters and its judgement of one holder and of one object's counts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkRepairPolicy, classifyHolder, decideFromCounts, defaultRepairPolicy, HolderStatus, RepairAction, type RepairPolicy,
} from '../../../../src/services/storage/durability/repair-policy.ts';
import type { Redundancy } from '../../../../src/services/storage/durability/redundancy.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const three: Redundancy = { kind: 'replicate', copies: 3 };
const fourPlusTwo: Redundancy = { kind: 'erasure', dataFragments: 4, parityFragments: 2 };

const policy: RepairPolicy = {
  repairBelowPieces: 3, extraPiecesMax: 2, recordedPiecesMax: 8, graceMs: DAY_MS, forgetAfterMs: 30 * DAY_MS, retryIntervalMs: HOUR_MS,
};

describe('defaultRepairPolicy', () => {
  it('is valid for every scheme, eager for copies and lazy by one fragment for erasure', () => {
    for (const redundancy of [three, fourPlusTwo, { kind: 'replicate', copies: 1 } as const, { kind: 'erasure', dataFragments: 8, parityFragments: 8 } as const]) {
      assert.deepEqual(checkRepairPolicy(redundancy, defaultRepairPolicy(redundancy)), []);
    }
    assert.equal(defaultRepairPolicy(three).repairBelowPieces, 3);
    assert.equal(defaultRepairPolicy(fourPlusTwo).repairBelowPieces, 5);
    assert.equal(defaultRepairPolicy({ kind: 'erasure', dataFragments: 8, parityFragments: 8 }).repairBelowPieces, 15);
    // Never lazier than one fragment above K.
    assert.equal(defaultRepairPolicy({ kind: 'erasure', dataFragments: 4, parityFragments: 1 }).repairBelowPieces, 5);
  });
});

describe('checkRepairPolicy', () => {
  it('names each bad parameter', () => {
    const cases: [Partial<RepairPolicy>, RegExp][] = [
      [{ repairBelowPieces: 4 }, /repairBelowPieces must be an integer from 0 to 3/],
      [{ repairBelowPieces: -1 }, /repairBelowPieces/],
      [{ extraPiecesMax: 1.5 }, /extraPiecesMax/],
      [{ recordedPiecesMax: 4 }, /recordedPiecesMax must be an integer from 5/],
      [{ recordedPiecesMax: 129 }, /recordedPiecesMax/],
      [{ graceMs: -1 }, /graceMs/],
      [{ forgetAfterMs: HOUR_MS }, /forgetAfterMs must be finite and >= graceMs/],
      [{ retryIntervalMs: 0 }, /retryIntervalMs/],
    ];
    for (const [override, pattern] of cases) {
      const problems = checkRepairPolicy(three, { ...policy, ...override });
      assert.equal(problems.length, 1, JSON.stringify(override));
      assert.match(problems[0], pattern);
    }
    assert.match(checkRepairPolicy(three, { ...policy, graceMs: Infinity }).join('; '), /graceMs must be a finite number/);
  });
});

describe('classifyHolder', () => {
  const now = 100 * DAY_MS;
  it('a holder that answered is reachable however long ago it was last seen', () => {
    assert.equal(classifyHolder(policy, true, 0, now), HolderStatus.reachable);
  });
  it('silent for less than the grace period: suspect, still counted', () => {
    assert.equal(classifyHolder(policy, false, now, now), HolderStatus.suspect);
    assert.equal(classifyHolder(policy, false, now - DAY_MS + 1, now), HolderStatus.suspect);
  });
  it('silent for the grace period or longer: presumed gone', () => {
    assert.equal(classifyHolder(policy, false, now - DAY_MS, now), HolderStatus.presumedGone);
    assert.equal(classifyHolder(policy, false, now - 30 * DAY_MS + 1, now), HolderStatus.presumedGone);
  });
  it('silent for forgetAfterMs or longer: forgettable', () => {
    assert.equal(classifyHolder(policy, false, now - 30 * DAY_MS, now), HolderStatus.forgettable);
  });
});

describe('decideFromCounts', () => {
  it('replication: counted copies at the threshold need nothing; below it, copies up to R', () => {
    assert.deepEqual(decideFromCounts(three, policy, { reachable: 2, suspect: 1, presumedGone: 0 }), { action: RepairAction.none, pieces: 0 });
    assert.deepEqual(decideFromCounts(three, policy, { reachable: 2, suspect: 0, presumedGone: 1 }), { action: RepairAction.repair, pieces: 1 });
    assert.deepEqual(decideFromCounts(three, policy, { reachable: 1, suspect: 0, presumedGone: 2 }), { action: RepairAction.repair, pieces: 2 });
  });

  it('a repair needs something to read: no reachable copy means blocked', () => {
    assert.deepEqual(decideFromCounts(three, policy, { reachable: 0, suspect: 2, presumedGone: 1 }), { action: RepairAction.blocked, pieces: 0 });
  });

  it('surplus beyond target + extras is dropped, only from reachable holders', () => {
    assert.deepEqual(decideFromCounts(three, policy, { reachable: 5, suspect: 0, presumedGone: 0 }), { action: RepairAction.none, pieces: 0 });
    assert.deepEqual(decideFromCounts(three, policy, { reachable: 6, suspect: 1, presumedGone: 0 }), { action: RepairAction.surplus, pieces: 2 });
    assert.deepEqual(decideFromCounts(three, policy, { reachable: 1, suspect: 6, presumedGone: 0 }), { action: RepairAction.surplus, pieces: 1 });
  });

  it('erasure: repair below K + margin, rebuilding every missing fragment at once, if K are reachable', () => {
    const lazy: RepairPolicy = { ...policy, repairBelowPieces: 5, recordedPiecesMax: 16 };
    assert.equal(decideFromCounts(fourPlusTwo, lazy, { reachable: 5, suspect: 0, presumedGone: 1 }).action, RepairAction.none);
    assert.deepEqual(decideFromCounts(fourPlusTwo, lazy, { reachable: 4, suspect: 0, presumedGone: 2 }), { action: RepairAction.repair, pieces: 2 });
    assert.deepEqual(decideFromCounts(fourPlusTwo, lazy, { reachable: 3, suspect: 1, presumedGone: 2 }), { action: RepairAction.blocked, pieces: 0 });
    const eager: RepairPolicy = { ...lazy, repairBelowPieces: 6 };
    assert.deepEqual(decideFromCounts(fourPlusTwo, eager, { reachable: 5, suspect: 0, presumedGone: 1 }), { action: RepairAction.repair, pieces: 1 });
  });

  it('a threshold of 0 never repairs', () => {
    const never: RepairPolicy = { ...policy, repairBelowPieces: 0 };
    assert.equal(decideFromCounts(three, never, { reachable: 1, suspect: 0, presumedGone: 2 }).action, RepairAction.none);
  });
});
