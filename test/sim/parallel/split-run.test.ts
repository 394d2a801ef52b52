/**
 * A lookup experiment split across worker threads gives the result of one thread: the same
 * figures and the same trace hash, whatever the number of parts; and a part that fails ends the
 * whole run with its error instead of leaving the others waiting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLookupExperiment, type LookupExperimentResult } from '../../../src/sim/experiments/lookup-experiment.ts';
import { runLookupExperimentSplit, type OptionsRecipe } from '../../../src/sim/parallel/parallel-lookup.ts';
import { smallRun, type SmallRunInput } from './recipes.ts';

const recipesModule = new URL('./recipes.ts', import.meta.url).href;

function recipe(input: SmallRunInput, exportName = 'smallRun'): OptionsRecipe {
  return { module: recipesModule, export: exportName, input };
}

/** The fields that measure the machine, or how the run was split, rather than the simulation. */
function simulated(result: LookupExperimentResult): Partial<LookupExperimentResult> {
  const {
    wallMs: _wall, joinWallMs: _joinWall, eventsPerSec: _events, speedupVsRealTime: _speed, windowSpeedupVsRealTime: _window,
    windowCpuMs: _windowCpu, windowSpeedupVsCpuTime: _windowCpuSpeed, rssBytesMax: _rss, workers: _workers, lookaheadMs: _lookahead, crossPartMessages: _cross, ...rest
  } = result;
  return rest;
}

describe('a split lookup experiment', () => {
  it('reports what one thread reports, with two parts and with three', async () => {
    const input: SmallRunInput = { seed: 7, nodes: 300, lookups: 600 };
    const whole = runLookupExperiment(smallRun(input));
    assert.equal(whole.lookupsCompleted, 600);
    for (const workers of [2, 3]) {
      const split = await runLookupExperimentSplit(recipe(input), workers);
      assert.deepEqual(simulated(split), simulated(whole), `${workers} parts`);
      assert.equal(split.workers, workers);
      assert.ok((split.lookaheadMs ?? 0) >= 1, 'parts at least a millisecond apart');
      // Lookups cross between parts: the parts did talk to each other.
      assert.ok(split.crossPartMessages > 1000, `${split.crossPartMessages} messages between parts`);
    }
  });

  it('stays identical with the codec in the loop, message loss and a bandwidth cap', async () => {
    const input: SmallRunInput = { seed: 3, nodes: 200, lookups: 300, wire: true, lossRate: 0.02, bandwidth: 20_000 };
    const whole = runLookupExperiment(smallRun(input));
    const split = await runLookupExperimentSplit(recipe(input), 2);
    assert.deepEqual(simulated(split), simulated(whole));
  });

  it('stays identical under churn, with crashes, graceful leaves, restarts and fresh identities', async () => {
    for (const churn of ['exp:3', 'mojo']) {
      const input: SmallRunInput = { seed: 5, nodes: 300, lookups: 300, churn, warmupMinutes: 8 };
      const whole = runLookupExperiment(smallRun(input));
      assert.ok(whole.identities > 300, `${churn}: nodes came and went (${whole.identities} identities)`);
      const split = await runLookupExperimentSplit(recipe(input), 2);
      assert.deepEqual(simulated(split), simulated(whole), churn);
      assert.ok(split.crossPartMessages > 100, `${churn}: ${split.crossPartMessages} messages between parts`);
    }
  });

  it('stays identical with proximity on: coordinates cross between parts unrounded', async () => {
    const input: SmallRunInput = { seed: 9, nodes: 250, lookups: 300, proximity: true };
    const whole = runLookupExperiment(smallRun(input));
    assert.ok(Number.isFinite(whole.vivaldiRelErrorP50), 'the coordinates were judged');
    const split = await runLookupExperimentSplit(recipe(input), 2);
    assert.deepEqual(simulated(split), simulated(whole));
    assert.ok(split.crossPartMessages > 1000);
  });

  it('stays identical under churn with connection set-up and the invariant checkers on', async () => {
    // Connections are kept at both ends; each part keeps its own nodes' (network.ts, accept).
    const input: SmallRunInput = { seed: 4, nodes: 200, lookups: 200, churn: 'exp:3', warmupMinutes: 4, checkEveryMs: 20_000, connectRtts: 4 };
    const whole = runLookupExperiment(smallRun(input));
    assert.ok(whole.invariantChecks > 10, `${whole.invariantChecks} checks`);
    const connectionless = runLookupExperiment(smallRun({ ...input, connectRtts: 0 }));
    assert.ok(whole.latencyMs.p50 > connectionless.latencyMs.p50 * 1.5, `set-up paid: p50 ${whole.latencyMs.p50} against ${connectionless.latencyMs.p50} ms`);
    const split = await runLookupExperimentSplit(recipe(input), 2);
    assert.deepEqual(simulated(split), simulated(whole));
    assert.deepEqual(split.invariantViolations, []);
  });

  it('stays identical on the geographic latency model', async () => {
    const input: SmallRunInput = { seed: 5, nodes: 250, lookups: 300, geo: true };
    const whole = runLookupExperiment(smallRun(input));
    const split = await runLookupExperimentSplit(recipe(input), 2);
    assert.deepEqual(simulated(split), simulated(whole));
  });

  it('stays identical when the rings between parts are tiny and writers often wait for readers', async () => {
    const input: SmallRunInput = { seed: 11, nodes: 200, lookups: 400 };
    const whole = runLookupExperiment(smallRun(input));
    // 2 KiB holds a few NODES records: parts fill each other's rings all the time.
    const split = await runLookupExperimentSplit(recipe(input), 2, { ringBytes: 2048 });
    assert.deepEqual(simulated(split), simulated(whole));
  });

  it('another seed gives another trace', async () => {
    const first = await runLookupExperimentSplit(recipe({ seed: 1, nodes: 150, lookups: 100 }), 2);
    const second = await runLookupExperimentSplit(recipe({ seed: 2, nodes: 150, lookups: 100 }), 2);
    assert.notEqual(first.traceHash, second.traceHash);
  });

  it('ends with the error of a part that fails, without waiting for the others', { timeout: 60_000 }, async () => {
    await assert.rejects(
      runLookupExperimentSplit(recipe({ seed: 1, nodes: 150, lookups: 100 }, 'failingInPartOne'), 2),
      /part 1 of the split run failed: .*part one cannot start/s,
    );
  });

  it('refuses what a split run cannot do', async () => {
    await assert.rejects(runLookupExperimentSplit(recipe({ seed: 1, nodes: 10, lookups: 1 }), 1), /2 to 64 workers/);
  });
});
