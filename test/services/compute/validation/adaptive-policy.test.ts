/** job.json's adaptive validation: defaults, every problem by path, and a target the replicas cannot reach. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ADAPTIVE_POLICY, parseAdaptivePolicy } from '../../../../src/services/compute/validation/adaptive-policy.ts';

describe('parseAdaptivePolicy', () => {
  it('takes defaults for what is left out', () => {
    const problems: string[] = [];
    assert.deepEqual(parseAdaptivePolicy({ mode: 'adaptive' }, 'validation', problems), DEFAULT_ADAPTIVE_POLICY);
    assert.deepEqual(problems, []);
  });

  it('reads every field', () => {
    const problems: string[] = [];
    const policy = parseAdaptivePolicy({ mode: 'adaptive', errorRateMax: 1e-3, cheatersFraction: 0.1, spotCheckRate: 0, replicasMax: 4, lieRateMin: 1, workersMax: 500 }, 'validation', problems);
    assert.deepEqual(problems, []);
    assert.deepEqual(policy, { mode: 'adaptive', errorRateMax: 1e-3, cheatersFraction: 0.1, spotCheckRate: 0, replicasMax: 4, lieRateMin: 1, workersMax: 500 });
    assert.equal(parseAdaptivePolicy({ mode: 'adaptive' }, 'validation', []).lieRateMin, 0, 'nothing assumed of the cheaters by default');
  });

  it('reports every problem at once, by path', () => {
    const problems: string[] = [];
    parseAdaptivePolicy({ mode: 'fixed', errorRateMax: 0, cheatersFraction: 0.6, spotCheckRate: 1, replicasMax: 17, lieRateMin: 1.5, colour: 'red' }, 'validation', problems);
    assert.deepEqual(problems.map((problem) => problem.split(':')[0]), ['validation.colour', 'validation.mode', 'validation.errorRateMax', 'validation.cheatersFraction', 'validation.spotCheckRate', 'validation.lieRateMin', 'validation.replicasMax']);
    assert.deepEqual(parseAdaptivePolicy('adaptive', 'v', []), DEFAULT_ADAPTIVE_POLICY);
  });

  it('refuses a replicasMax with which newcomers could never reach the target', () => {
    const problems: string[] = [];
    parseAdaptivePolicy({ mode: 'adaptive', errorRateMax: 1e-4, cheatersFraction: 0.2, replicasMax: 5 }, 'validation', problems);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^validation\.replicasMax: .* at least 6 needed$/);
  });
});
