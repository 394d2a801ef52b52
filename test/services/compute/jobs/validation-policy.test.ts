import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeUnit, type ReplicaResult } from '../../../../src/services/compute/jobs/validation-policy.ts';

const policy = { replicas: 2, quorum: 2, replicasMax: 5 };
const result = (worker: string, outputHash: string, fuel = 100n): ReplicaResult => ({ worker, outputHash, fuel });

describe('judgeUnit: a quorum of replicas on output hash and fuel', () => {
  it('accepts when the quorum agrees, naming who disagreed', () => {
    const verdict = judgeUnit([result('a', 'h1'), result('b', 'h2'), result('c', 'h1')], policy, 3);
    assert.deepEqual(verdict, { state: 'accepted', outputHash: 'h1', fuel: 100n, agreeing: ['a', 'c'], disagreeing: ['b'] });
  });

  it('waits for replicas still running, and asks for more only when they cannot make the quorum', () => {
    assert.deepEqual(judgeUnit([result('a', 'h1')], policy, 2), { state: 'waiting', replicasToAdd: 0 });
    assert.deepEqual(judgeUnit([result('a', 'h1'), result('b', 'h2')], policy, 2), { state: 'waiting', replicasToAdd: 1 });
  });

  it('counts a worker once, and the same hash with other fuel as a different result', () => {
    assert.equal(judgeUnit([result('a', 'h1'), result('a', 'h1')], policy, 2).state, 'waiting');
    assert.equal(judgeUnit([result('a', 'h1', 100n), result('b', 'h1', 101n)], policy, 2).state, 'waiting');
  });

  it('gives up as inconclusive once replicasMax would be passed', () => {
    const five = ['h1', 'h2', 'h3', 'h4', 'h5'].map((hash, index) => result(`w${index}`, hash));
    assert.deepEqual(judgeUnit(five, policy, 5), { state: 'inconclusive', distinctResults: 5 });
  });
});
