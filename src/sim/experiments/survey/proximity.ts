/**
 * `proximity` (issue 6, item 2; survey §4.5: an overlay that knows which peers are near routes
 * with less stretch): the lookup experiment (lookup-experiment.ts, a static network on the
 * PlanetLab latency model) at each network size with proximity off and on — Vivaldi coordinates,
 * proximity neighbour selection, the nearest of equally good next hops and confirmations from the
 * nearest of the target's neighbourhood (docs/PROXIMITY.md) — its latency and stretch side by side.
 * The runs are the caller's (`runAt`), so the experiment uses whatever configuration the CLI's
 * `sim lookup` would, with the warm-up it is given (PNS improves a table as a node meets peers).
 */
import type { LookupExperimentResult } from '../lookup-experiment.ts';

export interface ProximitySide {
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly stretchP50: number;
  readonly stretchP95: number;
  readonly hopsMean: number;
  readonly correctRate: number;
  readonly messagesPerLookup: number;
  readonly bytesPerNodePerSec: number;
}

export interface ProximityPoint {
  readonly nodes: number;
  readonly off: ProximitySide;
  readonly on: ProximitySide;
  /** The median relative error of the coordinates' RTT predictions at the end of the run with proximity on. */
  readonly vivaldiRelErrorP50: number;
}

export interface ProximityResult {
  readonly experiment: 'proximity';
  readonly claim: string;
  readonly seed: number;
  readonly lookups: number;
  readonly warmupMinutes: number;
  readonly points: readonly ProximityPoint[];
}

export const PROXIMITY_DEFAULTS = { nodes: [300, 1000, 3000], warmupMinutes: 30 } as const;

/** Runs every size, off and on, at once: `runAt` may run them on several threads (parallel/task-pool.ts). */
export async function runProximity(
  options: { readonly seed: number; readonly nodes: readonly number[]; readonly lookups: number; readonly warmupMinutes: number },
  runAt: (nodes: number, proximity: boolean) => Promise<LookupExperimentResult>,
): Promise<ProximityResult> {
  const side = (result: LookupExperimentResult): ProximitySide => ({
    latencyP50Ms: result.latencyMs.p50, latencyP95Ms: result.latencyMs.p95, stretchP50: result.stretch.p50, stretchP95: result.stretch.p95,
    hopsMean: result.hops.mean, correctRate: result.correctRate, messagesPerLookup: result.messagesPerLookup, bytesPerNodePerSec: result.bytesPerNodePerSec,
  });
  const runs = await Promise.all(options.nodes.map((nodes) => Promise.all([runAt(nodes, false), runAt(nodes, true)])));
  const points = options.nodes.map((nodes, i): ProximityPoint => {
    const [off, on] = runs[i];
    return { nodes, off: side(off), on: side(on), vivaldiRelErrorP50: on.vivaldiRelErrorP50 ?? Number.NaN };
  });
  return {
    experiment: 'proximity',
    claim: 'choosing near neighbours and near next hops cuts lookup latency and stretch (survey §4.5; Castro et al. 2002, Dabek et al. 2004)',
    seed: options.seed, lookups: options.lookups, warmupMinutes: options.warmupMinutes, points,
  };
}
