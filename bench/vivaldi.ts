/**
 * `npm run bench -- vivaldi [--nodes N] [--neighbours K] [--rounds R] [--seed S]`: Vivaldi
 * coordinates on the PlanetLab matrix (issue 6, item 1; src/sim/experiments/vivaldi-experiment.ts),
 * the median relative error of the predicted RTTs beside a predictor of the median RTT (the ratio).
 * Defaults: 10^4 nodes, 32 neighbours each, 500 samples each, 200,000 pairs judged, seed 1.
 */
import { runVivaldiExperiment, type VivaldiExperimentResult } from '../src/sim/experiments/vivaldi-experiment.ts';

const DEFAULTS = { seed: 1, nodes: 10_000, neighbours: 32, rounds: 500, pairs: 200_000 };

export function vivaldiBenchmark(extra: readonly string[], say: (line: string) => void): VivaldiExperimentResult {
  const options: Record<string, number> = { ...DEFAULTS };
  for (let index = 0; index < extra.length; index += 2) {
    const name = extra[index].replace(/^--/, '');
    const value = Number(extra[index + 1]);
    if (!(name in DEFAULTS) || !Number.isSafeInteger(value) || value < 1) throw new Error(`vivaldi: unknown option or bad value: ${extra[index]} ${extra[index + 1] ?? ''} (options: ${Object.keys(DEFAULTS).map((key) => `--${key}`).join(' ')})`);
    options[name] = value;
  }
  say(`vivaldi: ${options.nodes} nodes on the PlanetLab matrix, ${options.neighbours} neighbours, ${options.rounds} samples each`);
  return runVivaldiExperiment({ seed: options.seed, nodes: options.nodes, neighbours: options.neighbours, rounds: options.rounds, pairs: options.pairs });
}
