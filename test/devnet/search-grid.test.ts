/**
 * Search on an 8-process devnet (`peergrid devnet --nodes 8`), as issue 7 asks: 500 documents with
 * Dublin Core metadata (a fifth with their text indexed) published from all 8 nodes through their
 * HTTP APIs; 40 queries — conjunctive, with field filters, stemmed, single popular words — each
 * answered exactly as a local reference index over the same documents answers it (every match,
 * recall 1.0, and the same top 10 in the same order); then two of the three holders of a popular
 * term SIGKILLed, and every query answered the same from the replicas; then, once repair has run,
 * the third original holder killed too, and the term still found (repair made new replicas);
 * and an oversized posting page refused with a clear error.
 *
 * Every process runs in its own process group and is killed by group id in after(). Nothing waits
 * a fixed time: conditions are polled with generous bounds.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Libp2p } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { createApiClient, type ApiClient } from '../../src/api/client.ts';
import { compareDistance, idFromHex, type Id } from '../../src/core/id.ts';
import { termKey } from '../../src/runtime/search/term-key.ts';
import { SEARCH_PROTOCOL, decodeSearchResponse, encodeSearchMessage } from '../../src/services/search/search-messages.ts';
import { corpusQueries, documentCorpus } from '../../src/sim/workloads/document-corpus.ts';
import { requestFrames } from '../../src/transport/libp2p/request-response/request-client.ts';
import { quantileSorted } from '../../src/sim/stats.ts';
import { startRawLibp2p } from '../transport/libp2p-harness.ts';
import { eventually } from './devnet-cli.ts';
import { cleanUpDevnet, DevnetProcess, signalGroup, type DevnetEntry } from './devnet-process.ts';
import { ReferenceIndex } from './search-reference.ts';

const NODE_COUNT = 8;
const DOCUMENTS = 500;
const QUERIES = 40;
const SEED = 7;
const START_TIMEOUT_MS = 150_000;
/** The popular term whose holders are killed. */
const KILLED_TERM = 'grid';

const peerIdOf = (entry: DevnetEntry): string => entry.multiaddrs[0].replace(/^.*\/p2p\//, '');

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

describe('search on an 8-process devnet', () => {
  let devnet: DevnetProcess | null = null;
  let raw: Libp2p | null = null;
  let dir = '';

  after(async () => {
    await raw?.stop();
    await cleanUpDevnet(devnet, dir);
  });

  it('answers 40 queries over 500 documents as a reference index does, through killed holders and repair', { timeout: 900_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'peergrid-search-devnet-'));
    for (let index = 0; index < NODE_COUNT; index++) {
      await mkdir(join(dir, `node-${index}`));
      await writeFile(join(dir, `node-${index}`, 'config.json'), JSON.stringify({ search: { replicas: 3, repairIntervalMs: 4000 } }));
    }
    devnet = DevnetProcess.start(['--nodes', String(NODE_COUNT), '--api-port', '0'], dir);
    const entries = await devnet.entries(START_TIMEOUT_MS);
    const apis: ApiClient[] = entries.map((entry) => createApiClient({ baseUrl: entry.api }));

    // 500 documents, document i from node i mod 8; each node publishes its own in turn.
    const corpus = documentCorpus(DOCUMENTS, SEED);
    const reference = new ReferenceIndex();
    const short: string[] = [];
    await Promise.all(entries.map(async (entry, node) => {
      for (let index = node; index < corpus.length; index += NODE_COUNT) {
        const document = corpus[index];
        const added = await apis[node].addFile(once(new TextEncoder().encode(document.text)), { encrypt: false, name: 'search-devnet' });
        const published = await apis[node].searchPublish({ cid: added.cid, metadata: document.metadata, indexText: document.indexText });
        if (published.listsShort > 0) short.push(`${added.cid}: ${published.listsShort} lists short`);
        reference.add({ cid: added.cid, publisher: peerIdOf(entry), metadata: document.metadata, text: document.indexText ? document.text : null });
      }
    }));
    assert.deepEqual(short, [], 'every list reached 3 nodes');

    const queries = corpusQueries(corpus, QUERIES, SEED);
    const checkAll = async (askers: readonly number[], label: string): Promise<number[]> => {
      const latencies: number[] = [];
      const wrong: string[] = [];
      for (const [index, query] of queries.entries()) {
        const expected = reference.search(query.words, query.fields, query.stem, 10);
        const answer = await apis[askers[index % askers.length]].search({ query: query.words, fields: [...query.fields], limit: 10, stem: query.stem });
        latencies.push(answer.elapsedMs);
        const got = { matches: answer.matches, hits: answer.hits.map((hit) => hit.cid) };
        const want = { matches: expected.matches, hits: expected.hits.map((hit) => hit.cid) };
        if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${JSON.stringify(query)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
        else for (const [at, hit] of answer.hits.entries()) assert.ok(Math.abs(hit.score - expected.hits[at].score) < 1e-9, 'the same score');
        if (answer.hits.length > 0) assert.notEqual(answer.hits[0].metadata, null, 'hits come with their metadata');
      }
      assert.deepEqual(wrong, [], `${label}: every query answered as the reference index answers it`);
      return latencies;
    };
    const everyNode = entries.map((_, index) => index);
    const latencies = await checkAll(everyNode, 'all nodes up');
    const sorted = [...latencies].sort((a, b) => a - b);
    process.stderr.write(`search devnet: ${QUERIES} queries, latency p50 ${quantileSorted(sorted, 0.5).toFixed(1)} ms, p95 ${quantileSorted(sorted, 0.95).toFixed(1)} ms\n`);
    // The queries found something: most of them match, and single popular words match many.
    const found = queries.map((query) => reference.search(query.words, query.fields, query.stem, 10).matches);
    assert.ok(found.filter((matches) => matches > 0).length >= QUERIES * 0.8, `most queries match: ${found.join(' ')}`);
    assert.ok(Math.max(...found) > 10, 'some query has more matches than the 10 shown, so ranking decides');

    // The three nodes closest to the popular term hold its list: two of them are killed.
    const key: Id = termKey(KILLED_TERM);
    const holders = everyNode.map((index) => ({ index, id: idFromHex(entries[index].id) })).sort((a, b) => compareDistance(key, a.id, b.id)).map((node) => node.index);
    const [first, second, third] = holders;
    signalGroup(entries[first].pid, 'SIGKILL');
    signalGroup(entries[second].pid, 'SIGKILL');
    const survivors = everyNode.filter((index) => index !== first && index !== second);
    await checkAll(survivors, `holders ${first} and ${second} of "${KILLED_TERM}" killed`);

    // Repair runs every 4 s on each survivor; once every survivor has finished a round that began
    // after the kills, the term's list is on new replicas, and its last original holder can go.
    const roundsNow = await Promise.all(survivors.map(async (index) => (await apis[index].searchStatus()).repair.rounds));
    await eventually('two repair rounds on every survivor', async () => {
      const rounds = await Promise.all(survivors.map(async (index) => (await apis[index].searchStatus()).repair.rounds));
      return rounds.every((count, at) => count >= roundsNow[at] + 2);
    }, 300_000);
    signalGroup(entries[third].pid, 'SIGKILL');
    const left = survivors.filter((index) => index !== third);
    const popular = reference.search(KILLED_TERM, [], false, 10);
    const answer = await apis[left[0]].search({ query: KILLED_TERM, limit: 10 });
    assert.deepEqual({ matches: answer.matches, hits: answer.hits.map((hit) => hit.cid) }, { matches: popular.matches, hits: popular.hits.map((hit) => hit.cid) },
      'every original holder of the term is gone, and the replicas repair made answer');

    // An oversized page is refused with a clear error, and nothing of it is kept.
    raw = await startRawLibp2p();
    const target = entries[left[0]];
    await raw.dial(multiaddr(target.multiaddrs[0]));
    const oversized = encodeSearchMessage({ kind: 'publish', page: new Uint8Array(70 * 1024).fill(0xa0), documents: [] });
    const frames = await requestFrames(raw, { peerId: peerIdOf(target) }, SEARCH_PROTOCOL, oversized, { responseFrameBytesMax: 2 ** 20, responseFramesMax: 1, timeoutMs: 10_000, idleTimeoutMs: 10_000 });
    const refused = decodeSearchResponse(frames[0]);
    assert.ok(refused.ok && refused.value.kind === 'refused', 'refused');
    assert.match((refused.value as { message: string }).message, /page: 71680 bytes, over 61440/);
  });
});
