/**
 * The two DHTs behind one interface, so that every lookup phase treats them alike: ours through
 * each node's HTTP API (GET /api/v1/lookup/:key), kad-dht through each kad-node.ts process's
 * stdin. Each lookup's duration is the one its node measured around the lookup itself; the time
 * the benchmark saw, HTTP or pipe included, is kept beside it (`clientMs`).
 */
import { createApiClient, type ApiClient } from '../../src/api/client.ts';
import type { DevnetEntry } from '../../src/cli/devnet/devnet-file.ts';
import { quantileSorted } from '../../src/sim/stats.ts';
import type { ClosestJudge } from './judge.ts';
import type { KadProcess } from './kad-process.ts';

/** The bound on any one lookup of ours. */
export const LOOKUP_BOUND_MS = 5000;

export interface LookupSample {
  readonly durationMs: number;
  readonly clientMs: number;
  /** Requests sent and answers received, as the simulator's messagesPerLookup counts them. */
  readonly requests: number;
  readonly answers: number;
  readonly correct: boolean;
  readonly error: string | null;
}

export interface Dht {
  readonly nodes: number;
  lookup(requester: number, keyHex: string): Promise<LookupSample>;
}

export function ourDht(entries: readonly DevnetEntry[], judge: ClosestJudge): Dht & { readonly apis: readonly ApiClient[] } {
  const apis = entries.map((entry) => createApiClient({ baseUrl: entry.api }));
  return {
    nodes: entries.length,
    apis,
    async lookup(requester, keyHex) {
      const startedMs = performance.now();
      try {
        const found = await apis[requester].lookup({ key: keyHex });
        return {
          durationMs: found.durationMs, clientMs: performance.now() - startedMs, requests: found.queries, answers: found.answers,
          correct: found.closest[0]?.id === judge.closest(keyHex, entries[requester].id), error: null,
        };
      } catch (error) {
        return failed(performance.now() - startedMs, error);
      }
    },
  };
}

export function kadDht(processes: readonly KadProcess[], peerIds: readonly string[], judge: ClosestJudge): Dht {
  return {
    nodes: processes.length,
    async lookup(requester, keyHex) {
      const startedMs = performance.now();
      try {
        const found = await processes[requester].lookup(keyHex);
        return {
          durationMs: found.durationMs, clientMs: performance.now() - startedMs, requests: found.requests, answers: found.answers,
          correct: found.closest[0] === judge.closest(keyHex, peerIds[requester]), error: found.error,
        };
      } catch (error) {
        return failed(performance.now() - startedMs, error);
      }
    },
  };
}

function failed(clientMs: number, error: unknown): LookupSample {
  return { durationMs: NaN, clientMs, requests: 0, answers: 0, correct: false, error: (error as Error).message };
}

/** Latency percentiles, messages and correctness of finished lookups; failed ones are counted apart. */
export function summarizeLookups(samples: readonly LookupSample[]): Record<string, number> {
  const done = samples.filter((sample) => sample.error === null);
  const sorted = done.map((sample) => sample.durationMs).sort((a, b) => a - b);
  const client = done.map((sample) => sample.clientMs).sort((a, b) => a - b);
  const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  return {
    lookups: samples.length,
    errors: samples.length - done.length,
    p50Ms: round1(quantileSorted(sorted, 0.5)),
    p95Ms: round1(quantileSorted(sorted, 0.95)),
    p99Ms: round1(quantileSorted(sorted, 0.99)),
    maxMs: round1(sorted.at(-1) ?? NaN),
    meanMs: round1(mean(sorted)),
    lookupsOverBound: sorted.filter((ms) => ms > LOOKUP_BOUND_MS).length,
    messagesPerLookup: round1(mean(done.map((sample) => sample.requests + sample.answers))),
    requestsPerLookup: round1(mean(done.map((sample) => sample.requests))),
    correctRate: Math.round((done.filter((sample) => sample.correct).length / Math.max(1, done.length)) * 10_000) / 10_000,
    clientP50Ms: round1(quantileSorted(client, 0.5)),
    clientP99Ms: round1(quantileSorted(client, 0.99)),
  };
}

/**
 * Lookups as fast as the network answers them: `concurrency` callers, each asking the nodes in
 * turn for random keys, for `seconds` or until `lookupsMax` have been asked.
 */
export async function runLoad(dht: Dht, keyHex: () => string, concurrency: number, seconds: number, lookupsMax: number): Promise<Record<string, number>> {
  const samples: LookupSample[] = [];
  const startedMs = performance.now();
  const endMs = startedMs + seconds * 1000;
  let asked = 0;
  const caller = async (index: number): Promise<void> => {
    for (let turn = 0; performance.now() < endMs && asked < lookupsMax; turn++) {
      asked++;
      samples.push(await dht.lookup((index + turn * concurrency) % dht.nodes, keyHex()));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => caller(index)));
  const elapsedMs = performance.now() - startedMs;
  const summary = summarizeLookups(samples);
  return {
    concurrency, elapsedMs: Math.round(elapsedMs),
    lookupsPerSec: Math.round(((summary.lookups - summary.errors) / elapsedMs) * 1000 * 10) / 10,
    ...summary,
  };
}

export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
