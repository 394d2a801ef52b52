/**
 * The join's refresh targets (join-refresh.ts): one per bucket of an ideal b-bit table above the
 * neighbourhood, each inside its bucket, no bucket twice, none missed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bitAt, commonPrefixLength, randomId } from '../../src/core/id.ts';
import { joinRefreshTargets } from '../../src/core/join-refresh.ts';
import { Prng } from '../../src/sim/prng.ts';
import { fcOptions } from './helpers.ts';

/** The bucket an id falls in, relative to `self`: its depth of divergence and the bits up to the digit boundary. */
function bucketOf(self: ReturnType<typeof randomId>, id: ReturnType<typeof randomId>, bits: number): string {
  const depth = commonPrefixLength(self, id);
  const boundary = (Math.floor(depth / bits) + 1) * bits;
  let label = `${depth}:`;
  for (let index = depth + 1; index < boundary; index++) label += bitAt(id, index);
  return label;
}

describe('joinRefreshTargets', () => {
  it('with b = 1 names one target per sibling subtree above the neighbourhood, farthest first', () => {
    const random = Prng.fromSeed(1);
    const self = randomId(random);
    const targets = joinRefreshTargets(self, 12, 1, random).map((each) => each.target);
    assert.deepEqual(targets.map((target) => commonPrefixLength(self, target)), [...Array(12).keys()]);
  });

  it('with b = 4 names every one of the 15 buckets of each full level, and of a partial level those above the neighbourhood', () => {
    const random = Prng.fromSeed(2);
    const self = randomId(random);
    // Depths 0…9: two full levels (2 × 15), then bits 8 and 9 of the third: 8 + 4 buckets.
    const targets = joinRefreshTargets(self, 10, 4, random).map((each) => each.target);
    assert.equal(targets.length, 15 + 15 + 8 + 4);
    const buckets = new Set(targets.map((target) => bucketOf(self, target, 4)));
    assert.equal(buckets.size, targets.length, 'a bucket was named twice');
    for (const target of targets) assert.ok(commonPrefixLength(self, target) < 10, 'a target inside the neighbourhood');
  });

  it('for any self, depth and b, covers each bucket above the depth exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 1, max: 5 }), (seed, depths, bits) => {
        const random = Prng.fromSeed(seed);
        const self = randomId(random);
        const refreshes = joinRefreshTargets(self, depths, bits, random);
        const targets = refreshes.map((each) => each.target);
        for (const { target, bucketDepth } of refreshes) assert.equal(bucketDepth, Math.min(256, (Math.floor(commonPrefixLength(self, target) / bits) + 1) * bits));
        let expected = 0;
        for (let depth = 0; depth < depths; depth++) expected += 2 ** ((Math.floor(depth / bits) + 1) * bits - depth - 1);
        assert.equal(targets.length, expected);
        assert.equal(new Set(targets.map((target) => bucketOf(self, target, bits))).size, expected);
        for (const target of targets) assert.ok(commonPrefixLength(self, target) < depths);
      }),
      fcOptions(7, 200),
    );
  });

  it('draws the rest of each target at random: two draws differ', () => {
    const self = randomId(Prng.fromSeed(3));
    const a = joinRefreshTargets(self, 8, 4, Prng.fromSeed(4));
    const b = joinRefreshTargets(self, 8, 4, Prng.fromSeed(5));
    assert.equal(a.length, b.length);
    assert.ok(a.some((each, i) => commonPrefixLength(each.target, b[i].target) < 200));
  });
});
