/**
 * `churn` (issue 6, item 2; survey §4.2: Kademlia keeps the contacts it has known longest, which
 * under churn are the likeliest to stay — Saroiu et al.'s session measurements): the lookup
 * experiment (lookup-experiment.ts) under exponential sessions of each median length, and under the
 * Mojo Nation profile, at one network size — correctness, latency and the maintenance traffic a
 * node pays — each with Kademlia's ping-first eviction and with plain LRU (a full bucket's least
 * recently seen contact evicted for any newcomer at once), to show what keeping old contacts buys:
 * fewer dead contacts met per lookup. The runs are the caller's (`runWith(churnSpec, eviction)`),
 * as `peergrid sim lookup --churn … --eviction …` would make them.
 */
import type { EvictionPolicy } from '../../../core/config.ts';
import type { LookupExperimentResult } from '../lookup-experiment.ts';

export interface ChurnFigures {
  readonly correctRate: number;
  readonly recallMean: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  /** Requests per lookup that failed or went silent: the dead contacts a lookup met. */
  readonly failuresPerLookup: number;
  readonly maintenanceBytesPerNodePerSec: number;
}

export interface ChurnPoint extends ChurnFigures {
  /** `exp:<minutes>` or `mojo`. */
  readonly churn: string;
  /** The median session in minutes (null for mojo, a mixture). */
  readonly medianSessionMinutes: number | null;
  /** The same churn with plain LRU eviction (the point's own figures are Kademlia's ping-first). */
  readonly lru: ChurnFigures;
}

export interface ChurnResult {
  readonly experiment: 'churn';
  readonly claim: string;
  readonly seed: number;
  readonly nodes: number;
  readonly points: readonly ChurnPoint[];
}

export const CHURN_DEFAULTS = { nodes: 1000, sessionMinutes: [5, 15, 60, 180] } as const;

/** Runs every churn and eviction at once: `runWith` may run them on several threads (parallel/task-pool.ts). */
export async function runChurn(
  options: { readonly seed: number; readonly nodes: number; readonly sessionMinutes: readonly number[] },
  runWith: (churn: string, eviction: EvictionPolicy) => Promise<LookupExperimentResult>,
): Promise<ChurnResult> {
  const specs = [...options.sessionMinutes.map((minutes) => `exp:${minutes}`), 'mojo'];
  const figures = (result: LookupExperimentResult): ChurnFigures => ({
    correctRate: result.correctRate, recallMean: result.recallMean, latencyP50Ms: result.latencyMs.p50, latencyP95Ms: result.latencyMs.p95,
    failuresPerLookup: result.failuresPerLookup, maintenanceBytesPerNodePerSec: result.maintenanceBytesPerNodePerSec,
  });
  const runs = await Promise.all(specs.map((churn) => Promise.all([runWith(churn, 'ping-first'), runWith(churn, 'lru')])));
  const points = specs.map((churn, i): ChurnPoint => ({
    churn, medianSessionMinutes: churn === 'mojo' ? null : Number(churn.slice(4)),
    ...figures(runs[i][0]),
    lru: figures(runs[i][1]),
  }));
  return {
    experiment: 'churn',
    claim: 'a DHT stays correct under churn at a maintenance cost that grows as sessions shorten; Kademlia keeps long-lived contacts, which are the likeliest to stay (survey §4.2)',
    seed: options.seed, nodes: options.nodes, points,
  };
}
