/**
 * `npm run bench -- search-devnet [--nodes N] [--documents D] [--queries Q]`: search on real nodes
 * (issue 7: "query latency p50/p95 on a devnet"). A loopback devnet of N node processes (default
 * 8); D documents of the synthetic Dublin Core corpus (default 500; src/sim/workloads/
 * document-corpus.ts, a fifth with their text indexed) published from every node through its
 * HTTP API; then Q queries (default 200: conjunctive, with field filters, stemmed, single popular
 * words) asked round-robin from every node. Figures: publishing (documents a second, per-document
 * latency), query latency as the client measured it (HTTP call) and as the node did, requests and
 * bytes a query sent to other nodes. Baseline in the same run, from the same nodes: one DHT lookup
 * of a query term's key (the API's lookup route) — the least any DHT query costs before it asks a
 * holder anything — as a ratio.
 *
 * Loopback: no wide-area latency (`npm run bench -- proximity-devnet` emulates it for lookups),
 * so this measures the protocol's round trips and CPU (signature checks, Bloom filters, BM25) on
 * a machine shared by N processes. Every process is stopped by its process group, also on failure.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiClient } from '../src/api/client.ts';
import { parseQuery } from '../src/services/search/query.ts';
import { quantileSorted } from '../src/sim/stats.ts';
import { corpusQueries, documentCorpus } from '../src/sim/workloads/document-corpus.ts';
import { DevnetRun } from './dht-vs-kad/devnet-run.ts';
import { round1, round3 } from './support/figures.ts';

type Say = (line: string) => void;

const DEFAULTS = { nodes: 8, documents: 500, queries: 200 };
const SEED = 7;

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

export async function searchDevnetBenchmark(extra: readonly string[], say: Say): Promise<Record<string, unknown>> {
  const { values } = parseArgs({ args: [...extra], options: { nodes: { type: 'string' }, documents: { type: 'string' }, queries: { type: 'string' } } });
  const nodes = positive(values.nodes, DEFAULTS.nodes, '--nodes');
  const documentCount = positive(values.documents, DEFAULTS.documents, '--documents');
  const queryCount = positive(values.queries, DEFAULTS.queries, '--queries');
  const dir = await mkdtemp(join(tmpdir(), 'peergrid-search-devnet-'));
  const devnetDir = join(dir, 'devnet');
  for (let index = 0; index < nodes; index++) {
    await mkdir(join(devnetDir, `node-${index}`), { recursive: true });
    await writeFile(join(devnetDir, `node-${index}`, 'config.json'), `${JSON.stringify({ search: { replicas: 3 } })}\n`);
  }
  const devnet = new DevnetRun(nodes, devnetDir, say);
  try {
    await devnet.ready;
    const apis = devnet.entries.map((entry) => createApiClient({ baseUrl: entry.api }));
    say(`${nodes} nodes started in ${(devnet.startMs / 1000).toFixed(1)} s; publishing ${documentCount} documents`);
    const corpus = documentCorpus(documentCount, SEED);
    const publishMs: number[] = [];
    const publishStarted = performance.now();
    await Promise.all(apis.map(async (api, node) => {
      for (let index = node; index < corpus.length; index += nodes) {
        const document = corpus[index];
        const started = performance.now();
        const added = await api.addFile(once(new TextEncoder().encode(document.text)), { encrypt: false, name: 'bench' });
        await api.searchPublish({ cid: added.cid, metadata: document.metadata, indexText: document.indexText });
        publishMs.push(performance.now() - started);
      }
    }));
    const publishWallMs = performance.now() - publishStarted;
    say(`  published in ${(publishWallMs / 1000).toFixed(1)} s; asking ${queryCount} queries`);

    const queries = corpusQueries(corpus, queryCount, SEED);
    const clientMs: number[] = [];
    const nodeMs: number[] = [];
    const lookupMs: number[] = [];
    let requests = 0;
    let bytes = 0;
    let matches = 0;
    let holderFailures = 0;
    for (const [index, query] of queries.entries()) {
      const api = apis[index % apis.length];
      // The baseline first, from the same node: a lookup of the query's first term's key.
      const parsed = parseQuery(query.words, query.fields, { stem: query.stem });
      if (parsed.ok) lookupMs.push((await api.lookup({ key: `peergrid-bench-term:${parsed.query.terms[0].term}` })).durationMs);
      const started = performance.now();
      const answer = await api.search({ query: query.words, fields: [...query.fields], limit: 10, stem: query.stem });
      clientMs.push(performance.now() - started);
      nodeMs.push(answer.elapsedMs);
      requests += answer.requests;
      bytes += answer.bytesSent + answer.bytesReceived;
      matches += answer.matches;
      holderFailures += answer.holderFailures;
    }
    const summary = (samples: number[]) => {
      const sorted = [...samples].sort((a, b) => a - b);
      return { p50: round1(quantileSorted(sorted, 0.5)), p95: round1(quantileSorted(sorted, 0.95)), mean: round1(samples.reduce((sum, value) => sum + value, 0) / Math.max(1, samples.length)) };
    };
    const query = { clientMs: summary(clientMs), nodeMs: summary(nodeMs) };
    const lookup = summary(lookupMs);
    say(`  query p50 ${query.clientMs.p50} ms, p95 ${query.clientMs.p95} ms; lookup p50 ${lookup.p50} ms`);
    return {
      nodes, documents: documentCount, queries: queryCount, replicas: 3,
      publish: { documentsPerSecond: round1(documentCount / (publishWallMs / 1000)), latencyMs: summary(publishMs) },
      queryLatency: query,
      requestsPerQuery: round1(requests / queryCount), bytesPerQuery: Math.round(bytes / queryCount),
      matchesPerQuery: round1(matches / queryCount), holderFailures,
      baselineLookupMs: lookup,
      ratioQueryToLookup: { p50: round3(query.nodeMs.p50 / lookup.p50), p95: round3(query.nodeMs.p95 / lookup.p95) },
      startMs: Math.round(devnet.startMs),
    };
  } finally {
    await devnet.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function positive(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${flag} must be a positive integer, got '${text}'`);
  return value;
}
