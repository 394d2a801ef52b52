/** Folding a round of HAVE answers into a holder record, and adding a holder after a store. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Redundancy } from '../../../../src/services/storage/durability/redundancy.ts';
import { mergeHaveRound, pieceProblem, withStoredPiece, type HaveRound } from '../../../../src/services/storage/placement/holder-record.ts';
import { idToHex } from '../../../../src/core/id.ts';
import { peerAt, rankOf } from './support.ts';

const three: Redundancy = { kind: 'replicate', copies: 3 };

function round(overrides: Partial<HaveRound>): HaveRound {
  return {
    redundancy: three, self: peerAt(1), ownFragmentIndex: null, record: [], haves: [], lacks: [],
    admissible: new Set([2, 3, 4, 5].map((r) => idToHex(peerAt(r)))), recordedMax: 9, nowMs: 1000, ...overrides,
  };
}

describe('mergeHaveRound', () => {
  it('marks answers, keeps the silent with their last-seen time, and adds ourselves', () => {
    const record = [
      { holder: { peer: peerAt(2), fragmentIndex: null }, lastSeenAtMs: 500, answeredLatestCheck: true, presumedGone: false },
      { holder: { peer: peerAt(3), fragmentIndex: null }, lastSeenAtMs: 400, answeredLatestCheck: true, presumedGone: false },
    ];
    const merged = mergeHaveRound(round({ record, haves: [{ peer: peerAt(3), fragmentIndex: null }] }));
    assert.deepEqual(merged.holders.map((s) => [rankOf(s.holder.peer), s.lastSeenAtMs, s.answeredLatestCheck]), [[2, 500, false], [3, 1000, true], [1, 1000, true]]);
  });

  it('keeps a slot for ourselves when the record is full', () => {
    const merged = mergeHaveRound(round({ recordedMax: 2, haves: [2, 3, 4].map((r) => ({ peer: peerAt(r), fragmentIndex: null })) }));
    assert.deepEqual(merged.holders.map((s) => rankOf(s.holder.peer)), [2, 1]);
    assert.equal(merged.ignored.length, 2);
  });

  it('a peer cannot speak for us, nor lack on our behalf', () => {
    const merged = mergeHaveRound(round({ haves: [{ peer: peerAt(1), fragmentIndex: 2 }], lacks: [peerAt(1)] }));
    assert.deepEqual(merged.holders.map((s) => [rankOf(s.holder.peer), s.holder.fragmentIndex]), [[1, null]]);
    assert.deepEqual(merged.lost, []);
  });

  it('a record listing a peer twice keeps the first entry', () => {
    const entry = (lastSeenAtMs: number) => ({ holder: { peer: peerAt(2), fragmentIndex: null }, lastSeenAtMs, answeredLatestCheck: false, presumedGone: false });
    const merged = mergeHaveRound(round({ record: [entry(10), entry(20)] }));
    assert.deepEqual(merged.holders.map((s) => s.lastSeenAtMs), [10, 1000]);
  });
});

describe('withStoredPiece and pieceProblem', () => {
  it('appends a new holder, or refreshes one already there', () => {
    const once = withStoredPiece([], peerAt(4), 2, 50);
    const twice = withStoredPiece(once, peerAt(4), 3, 60);
    assert.equal(twice.length, 1);
    assert.deepEqual([twice[0].holder.fragmentIndex, twice[0].lastSeenAtMs, twice[0].answeredLatestCheck], [3, 60, true]);
    assert.equal(once[0].holder.fragmentIndex, 2, 'the input is not changed');
  });

  it('checks a piece against the scheme', () => {
    const erasure: Redundancy = { kind: 'erasure', dataFragments: 2, parityFragments: 1 };
    assert.equal(pieceProblem(three, null), null);
    assert.notEqual(pieceProblem(three, 0), null);
    assert.equal(pieceProblem(erasure, 2), null);
    assert.notEqual(pieceProblem(erasure, 3), null);
    assert.notEqual(pieceProblem(erasure, null), null);
    assert.notEqual(pieceProblem(erasure, 1.5), null);
  });
});
