/**
 * SharedFetches: a fetch of content already being fetched joins it — one start, the same outcome,
 * the latest progress at once and every later one — and once it has settled the next request
 * starts anew.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FetchProgress, FetchReport } from '../../../src/runtime/exchange/content-fetcher.ts';
import { SharedFetches } from '../../../src/runtime/exchange/shared-fetches.ts';

function progress(blocksDone: number): FetchProgress {
  return { blocksKnown: 4, blocksDone, blocksLocal: 0, bytesFetched: blocksDone * 10, sources: 1, inFlight: 0 };
}

function report(): FetchReport {
  return { ...progress(4), blocksRebuilt: 0, penalised: [], durationMs: 5 };
}

describe('SharedFetches', () => {
  it('runs one fetch per key; a joiner gets the latest progress, then each new one, and the same outcome', async () => {
    const fetches = new SharedFetches();
    let starts = 0;
    let emit: (progress: FetchProgress) => void = () => {};
    let finish: (value: FetchReport) => void = () => {};
    const start = (onProgress: (progress: FetchProgress) => void): Promise<FetchReport> => {
      starts++;
      emit = onProgress;
      return new Promise((resolve) => (finish = resolve));
    };
    const seenByFirst: number[] = [];
    const seenBySecond: number[] = [];
    const first = fetches.run('root', start, (p) => seenByFirst.push(p.blocksDone));
    emit(progress(1));
    const second = fetches.run('root', start, (p) => seenBySecond.push(p.blocksDone));
    const quiet = fetches.run('root', start);
    emit(progress(2));
    assert.equal(starts, 1);
    assert.equal(fetches.size, 1);
    const done = report();
    finish(done);
    assert.deepEqual(await Promise.all([first, second, quiet]), [done, done, done]);
    assert.deepEqual(seenByFirst, [1, 2]);
    assert.deepEqual(seenBySecond, [1, 2]);
    // Settled: the next request starts a fetch of its own.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(fetches.size, 0);
    const again = fetches.run('root', start);
    assert.equal(starts, 2);
    finish(report());
    await again;
  });

  it('keeps different keys apart, and shares a failure with every joiner', async () => {
    const fetches = new SharedFetches();
    let starts = 0;
    const failing = (): Promise<FetchReport> => {
      starts++;
      return Promise.reject(new Error('unavailable'));
    };
    const a = fetches.run('a', failing);
    const a2 = fetches.run('a', failing);
    const b = fetches.run('b', failing);
    assert.equal(starts, 2);
    await assert.rejects(a, /unavailable/);
    await assert.rejects(a2, /unavailable/);
    await assert.rejects(b, /unavailable/);
  });
});
