/**
 * Runs a lookup experiment split across worker threads: a conservative parallel discrete-event
 * simulation (Fujimoto, CACM 1990). Every worker draws every node's identity and place from the
 * seed, and runs only its part of the nodes (node-partition.ts) from the first join on, trading
 * messages and notices of finished joins with the other parts and keeping within the lookahead of
 * their clocks (part-exchange.ts).
 *
 * The result is the one a single thread gives — the same figures, the same trace hash — because
 * the order of events at a node does not depend on how the run interleaves nodes (world.ts) and
 * the parts are summed up in an order of their own (summarizeLookupParts). Tests check that.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { splitRunProblem, type LookupExperimentOptions, type LookupExperimentResult, type LookupPart } from '../experiments/lookup-experiment.ts';
import { summarizeLookupParts } from '../experiments/lookup-summary.ts';
import type { LookupWorkerData, LookupWorkerMessage } from './lookup-worker.ts';
import {
  abortParts, createPartChannels, RING_BYTES_DEFAULT, SPINS_WITH_OWN_CORES, SPINS_WITH_SHARED_CORES, type PartChannels,
} from './part-exchange.ts';

/**
 * How a worker makes the experiment's options: `module`'s export `export`, called with `input`.
 * Options hold models and functions, which cannot be posted to a thread; a recipe can.
 */
export interface OptionsRecipe {
  /** An absolute file: URL. */
  readonly module: string;
  readonly export: string;
  readonly input: unknown;
}

export const WORKERS_MAX = 64;

export interface SplitRunOptions {
  /** Where the workers' progress lines go; none by default. */
  readonly progress?: (line: string) => void;
  /** Each ring's size between two parts. */
  readonly ringBytes?: number;
  /** Each worker's heap cap in MiB (sim-lookup/heap.ts, workerHeapCapMb); V8's default when absent. */
  readonly workerHeapMb?: number | null;
}

/** Runs the experiment the recipe describes on `workers` threads (2 or more). */
export async function runLookupExperimentSplit(recipe: OptionsRecipe, workers: number, split: SplitRunOptions = {}): Promise<LookupExperimentResult> {
  const { progress, ringBytes = RING_BYTES_DEFAULT, workerHeapMb = null } = split;
  if (!Number.isInteger(workers) || workers < 2 || workers > WORKERS_MAX) throw new RangeError(`a split run has 2 to ${WORKERS_MAX} workers, got ${workers}`);
  const build = (await import(recipe.module))[recipe.export] as (input: unknown) => LookupExperimentOptions;
  const options = build(recipe.input);
  const problem = splitRunProblem(options);
  if (problem !== null) throw new RangeError(problem);
  // Parts busy-wait for each other only when each can have a core of its own.
  const spins = workers <= availableParallelism() ? SPINS_WITH_OWN_CORES : SPINS_WITH_SHARED_CORES;
  const channels = createPartChannels(workers, ringBytes, spins);
  const threads: Worker[] = [];
  try {
    const parts = await Promise.all(Array.from({ length: workers }, (_, part) => runPart(recipe, channels, part, progress, workerHeapMb, threads)));
    return summarizeLookupParts(options, parts);
  } finally {
    abortParts(channels);
    await Promise.all(threads.map((thread) => thread.terminate()));
  }
}

function runPart(
  recipe: OptionsRecipe, channels: PartChannels, part: number, progress: ((line: string) => void) | undefined, workerHeapMb: number | null, threads: Worker[],
): Promise<LookupPart> {
  const workerData: LookupWorkerData = { recipe, channels, part, progress: progress !== undefined };
  const resourceLimits = workerHeapMb === null ? undefined : { maxOldGenerationSizeMb: workerHeapMb };
  const thread = new Worker(new URL('./lookup-worker.ts', import.meta.url), { workerData, resourceLimits });
  threads.push(thread);
  return new Promise<LookupPart>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      // The other parts wait for this one at their next barrier: wake them so they stop.
      abortParts(channels);
      reject(error);
    };
    thread.on('message', (message: LookupWorkerMessage) => {
      if (message.kind === 'progress') progress?.(message.line);
      else if (message.kind === 'failed') fail(new Error(`part ${part} of the split run failed: ${message.message}`));
      else if (!settled) {
        settled = true;
        resolve(message.part);
      }
    });
    thread.on('error', fail);
    thread.on('exit', (code) => fail(new Error(`part ${part} of the split run ended (exit code ${code}) before its result`)));
  });
}
