/**
 * The swarm experiment (src/sim/experiments/swarm/swarm-experiment.ts): the node's swarm
 * scheduler in the simulator, at the real benchmark's figures — N holders add up to N·R, one 10×
 * slower holder costs about what its lost capacity must — deterministic by seed, and its CLI.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSwarmExperiment, SWARM_DEFAULTS, type SwarmExperimentResult } from '../../src/sim/experiments/swarm/swarm-experiment.ts';
import { planetLabLatencyModel } from '../../src/sim/latency/planetlab.ts';
import { runSimExperiment } from '../../src/cli/sim-experiment/command.ts';
import { UsageError } from '../../src/cli/args.ts';

describe('the swarm experiment', () => {
  it('meets the benchmark targets with the real scheduler and real block sizes, with no latency and with PlanetLab latency', () => {
    for (const latency of [null, planetLabLatencyModel()]) {
      const result = runSwarmExperiment({ ...SWARM_DEFAULTS, seed: 7, latency });
      assert.ok(result.blocks > 150 && result.blocks < 350, `${result.blocks} blocks: FastCDC's default average is 256 KiB`);
      assert.deepEqual(result.runs.map((run) => run.sources), [2, 4, 8]);
      for (const run of result.runs) assert.ok(run.achievedOverNR >= 0.9 && run.achievedOverNR <= 1, JSON.stringify(run));
      const slow = result.slowSource;
      // Losing nine tenths of one of eight holders costs at least 8/7.1 when blocks split perfectly;
      // whole blocks cost a little more, and the scheduler must keep it within the target.
      assert.ok(slow.slowdown >= 1 && slow.slowdown <= 1.15, JSON.stringify(slow));
      assert.ok(slow.slowBlocks <= 0.05 * result.blocks, `the slow holder served ${slow.slowBlocks} blocks`);
    }
  });

  it('is deterministic: one seed gives one trace, another seed another', () => {
    const run = (seed: number): SwarmExperimentResult => runSwarmExperiment({ ...SWARM_DEFAULTS, sources: [3], fileBytes: 8 * 1024 * 1024, seed, latency: planetLabLatencyModel() });
    const first = run(11);
    assert.deepEqual(run(11), first);
    assert.notEqual(run(12).traceHash, first.traceHash);
  });

  it('runs from the CLI as a table or JSON, and refuses what it cannot run', async () => {
    let out = '';
    let err = '';
    await runSimExperiment(['swarm', '--sources', '2,4', '--latency', 'none', '--seed', '5', '--json'], { out: (text) => (out += text), err: (text) => (err += text), env: {} });
    assert.equal(err, 'seed=5\n');
    const parsed = JSON.parse(out) as SwarmExperimentResult;
    assert.deepEqual([parsed.experiment, parsed.latency, parsed.runs.length, parsed.slowSource.sources], ['swarm', 'none', 2, 4]);
    let table = '';
    await runSimExperiment(['swarm', '--sources', '2', '--seed', '5'], { out: (text) => (table += text), err: () => {}, env: {} });
    assert.match(table, /^swarm \(seed 5, 64 MiB in \d+ blocks, holders at 1 MiB\/s each, latency planetlab\)/);
    assert.match(table, /one of 2 at 0\.1 MiB\/s: [\d.]+ s, [\d.]+× the all-fast time \(floor 1\.818\)/);
    const io = { out: () => {}, err: () => {}, env: {} };
    for (const args of [['swarm', '--sources', '0'], ['swarm', '--sources', 'x'], ['swarm', '--latency', 'mars'], ['swarm', '--nodes', '5'], ['load-balance', '--sources', '2'], ['churn', '--latency', 'geo']]) {
      await assert.rejects(runSimExperiment(args, io), UsageError, JSON.stringify(args));
    }
  });
});
