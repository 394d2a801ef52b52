/**
 * How well the nodes' Vivaldi coordinates predict round trips at the end of a lookup experiment
 * with proximity on (`vivaldiRelErrorP50`; Dabek et al., SIGCOMM 2004, §5).
 *
 * Each part of a split run knows the coordinates of its own nodes only, so a part hands in
 * samples — node, place and coordinate — and the figure is computed from all parts' samples in
 * node order, with a random stream of its own: a split run reports what one thread reports.
 */
import { randomBelow } from '../../core/random.ts';
import { predictedRttMs, relativeError, type VivaldiCoordinate } from '../../core/vivaldi.ts';
import type { LatencyModel, Placement } from '../latency/model.ts';
import type { Prng } from '../prng.ts';
import { quantileSorted, round } from '../stats.ts';
import type { World } from '../world.ts';

/** The experiment's stream (World.stream) that draws the pairs; no other draw uses it. */
export const VIVALDI_PAIRS_STREAM = 4;

/** Random pairs of nodes whose predicted RTT is compared with the model's. */
export const VIVALDI_PAIRS = 20_000;

/** One online node's coordinate, with its place in the latency model. Plain data: a worker can post it. */
export interface CoordinateSample {
  readonly index: number;
  readonly placement: Placement;
  readonly coordinate: VivaldiCoordinate;
}

/** The samples of the online nodes this world runs, in node order. */
export function coordinateSamples(world: World): CoordinateSample[] {
  const samples: CoordinateSample[] = [];
  for (const node of world.nodes) {
    const coordinate = node.online ? node.dht?.coordinate : undefined;
    if (coordinate) samples.push({ index: node.index, placement: node.placement, coordinate });
  }
  return samples;
}

/**
 * The median relative error of the predictions over random pairs of the sampled nodes (`samples`
 * in node order): what their coordinates predict against the RTT the latency model gives them,
 * access delays included. NaN with fewer than two samples.
 */
export function vivaldiRelErrorP50(samples: readonly CoordinateSample[], latency: LatencyModel, random: Prng): number {
  if (samples.length < 2) return Number.NaN;
  const errors: number[] = [];
  for (let i = 0; i < VIVALDI_PAIRS; i++) {
    const a = samples[randomBelow(random, samples.length)];
    const b = samples[randomBelow(random, samples.length)];
    if (a === b) continue;
    const measuredMs = latency.rttMs(a.placement, b.placement);
    if (!(measuredMs > 0)) continue;
    errors.push(relativeError(predictedRttMs(a.coordinate, b.coordinate), measuredMs));
  }
  errors.sort((x, y) => x - y);
  return round(quantileSorted(errors, 0.5), 4);
}
