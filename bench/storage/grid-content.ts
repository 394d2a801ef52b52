/**
 * What the storage network benchmarks do through a node's HTTP API: add a file of pseudo-random bytes
 * (plain, so no node spends time on encryption), and time a fetch from the request to its `done`
 * line, reading the NDJSON progress on the way.
 */
import type { ApiClient } from '../../src/api/client.ts';
import { ProgressStreamError, readProgressStream } from '../../src/api/progress-stream.ts';
import { gridCounters, type GridNode } from './grid.ts';

const MiB = 1 << 20;

export interface AddedFile {
  readonly cid: string;
  readonly bytes: number;
  readonly chunks: number;
}

/** The report of the fetch's `done` line (runtime/exchange/content-fetcher.ts, FetchReport). */
export interface FetchDone {
  readonly blocksKnown: number;
  readonly blocksDone: number;
  readonly blocksLocal: number;
  readonly bytesFetched: number;
  readonly sources: number;
  readonly blocksRebuilt: number;
  readonly penalised: readonly string[];
  readonly durationMs: number;
}

export interface TimedFetch {
  /** From sending the request to reading the `done` line, measured here. */
  readonly seconds: number;
  /** From the request to the first progress line that counts fetched bytes (holder discovery and the first blocks); lines come at most every 200 ms. */
  readonly firstBytesSeconds: number | null;
  /**
   * The fetch's middle: bytes fetched between the moments 10% and 90% of them had come, ÷ the time
   * between — the rate once it runs, without the start (discovery, the first levels of the DAG, the
   * first pipelined blocks) and the tail (the endgame). Approximate: the moments come from progress
   * lines at least 200 ms apart, stamped when read here, and bytes count when a block is complete,
   * so it can be off by several per cent either way.
   */
  readonly middleBytesPerSecond: number | null;
  /** When 10% and 90% of the bytes had come, in seconds from the request. */
  readonly at10PercentSeconds: number | null;
  readonly at90PercentSeconds: number | null;
  readonly done: FetchDone;
}

/**
 * Adds `bytes` pseudo-random bytes (incompressible, nothing to deduplicate) from `seed`, streamed
 * 1 MiB at a time, unencrypted. The same seed and size give the same file, so the same blocks.
 */
export async function addPseudoRandomFile(api: ApiClient, bytes: number, seed: number): Promise<AddedFile> {
  async function* pieces(): AsyncGenerator<Uint8Array> {
    // xorshift32, as bench/storage/add.ts writes its test file; never 0.
    let x = (seed >>> 0) || 0x9e3779b9;
    for (let sent = 0; sent < bytes; sent += MiB) {
      const piece = new Uint8Array(Math.min(MiB, bytes - sent));
      const words = new Uint32Array(piece.buffer, 0, piece.length >>> 2);
      for (let i = 0; i < words.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        words[i] = x;
      }
      for (let i = words.length * 4; i < piece.length; i++) piece[i] = i;
      yield piece;
    }
  }
  const added = await api.addFile(pieces(), { encrypt: false });
  if (added.bytes !== bytes) throw new Error(`added ${added.bytes} bytes, expected ${bytes}`);
  return { cid: added.cid, bytes: added.bytes, chunks: added.chunks };
}

/** Asks the node to fetch `ref` from the grid; resolves when its `done` line has come (throws on its `error` line). */
export async function timedFetch(api: ApiClient, ref: string): Promise<TimedFetch> {
  const startedMs = performance.now();
  const samples: { ms: number; bytes: number }[] = [{ ms: 0, bytes: 0 }];
  const response = await api.fetchContent({ ref });
  let report: FetchDone;
  try {
    report = await readProgressStream(response.body, (progress) => samples.push({ ms: performance.now() - startedMs, bytes: progress.bytesFetched })) as unknown as FetchDone;
  } catch (error) {
    if (error instanceof ProgressStreamError) throw new Error(`the fetch failed: ${error.code}: ${error.message}`);
    throw error;
  }
  const ms = performance.now() - startedMs;
  samples.push({ ms, bytes: report.bytesFetched });
  const first = samples.find((sample) => sample.bytes > 0);
  const total = report.bytesFetched;
  const at10 = timeOf(samples, total * 0.1);
  const at90 = timeOf(samples, total * 0.9);
  return {
    seconds: ms / 1000,
    firstBytesSeconds: first === undefined || first.ms === ms ? null : first.ms / 1000,
    middleBytesPerSecond: at10 === null || at90 === null || at90 <= at10 ? null : Math.round((total * 0.8) / ((at90 - at10) / 1000)),
    at10PercentSeconds: at10 === null ? null : at10 / 1000,
    at90PercentSeconds: at90 === null ? null : at90 / 1000,
    done: report,
  };
}

/** timedFetch on `getter`; a failure's message gets every node's counters (gridCounters), which say why. */
export async function timedFetchExplained(getter: GridNode, nodes: readonly GridNode[], ref: string): Promise<TimedFetch> {
  try {
    return await timedFetch(getter.api, ref);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message} [${await gridCounters(nodes)}]`, { cause: error });
  }
}

/** When `bytes` had been fetched, interpolated between the progress samples around it. */
function timeOf(samples: readonly { ms: number; bytes: number }[], bytes: number): number | null {
  for (let index = 1; index < samples.length; index++) {
    const before = samples[index - 1];
    const after = samples[index];
    if (after.bytes >= bytes && after.bytes > before.bytes) return before.ms + ((bytes - before.bytes) / (after.bytes - before.bytes)) * (after.ms - before.ms);
  }
  return null;
}
