/**
 * Vivaldi on the measured PlanetLab matrix (issue 6, item 1: at 10^4 nodes, median relative error
 * ≤ 12%; the paper reports 11% on its King matrix): `nodes` nodes placed on the 490 hosts as the
 * simulator places them (sim/latency: a host each at random, plus an access delay), every node at
 * the origin, each knowing `neighbours` others at random and `rounds` times sampling the RTT to one
 * of them and updating its coordinate from the neighbour's (core/vivaldi.ts). Then the predicted
 * RTT of `pairs` random pairs (every pair, for few nodes) is compared with the model's: the median
 * and 90th percentile relative error, beside a baseline that predicts every RTT as the median RTT
 * (what a node knows without coordinates).
 *
 * This measures the embedding alone, as the paper's §5 does; the DHT does not carry coordinates in
 * its messages yet (docs/PROXIMITY.md).
 */
import { ORIGIN, predictedRttMs, relativeError, vivaldiUpdate, type VivaldiCoordinate } from '../../core/vivaldi.ts';
import type { LatencyModel, Placement } from '../latency/model.ts';
import { planetLabLatencyModel } from '../latency/planetlab.ts';
import { Prng } from '../prng.ts';
import { quantileSorted } from '../stats.ts';

export interface VivaldiExperimentOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly neighbours: number;
  readonly rounds: number;
  /** Pairs whose prediction is judged (every pair when there are fewer). */
  readonly pairs: number;
  /** The PlanetLab matrix by default. */
  readonly latency?: LatencyModel;
}

export interface VivaldiExperimentResult {
  readonly nodes: number;
  readonly latency: string;
  readonly neighbours: number;
  readonly rounds: number;
  readonly samples: number;
  readonly pairsJudged: number;
  readonly vivaldiRelErrorP50: number;
  readonly vivaldiRelErrorP90: number;
  /** The same figures for a prediction of every RTT as the median RTT of the pairs judged. */
  readonly medianPredictorRelErrorP50: number;
  readonly medianPredictorRelErrorP90: number;
  /** vivaldiRelErrorP50 ÷ medianPredictorRelErrorP50. */
  readonly ratioToBaseline: number;
  /** Mean of the nodes' own error estimates at the end. */
  readonly meanErrorEstimate: number;
}

export function runVivaldiExperiment(options: VivaldiExperimentOptions): VivaldiExperimentResult {
  const latency = options.latency ?? planetLabLatencyModel();
  const nodes = options.nodes;
  if (!Number.isInteger(nodes) || nodes < 2) throw new RangeError('nodes: at least 2');
  const root = Prng.fromSeed(options.seed);
  const setup = root.stream(0);
  const placements: Placement[] = Array.from({ length: nodes }, () => latency.place(setup));
  const rtt = (a: number, b: number): number => latency.rttMs(placements[a], placements[b]);
  const other = (random: Prng, node: number): number => {
    const pick = Math.floor(random.nextFloat() * (nodes - 1));
    return pick >= node ? pick + 1 : pick;
  };
  const neighbours = Math.min(options.neighbours, nodes - 1);
  const neighbourLists = Array.from({ length: nodes }, (_, node) => {
    const chosen = new Set<number>();
    while (chosen.size < neighbours) chosen.add(other(setup, node));
    return [...chosen];
  });
  const coordinates: VivaldiCoordinate[] = Array.from({ length: nodes }, () => ORIGIN);
  const draws = root.stream(1);
  let samples = 0;
  for (let round = 0; round < options.rounds; round++) {
    for (let node = 0; node < nodes; node++) {
      const list = neighbourLists[node];
      const peer = list[Math.floor(draws.nextFloat() * list.length)];
      coordinates[node] = vivaldiUpdate(coordinates[node], coordinates[peer], rtt(node, peer), draws);
      samples++;
    }
  }
  const judged: [number, number][] = [];
  const allPairs = (nodes * (nodes - 1)) / 2;
  if (allPairs <= options.pairs) {
    for (let a = 0; a < nodes; a++) for (let b = a + 1; b < nodes; b++) judged.push([a, b]);
  } else {
    const picks = root.stream(2);
    for (let index = 0; index < options.pairs; index++) {
      const a = Math.floor(picks.nextFloat() * nodes);
      judged.push([a, other(picks, a)]);
    }
  }
  const measured = judged.map(([a, b]) => rtt(a, b));
  const medianRtt = quantileSorted([...measured].sort((p, q) => p - q), 0.5);
  const vivaldiErrors = judged.map(([a, b], index) => relativeError(predictedRttMs(coordinates[a], coordinates[b]), measured[index])).sort((p, q) => p - q);
  const baselineErrors = measured.map((value) => relativeError(medianRtt, value)).sort((p, q) => p - q);
  const round3 = (value: number): number => Math.round(value * 1000) / 1000;
  const p50 = quantileSorted(vivaldiErrors, 0.5);
  const baselineP50 = quantileSorted(baselineErrors, 0.5);
  return {
    nodes, latency: latency.name, neighbours, rounds: options.rounds, samples, pairsJudged: judged.length,
    vivaldiRelErrorP50: round3(p50), vivaldiRelErrorP90: round3(quantileSorted(vivaldiErrors, 0.9)),
    medianPredictorRelErrorP50: round3(baselineP50), medianPredictorRelErrorP90: round3(quantileSorted(baselineErrors, 0.9)),
    ratioToBaseline: round3(p50 / baselineP50),
    meanErrorEstimate: round3(coordinates.reduce((sum, coordinate) => sum + coordinate.error, 0) / nodes),
  };
}

