import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planUnits, unitAt, unitCount } from '../../../../src/services/compute/jobs/unit-plan.ts';

describe('planUnits', () => {
  it('a sweep covers its range in steps, the last one cut at "to"', () => {
    const units = [...planUnits({ kind: 'sweep', from: 0, to: 25, step: 10, template: '{from} {to} #{index}' })];
    assert.deepEqual(units.map((unit) => unit.args), ['0 10 #0', '10 20 #1', '20 25 #2']);
  });

  it('a grid runs every combination, the last parameter fastest', () => {
    const source = { kind: 'grid', parameters: { x: [1, 2], mode: ['a', 'b', 'c'] }, template: '--x {x} --mode {mode}' } as const;
    assert.equal(unitCount(source), 6);
    assert.deepEqual([...planUnits(source)].map((unit) => unit.args), [
      '--x 1 --mode a', '--x 1 --mode b', '--x 1 --mode c', '--x 2 --mode a', '--x 2 --mode b', '--x 2 --mode c',
    ]);
    assert.equal(unitAt(source, 4).args, '--x 2 --mode b');
  });

  it('inputs and plain argument lists give one unit each; unknown placeholders are left as they are', () => {
    assert.deepEqual([...planUnits({ kind: 'inputs', inputs: ['a.bin', 'b.bin'], template: '{input} {other}' })], [
      { index: 0, args: 'a.bin {other}', input: 'a.bin' },
      { index: 1, args: 'b.bin {other}', input: 'b.bin' },
    ]);
    assert.deepEqual([...planUnits({ kind: 'args', args: ['x', 'y'] })].map((unit) => unit.args), ['x', 'y']);
  });
});
