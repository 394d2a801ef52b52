/**
 * One fetch per content at a time. A request for content that is already being fetched joins that
 * fetch — its progress from then on, and its outcome — instead of asking the holders for every
 * block a second time. `peergrid get` relies on it: it follows the fetch's progress on one route
 * while it reads the content, as the blocks arrive, on another, and both routes fetch.
 */
import type { FetchProgress, FetchReport } from './content-fetcher.ts';

type ProgressListener = (progress: FetchProgress) => void;

interface RunningFetch {
  readonly report: Promise<FetchReport>;
  readonly listeners: Set<ProgressListener>;
  /** The latest progress, given at once to whoever joins. */
  readonly latest: { progress: FetchProgress | null };
}

export class SharedFetches {
  private readonly running = new Map<string, RunningFetch>();

  /**
   * The outcome of the fetch of `key`: the running one if there is one, else a new one made by
   * `start` (which reports progress to the function it is given).
   */
  run(key: string, start: (onProgress: ProgressListener) => Promise<FetchReport>, onProgress?: ProgressListener): Promise<FetchReport> {
    let fetch = this.running.get(key);
    if (fetch === undefined) {
      const listeners = new Set<ProgressListener>();
      const latest: RunningFetch['latest'] = { progress: null };
      const report = start((progress) => {
        latest.progress = progress;
        for (const listener of listeners) listener(progress);
      });
      const running: RunningFetch = { report, listeners, latest };
      this.running.set(key, running);
      // Gone once settled: a later request fetches anew (and finds what this one stored).
      void report.then(
        () => this.forget(key, running),
        () => this.forget(key, running),
      );
      fetch = running;
    }
    if (onProgress === undefined) return fetch.report;
    const joined = fetch;
    joined.listeners.add(onProgress);
    if (joined.latest.progress !== null) onProgress(joined.latest.progress);
    return joined.report.finally(() => joined.listeners.delete(onProgress));
  }

  /** The outcome of the fetch of `key` if one is running, else null: joins, never starts. */
  joinRunning(key: string): Promise<FetchReport> | null {
    return this.running.get(key)?.report ?? null;
  }

  /** Fetches running now. */
  get size(): number {
    return this.running.size;
  }

  private forget(key: string, fetch: RunningFetch): void {
    if (this.running.get(key) === fetch) this.running.delete(key);
  }
}
