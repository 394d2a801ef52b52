/**
 * A worker thread that runs one part of a split lookup experiment (parallel-lookup.ts). It builds
 * the experiment's options itself from the recipe it is given (options hold models and functions,
 * which cannot be posted), runs its part, and posts what it measured.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runLookupPart, type LookupExperimentOptions, type LookupPart } from '../experiments/lookup-experiment.ts';
import { abortParts, PartExchange, type PartChannels } from './part-exchange.ts';
import type { OptionsRecipe } from './parallel-lookup.ts';

export interface LookupWorkerData {
  readonly recipe: OptionsRecipe;
  readonly channels: PartChannels;
  readonly part: number;
  readonly progress: boolean;
}

/** What a worker posts to the coordinator. */
export type LookupWorkerMessage =
  | { readonly kind: 'progress'; readonly line: string }
  | { readonly kind: 'done'; readonly part: LookupPart }
  | { readonly kind: 'failed'; readonly message: string };

const data = workerData as LookupWorkerData;
const port = parentPort;
if (port === null) throw new Error('lookup-worker.ts runs as a worker thread');
const post = (message: LookupWorkerMessage): void => port.postMessage(message);

try {
  const build = (await import(data.recipe.module))[data.recipe.export] as (input: unknown) => LookupExperimentOptions;
  const options = build(data.recipe.input);
  const exchange = new PartExchange(data.channels, data.part);
  // Every part runs the same overlay up to the split; only part 0 tells about it.
  const progress = data.progress ? (line: string) => {
    if (data.part === 0 || line.startsWith('part ')) post({ kind: 'progress', line });
  } : undefined;
  const part = runLookupPart({ ...options, progress, split: { parts: data.channels.parts, exchange } });
  post({ kind: 'done', part });
} catch (error) {
  abortParts(data.channels);
  post({ kind: 'failed', message: error instanceof Error ? error.stack ?? error.message : String(error) });
}
