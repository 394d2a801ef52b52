/**
 * Option builders for split runs in tests: a worker thread builds its options from one of these
 * (parallel-lookup.ts's OptionsRecipe), as the CLI's workers build theirs from its arguments.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { defaultDhtConfig } from '../../../src/core/config.ts';
import { parseChurnSpec } from '../../../src/sim/churn/spec.ts';
import type { LookupExperimentOptions } from '../../../src/sim/experiments/lookup-experiment.ts';
import { geoLatencyModel } from '../../../src/sim/latency/geo.ts';
import { planetLabLatencyModel } from '../../../src/sim/latency/planetlab.ts';
import { defaultNetworkConfig } from '../../../src/sim/network.ts';

export interface SmallRunInput {
  readonly seed: number;
  readonly nodes: number;
  readonly lookups: number;
  readonly wire?: boolean;
  readonly lossRate?: number;
  readonly bandwidth?: number;
  readonly geo?: boolean;
  /** A churn spec (churn/spec.ts); with it, a warm-up of `warmupMinutes` and graceful leaves for a fifth of departures. */
  readonly churn?: string;
  readonly warmupMinutes?: number;
  /** Vivaldi coordinates, proximity neighbour and route selection. */
  readonly proximity?: boolean;
  /** Run the invariant checkers every this many simulated milliseconds. */
  readonly checkEveryMs?: number;
  /** Round trips a new connection costs (network and kernel alike, as the CLI's --connect-rtts). */
  readonly connectRtts?: number;
}

export function smallRun(input: SmallRunInput): LookupExperimentOptions {
  return {
    seed: input.seed, nodes: input.nodes, lookups: input.lookups, dht: { ...defaultDhtConfig, proximity: input.proximity ?? false, connectionSetupRtts: input.connectRtts ?? 0 }, latency: input.geo ? geoLatencyModel() : planetLabLatencyModel(),
    network: { ...defaultNetworkConfig, lossRate: input.lossRate ?? 0, uplinkBytesPerSecond: input.bandwidth ?? 0, connectionSetupRtts: input.connectRtts ?? 0 },
    churn: input.churn === undefined ? null : parseChurnSpec(input.churn), wire: input.wire ?? false, joinSpacingMs: 10,
    warmupMs: (input.warmupMinutes ?? 0.5) * 60_000, windowMs: 60_000, gracefulLeaveFraction: input.churn === undefined ? 0 : 0.2,
    invariantCheckIntervalMs: input.checkEveryMs ?? 0,
  };
}

/** The same run, except that the worker of part 1 fails while it builds its options. */
export function failingInPartOne(input: SmallRunInput): LookupExperimentOptions {
  if (!isMainThread && (workerData as { part: number }).part === 1) throw new Error('part one cannot start');
  return smallRun(input);
}
