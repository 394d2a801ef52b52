/**
 * `peergrid sim lookup`: parses and validates the options into a lookup experiment, runs it, and
 * prints the result (readable summary, or one JSON object with --json). The seed always goes to
 * stderr first as `seed=<S>`, so any run can be replayed.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { checkDhtConfig, defaultDhtConfig } from '../../core/config.ts';
import type { DhtConfig, EvictionPolicy, JoinRefreshStyle, LookupFinishRule } from '../../core/config.ts';
import { Limits } from '../../core/limits.ts';
import { exponentialFromMedian, pareto, weibull } from '../../sim/churn/distributions.ts';
import { MOJO } from '../../sim/churn/models.ts';
import type { ChurnModel } from '../../sim/churn/models.ts';
import { CHURN_SPEC_FORMS, parseChurnSpec } from '../../sim/churn/spec.ts';
import { runLookupExperiment, splitRunProblem } from '../../sim/experiments/lookup-experiment.ts';
import type { LookupExperimentOptions, LookupExperimentResult } from '../../sim/experiments/lookup-experiment.ts';
import type { LatencyModel } from '../../sim/latency/model.ts';
import { parseLatencySpec } from '../../sim/latency/spec.ts';
import { defaultNetworkConfig } from '../../sim/network.ts';
import type { NetworkConfig } from '../../sim/network.ts';
import {
  formatBound, parseCommandLine, parseDuration, parseInteger, parseNumber, parseProbability, UsageError,
} from '../args.ts';
import { CommandFailedError, type CliCommand, type CliIo } from '../command.ts';
import { formatSummary } from './format.ts';
import { runLookupExperimentSplit, WORKERS_MAX } from '../../sim/parallel/parallel-lookup.ts';
import { heapCapToRelaunchMb, RELAUNCHED_ENV, splitMemoryProblem, workerHeapCapMb } from './heap.ts';

const MINUTE_MS = 60_000;

export const Bounds = Object.freeze({
  nodesMax: 1_000_000,
  lookupsMax: 10_000_000,
  seedMax: Number.MAX_SAFE_INTEGER,
  kMax: Limits.bucketSizeMax,
  alphaMax: 64,
  bitsMax: 5,
  /**
   * Simulated time is bounded: a warm-up or window of 1e300 minutes, or probes every nanosecond,
   * would run until killed. These bounds are far beyond any run that finishes in hours.
   */
  warmupOrWindowMaxMs: 30 * 24 * 60 * MINUTE_MS,
  joinSpacingMaxMs: 60 * MINUTE_MS,
  probeMinMs: 100,
  checkMinMs: 1000,
  /** A churn model's median session: at least a second, at most a week (its default warm-up is three). */
  sessionMedianMinMs: 1000,
  sessionMedianMaxMs: 7 * 24 * 60 * MINUTE_MS,
});

/** Defaults that are the CLI's own choice; the protocol's come from defaultDhtConfig and defaultNetworkConfig. */
export const Defaults = Object.freeze({
  nodes: 1000,
  latency: 'planetlab',
  churn: 'none',
  joinSpacingMs: 10,
  gracefulLeaveFraction: 0,
  /** Without churn: quiet time after the last join, and the measured window. */
  staticWarmupMs: 1 * MINUTE_MS,
  staticWindowMs: 10 * MINUTE_MS,
  /** With churn: warm-up and window in median sessions, and the floor under both. */
  churnWarmupSessions: 3,
  churnWindowSessions: 1,
  churnMinimumMs: 10 * MINUTE_MS,
  /** Traces have no model median; both default to this. */
  traceMs: 10 * MINUTE_MS,
});

/** Seeds drawn when --seed is absent: crypto.randomInt allows a range of at most 2^48 - 1. */
const DRAWN_SEED_LIMIT = 2 ** 48 - 1;

const OPTIONS = {
  nodes: { type: 'string' },
  lookups: { type: 'string' },
  seed: { type: 'string' },
  latency: { type: 'string' },
  churn: { type: 'string' },
  loss: { type: 'string' },
  k: { type: 'string' },
  alpha: { type: 'string' },
  bits: { type: 'string' },
  finish: { type: 'string' },
  'maintenance-finish': { type: 'string' },
  probe: { type: 'string' },
  check: { type: 'string' },
  'connect-rtts': { type: 'string' },
  bandwidth: { type: 'string' },
  graceful: { type: 'string' },
  'join-spacing': { type: 'string' },
  warmup: { type: 'string' },
  window: { type: 'string' },
  wire: { type: 'boolean' },
  proximity: { type: 'string' },
  eviction: { type: 'string' },
  join: { type: 'string' },
  workers: { type: 'string' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Everything a run needs, validated. */
export interface SimLookupPlan {
  readonly experiment: Omit<LookupExperimentOptions, 'progress'>;
  /** Worker threads for the measured window (1: the run is not split). */
  readonly workers: number;
  readonly json: boolean;
  readonly progress: boolean;
}

/** Draws a seed for a run without --seed (the CLI may use real randomness; the simulator never does). */
export function drawSeed(): number {
  return randomInt(0, DRAWN_SEED_LIMIT);
}

/**
 * Parses and validates the options of `peergrid sim lookup`. Every bad value is a UsageError naming
 * its flag and the accepted range. Loads the latency model and the churn model (which may read files).
 */
export function parseSimLookupArgs(args: readonly string[], seedSource: () => number = drawSeed): SimLookupPlan {
  const { values } = parseCommandLine(args, OPTIONS);

  const nodes = values.nodes === undefined ? Defaults.nodes : parseInteger('--nodes', values.nodes, 1, Bounds.nodesMax);
  const lookups = values.lookups === undefined ? nodes : parseInteger('--lookups', values.lookups, 0, Bounds.lookupsMax);
  const seed = values.seed === undefined ? seedSource() : parseInteger('--seed', values.seed, 0, Bounds.seedMax);

  const k = values.k === undefined ? defaultDhtConfig.k : parseInteger('--k', values.k, 1, Bounds.kMax);
  const alpha = values.alpha === undefined ? defaultDhtConfig.alpha : parseInteger('--alpha', values.alpha, 1, Bounds.alphaMax);
  const bitsPerDigit = values.bits === undefined ? defaultDhtConfig.bitsPerDigit : parseInteger('--bits', values.bits, 1, Bounds.bitsMax);
  const lookupFinish = values.finish === undefined
    ? defaultDhtConfig.lookupFinish : parseFinishRule('--finish', values.finish, k);
  const maintenanceLookupFinish = values['maintenance-finish'] === undefined
    ? defaultDhtConfig.maintenanceLookupFinish : parseFinishRule('--maintenance-finish', values['maintenance-finish'], k);
  const neighbourhoodProbeIntervalMs = values.probe === undefined
    ? defaultDhtConfig.neighbourhoodProbeIntervalMs : parseDuration('--probe', values.probe, 's', { min: 0 });
  if (neighbourhoodProbeIntervalMs > 0 && neighbourhoodProbeIntervalMs < Bounds.probeMinMs) {
    throw new UsageError(`--probe must be 0 (off) or at least ${Bounds.probeMinMs}ms, got '${values.probe}'`);
  }
  const proximity = values.proximity === undefined ? defaultDhtConfig.proximity : parseOnOff('--proximity', values.proximity);
  const eviction = values.eviction === undefined ? defaultDhtConfig.eviction : parseEviction(values.eviction);
  const joinRefresh = values.join === undefined ? defaultDhtConfig.joinRefresh : parseJoinRefresh(values.join);
  const dht: DhtConfig = { ...defaultDhtConfig, k, alpha, bitsPerDigit, proximity, eviction, lookupFinish, maintenanceLookupFinish, joinRefresh, neighbourhoodProbeIntervalMs };
  const invariantCheckIntervalMs = values.check === undefined ? 0 : parseDuration('--check', values.check, 's', { min: Bounds.checkMinMs });

  const network: NetworkConfig = {
    ...defaultNetworkConfig,
    lossRate: values.loss === undefined
      ? defaultNetworkConfig.lossRate : parseProbability('--loss', values.loss, { allowOne: false }),
    connectionSetupRtts: values['connect-rtts'] === undefined
      ? defaultNetworkConfig.connectionSetupRtts : parseNumber('--connect-rtts', values['connect-rtts'], { min: 0 }),
    uplinkBytesPerSecond: values.bandwidth === undefined
      ? defaultNetworkConfig.uplinkBytesPerSecond : parseNumber('--bandwidth', values.bandwidth, { min: 0 }),
  };
  // The kernel is told what its transport costs, as a real node's configuration tells it
  // (DhtConfig.connectionSetupRtts): first requests allow for the set-up instead of taking it for silence.
  const dhtForTransport: DhtConfig = { ...dht, connectionSetupRtts: network.connectionSetupRtts };
  const problems = checkDhtConfig(dhtForTransport);
  if (problems.length > 0) throw new UsageError(`invalid protocol configuration: ${problems.join('; ')}`);
  const gracefulLeaveFraction = values.graceful === undefined
    ? Defaults.gracefulLeaveFraction : parseProbability('--graceful', values.graceful);
  const joinSpacingMs = values['join-spacing'] === undefined
    ? Defaults.joinSpacingMs : parseDuration('--join-spacing', values['join-spacing'], 'ms', { min: 0, minExclusive: true, max: Bounds.joinSpacingMaxMs });

  const latency = parseLatency(values.latency ?? Defaults.latency);
  const churnText = values.churn ?? Defaults.churn;
  const churn = parseChurn(churnText);
  const medianSessionMs = churn === null ? null : churnMedianSessionMs(churnText);
  if (medianSessionMs !== null && !(medianSessionMs >= Bounds.sessionMedianMinMs && medianSessionMs <= Bounds.sessionMedianMaxMs)) {
    throw new UsageError(`--churn '${churnText}': its median session must be from 1 second to 7 days, got ${medianSessionMs / MINUTE_MS} minutes`);
  }
  const measurement = defaultMeasurementMs(churn === null ? null : churnText);
  const warmupMs = values.warmup === undefined
    ? measurement.warmupMs : parseDuration('--warmup', values.warmup, 'm', { min: 0, max: Bounds.warmupOrWindowMaxMs });
  const windowMs = values.window === undefined
    ? measurement.windowMs : parseDuration('--window', values.window, 'm', { min: 0, minExclusive: true, max: Bounds.warmupOrWindowMaxMs });

  const experiment = {
    seed, nodes, lookups, dht: dhtForTransport, latency, network, churn,
    wire: values.wire ?? false,
    joinSpacingMs, warmupMs, windowMs, gracefulLeaveFraction, invariantCheckIntervalMs,
  };
  const workers = values.workers === undefined ? 1 : parseInteger('--workers', values.workers, 1, WORKERS_MAX);
  // A thread with no node of its own would wait for the others' messages forever.
  if (workers > nodes) throw new UsageError(`--workers ${workers} is more than the ${formatBound(nodes)} nodes: each thread runs some of them`);
  const splitProblem = workers > 1 ? splitRunProblem(experiment) : null;
  if (splitProblem !== null) throw new UsageError(`--workers ${workers}: ${splitProblem}`);
  return {
    experiment,
    workers,
    json: values.json ?? false,
    progress: values.progress ?? false,
  };
}

function parseEviction(text: string): EvictionPolicy {
  if (text === 'ping-first' || text === 'lru') return text;
  throw new UsageError(`--eviction must be 'ping-first' or 'lru', got '${text}'`);
}

function parseJoinRefresh(text: string): JoinRefreshStyle {
  if (text === 'lookups' || text === 'requests') return text;
  throw new UsageError(`--join must be 'lookups' or 'requests', got '${text}'`);
}

/** 'on' or 'off'. */
export function parseOnOff(flag: string, text: string): boolean {
  if (text === 'on') return true;
  if (text === 'off') return false;
  throw new UsageError(`${flag} must be 'on' or 'off', got '${text}'`);
}

/** 'strict', or an integer q in 1…k: the lookup stops once the q closest seen have answered. */
export function parseFinishRule(flag: string, text: string, k: number): LookupFinishRule {
  if (text === 'strict') return 'strict';
  try {
    return parseInteger(flag, text, 1, k);
  } catch {
    throw new UsageError(`${flag} must be 'strict' or an integer from 1 to k = ${formatBound(k)}, got '${text}'`);
  }
}

function parseLatency(text: string): LatencyModel {
  try {
    return parseLatencySpec(text);
  } catch (error) {
    throw new UsageError(`--latency: ${(error as Error).message}`);
  }
}

/** The churn model, or null for none (the experiment's static join path). */
function parseChurn(text: string): ChurnModel | null {
  if (text.trim() === 'none') return null;
  try {
    return parseChurnSpec(text);
  } catch (error) {
    throw new UsageError(`--churn: ${(error as Error).message}`);
  }
}

/**
 * The median session length of a (valid) churn spec, from the model's own distributions: exp:m → m
 * minutes, weibull:k:s → s (ln 2)^(1/k), pareto:k:s → s 2^(1/k), mojo → its established users'
 * median session. Null for traces (no model median) and for none.
 */
export function churnMedianSessionMs(spec: string): number | null {
  const [kind, ...parameters] = spec.trim().split(':');
  const numbers = parameters.map(Number);
  switch (kind) {
    case 'mojo': return MOJO.establishedSessionMedianMs;
    case 'exp': return exponentialFromMedian(numbers[0] * MINUTE_MS).medianMs;
    case 'weibull': return weibull(numbers[0], numbers[1] * MINUTE_MS).medianMs;
    case 'pareto': return pareto(numbers[0], numbers[1] * MINUTE_MS).medianMs;
    default: return null;
  }
}

/**
 * Default warm-up and window. Without churn (null): 1 and 10 minutes. With churn: 3 median sessions
 * to reach steady state and 1 to measure, each at least 10 minutes; traces: 10 minutes each.
 */
export function defaultMeasurementMs(churnSpec: string | null): { warmupMs: number; windowMs: number } {
  if (churnSpec === null || churnSpec.trim() === 'none') {
    return { warmupMs: Defaults.staticWarmupMs, windowMs: Defaults.staticWindowMs };
  }
  const medianMs = churnMedianSessionMs(churnSpec);
  if (medianMs === null) return { warmupMs: Defaults.traceMs, windowMs: Defaults.traceMs };
  return {
    warmupMs: Math.max(Defaults.churnMinimumMs, Defaults.churnWarmupSessions * medianMs),
    windowMs: Math.max(Defaults.churnMinimumMs, Defaults.churnWindowSessions * medianMs),
  };
}

/** What a worker of a split run calls to make the same options (parallel-lookup.ts's OptionsRecipe). */
export function experimentFromArgs(input: { readonly args: readonly string[]; readonly seed: number }): LookupExperimentOptions {
  return parseSimLookupArgs(input.args, () => input.seed).experiment;
}

/** A whole run made from the same arguments: what a thread of a task pool calls (parallel/task-pool.ts). */
export function lookupResultFromArgs(input: { readonly args: readonly string[]; readonly seed: number }): LookupExperimentResult {
  return runLookupExperiment(experimentFromArgs(input));
}

export async function runSimLookup(args: readonly string[], io: CliIo): Promise<void> {
  const plan = parseSimLookupArgs(args);
  const memoryProblem = splitMemoryProblem(plan.experiment.nodes, plan.workers, totalmem(), plan.experiment.churn !== null);
  if (memoryProblem !== null) throw new UsageError(`--workers ${plan.workers}: ${memoryProblem}`);
  // A split run's workers get caps of their own (workerHeapCapMb); only a whole run is relaunched.
  const heapCapMb = plan.workers > 1 ? null : heapCapToRelaunchMb(plan.experiment.nodes, getHeapStatistics().heap_size_limit, totalmem(), io.env);
  if (heapCapMb !== null) {
    relaunchWithHeap(heapCapMb, io);
    return;
  }
  io.err(`seed=${plan.experiment.seed}\n`);
  const progress = plan.progress ? (line: string) => io.err(`${line}\n`) : undefined;
  let result: LookupExperimentResult;
  if (plan.workers > 1) {
    // The workers parse the same arguments, with the seed fixed to this run's.
    const recipe = { module: import.meta.url, export: 'experimentFromArgs', input: { args: [...args], seed: plan.experiment.seed } };
    const workerHeapMb = workerHeapCapMb(
      plan.experiment.nodes, plan.workers, plan.experiment.dht.k, getHeapStatistics().heap_size_limit, totalmem(), plan.experiment.churn !== null,
    );
    result = await runLookupExperimentSplit(recipe, plan.workers, { progress, workerHeapMb });
  } else {
    result = runLookupExperiment({ ...plan.experiment, progress });
  }
  io.out(plan.json ? `${JSON.stringify(result)}\n` : formatSummary(result));
}

/**
 * Runs this very command again in a child with a larger heap cap (heap.ts), passing its output
 * through; the child's failure becomes ours. Synchronous: the terminal's Ctrl-C reaches both.
 */
function relaunchWithHeap(heapCapMb: number, io: CliIo): void {
  io.err(`peergrid: raising the heap cap to ${heapCapMb} MiB for this simulation (a child process)\n`);
  const child = spawnSync(process.execPath, [...process.execArgv, `--max-old-space-size=${heapCapMb}`, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [RELAUNCHED_ENV]: '1' },
  });
  if (child.error) throw child.error;
  if (child.status !== 0) throw new CommandFailedError(`the simulation ended with ${child.status === null ? `signal ${child.signal}` : `status ${child.status}`}`);
}

function finishDefault(rule: LookupFinishRule): string {
  return rule === 'strict' ? 'strict' : `q = ${rule}`;
}

export function simLookupUsage(): string {
  const d = defaultDhtConfig;
  const n = defaultNetworkConfig;
  const churnForms = CHURN_SPEC_FORMS.map((form) => `                           ${form}`).join('\n');
  return `Usage: peergrid sim lookup [options]

Builds an overlay through the real join protocol (optionally under churn) in the deterministic
simulator, then runs lookups for random keys from random nodes during a measured window and judges
each against an oracle: correctness, recall, hops, latency, stretch, traffic.

Workload:
  --nodes N                nodes online (on average, under churn), 1 to ${formatBound(Bounds.nodesMax)} (default ${Defaults.nodes})
  --lookups L              lookups in the window, 0 to ${formatBound(Bounds.lookupsMax)} (default: N)
  --seed S                 integer 0 to 2^53-1 (default: random); always printed first on stderr as seed=S
  --join-spacing MS        time between two initial joins, ms, > 0, at most 1h (default ${Defaults.joinSpacingMs})
  --warmup MIN             minutes before the window, 0 to 30 days (default: ${Defaults.staticWarmupMs / MINUTE_MS} without churn;
                           ${Defaults.churnWarmupSessions} median sessions, at least ${Defaults.churnMinimumMs / MINUTE_MS}, with churn; ${Defaults.traceMs / MINUTE_MS} for traces)
  --window MIN             minutes the lookups are spread over, up to 30 days (default: ${Defaults.staticWindowMs / MINUTE_MS} without churn;
                           ${Defaults.churnWindowSessions} median session, at least ${Defaults.churnMinimumMs / MINUTE_MS}, with churn; ${Defaults.traceMs / MINUTE_MS} for traces)

Network:
  --latency MODEL          geo | planetlab | <RTT matrix file> (default ${Defaults.latency})
  --loss P                 probability a message is lost, in [0, 1) (default ${n.lossRate})
  --connect-rtts R         round trips charged on a new connection, >= 0 (default ${n.connectionSetupRtts})
  --bandwidth B            uplink bytes per second per node, >= 0; 0 = unlimited (default ${n.uplinkBytesPerSecond})
  --wire                   encode and decode every message with the wire codec

Churn:
  --churn MODEL            how nodes come and go, median sessions from 1 s to 7 days (default ${Defaults.churn}):
${churnForms}
  --graceful P             fraction of departures that leave gracefully, in [0, 1] (default ${Defaults.gracefulLeaveFraction})

Protocol (defaults are the kernel's):
  --k K                    bucket size and replication factor, 1 to ${Bounds.kMax} (default ${d.k})
  --alpha A                parallel requests per lookup, 1 to ${Bounds.alphaMax} (default ${d.alpha})
  --bits B                 bits per routing digit, 1 to ${Bounds.bitsMax} (default ${d.bitsPerDigit})
  --finish F               when a lookup stops: strict, or q in 1 to k (default ${finishDefault(d.lookupFinish)})
  --maintenance-finish F   the same for join and refresh lookups (default ${finishDefault(d.maintenanceLookupFinish)})
  --probe S                seconds between neighbourhood probes, 0 = off, else >= 100ms (default ${d.neighbourhoodProbeIntervalMs / 1000})
  --proximity on|off       Vivaldi coordinates, proximity neighbour and route selection (default ${d.proximity ? 'on' : 'off'})
  --eviction P             a full bucket's policy: ping-first (Kademlia) or lru, to compare (default ${d.eviction})
  --join S                 how a joining node fills its far buckets: lookups (a full lookup per
                           sibling subtree, Kademlia) or requests (one FIND_NODE per bucket) (default ${d.joinRefresh})

Parallel:
  --workers W              run the experiment on W worker threads, 1 to ${WORKERS_MAX} (default 1): each
                           runs its share of the nodes, joins included; the result and trace hash
                           are those of one thread (with --check, --proximity and --connect-rtts
                           too); on geo, static runs of at most 5,000 nodes

Checks:
  --check S                run the invariant checkers every S simulated seconds, >= 1; the result lists violations

Output:
  --json                   print the result as one JSON object on stdout
  --progress               print progress lines on stderr
  -h, --help               show this help

Durations also take a unit: 500ms, 30s, 10m, 2h.
Exit status: 0 on success, 1 on an unexpected error, 2 on bad usage.
`;
}

export const simLookupCommand: CliCommand = {
  path: ['sim', 'lookup'],
  usage: simLookupUsage,
  run: runSimLookup,
};
