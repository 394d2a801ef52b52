/**
 * The invariant violations of a split run's parts merge into the list one thread keeps: by time,
 * then node, the world's own last and once, the first VIOLATIONS_KEPT only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WORLD_VIOLATION } from '../../src/sim/invariants.ts';
import { keepViolations, mergeViolations, VIOLATIONS_KEPT, type TimedViolation } from '../../src/sim/experiments/violations.ts';

/** What one check finds in a world of `nodes` nodes: two problems at every third node, one of the world's. */
function found(atMs: number, nodes: number): { node: number; problem: string }[] {
  const out: { node: number; problem: string }[] = [];
  for (let node = 0; node < nodes; node += 3) {
    out.push({ node, problem: `node ${node} first at ${atMs}` }, { node, problem: `node ${node} second at ${atMs}` });
  }
  out.push({ node: WORLD_VIOLATION, problem: `world at ${atMs}` });
  return out;
}

describe('merging the violations of a split run', () => {
  it('gives what one thread keeps, for any number of parts', () => {
    const checks = [1_000, 2_000, 3_000];
    for (const nodes of [4, 9, 40]) {
      const whole: TimedViolation[] = [];
      for (const atMs of checks) keepViolations(whole, atMs, found(atMs, nodes));
      const expected = whole.map((v) => `t=${v.atMs}ms ${v.problem}`);
      assert.equal(expected.length, Math.min(VIOLATIONS_KEPT, checks.length * (2 * Math.ceil(nodes / 3) + 1)));
      for (const parts of [1, 2, 3]) {
        const kept: TimedViolation[][] = Array.from({ length: parts }, () => []);
        for (const atMs of checks) {
          for (let part = 0; part < parts; part++) {
            // A part finds its own nodes' violations (nodes dealt round) and the world's.
            const mine = found(atMs, nodes).filter((v) => v.node === WORLD_VIOLATION || v.node % parts === part);
            keepViolations(kept[part], atMs, mine);
          }
        }
        assert.deepEqual(mergeViolations(kept), expected, `${nodes} nodes, ${parts} parts`);
      }
    }
  });

  it('keeps nothing when nothing was found', () => {
    assert.deepEqual(mergeViolations([[], []]), []);
  });
});
