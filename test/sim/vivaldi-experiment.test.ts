/** The Vivaldi experiment at a small size: its figures have the documented shape, and coordinates beat knowing only the median RTT. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runVivaldiExperiment } from '../../src/sim/experiments/vivaldi-experiment.ts';

describe('the Vivaldi experiment', () => {
  it('embeds the PlanetLab matrix far better than the median predicts it, the same for a seed', () => {
    const options = { seed: 5, nodes: 600, neighbours: 16, rounds: 150, pairs: 20_000 };
    const result = runVivaldiExperiment(options);
    assert.deepEqual(Object.keys(result).sort(), ['latency', 'meanErrorEstimate', 'medianPredictorRelErrorP50', 'medianPredictorRelErrorP90', 'neighbours', 'nodes', 'pairsJudged', 'ratioToBaseline', 'rounds', 'samples', 'vivaldiRelErrorP50', 'vivaldiRelErrorP90']);
    assert.equal(result.latency, 'planetlab');
    assert.equal(result.samples, 600 * 150);
    assert.equal(result.pairsJudged, 20_000);
    assert.ok(result.vivaldiRelErrorP50 < 0.2, `median relative error ${result.vivaldiRelErrorP50}`);
    assert.ok(result.ratioToBaseline < 0.5, `against the median predictor: ${result.ratioToBaseline}`);
    assert.ok(result.vivaldiRelErrorP90 >= result.vivaldiRelErrorP50);
    assert.deepEqual(runVivaldiExperiment(options), result);
  });
});
