/**
 * `hops-vs-n` (issue 6, item 2; survey §3.1.2: a structured overlay finds a key in O(log n) hops):
 * the lookup experiment (lookup-experiment.ts, a static network on the PlanetLab latency model) at
 * each network size, its hops beside log_{2^b} n — the bound for b bits resolved per hop — and
 * log2 n. The runs are the caller's (`runAt`), so the experiment uses whatever configuration the
 * CLI's `sim lookup` would (its defaults).
 */
import type { LookupExperimentResult } from '../lookup-experiment.ts';

export interface HopsPoint {
  readonly nodes: number;
  readonly hopsMean: number;
  readonly hopsP95: number;
  readonly hopsMax: number;
  readonly correctRate: number;
  readonly latencyP50Ms: number;
  /** log_{2^b} n, b the bits per digit the runs used. */
  readonly logBaseDigitN: number;
  readonly log2N: number;
}

export interface HopsVsNResult {
  readonly experiment: 'hops-vs-n';
  readonly claim: string;
  readonly seed: number;
  readonly lookups: number;
  readonly bitsPerDigit: number;
  readonly points: readonly HopsPoint[];
}

export const HOPS_VS_N_NODES = [100, 300, 1000, 3000, 10_000];

/** Runs every size at once: `runAt` may run them on several threads (parallel/task-pool.ts). */
export async function runHopsVsN(
  options: { readonly seed: number; readonly nodes: readonly number[]; readonly lookups: number; readonly bitsPerDigit: number },
  runAt: (nodes: number) => Promise<LookupExperimentResult>,
): Promise<HopsVsNResult> {
  const round3 = (value: number): number => Math.round(value * 1000) / 1000;
  const results = await Promise.all(options.nodes.map((nodes) => runAt(nodes)));
  const points = options.nodes.map((nodes, i): HopsPoint => {
    const result = results[i];
    return {
      nodes, hopsMean: result.hops.mean, hopsP95: result.hops.p95, hopsMax: result.hops.max, correctRate: result.correctRate, latencyP50Ms: result.latencyMs.p50,
      logBaseDigitN: round3(Math.log2(nodes) / options.bitsPerDigit), log2N: round3(Math.log2(nodes)),
    };
  });
  return {
    experiment: 'hops-vs-n',
    claim: 'a structured overlay finds a key in O(log n) hops (survey §3.1.2); Kademlia resolving b bits a hop, in about log_{2^b} n',
    seed: options.seed, lookups: options.lookups, bitsPerDigit: options.bitsPerDigit, points,
  };
}
