/**
 * Search with real nodes in this process (libp2p on 127.0.0.1): publishing documents with Dublin
 * Core metadata and text, conjunctive queries with field filters and stems, withdrawal, what a
 * restart keeps, repair of a replica, and bad input from a peer — undecodable requests, forged
 * signatures, bad pages — refused with clear errors and scored against the sender.
 * test/devnet/search-grid.test.ts does 500 documents on separate processes with SIGKILL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { Libp2p } from '@libp2p/interface';
import * as DagCbor from '@ipld/dag-cbor';
import { NodeRuntime } from '../../src/runtime/node-runtime.ts';
import { SearchRequestError, NotPublishedError } from '../../src/runtime/search/search-errors.ts';
import { encodePostingPage, postingSigningBytes, type SignedPosting } from '../../src/services/search/posting.ts';
import {
  SEARCH_PROTOCOL, decodeSearchResponse, encodeSearchMessage, type SearchRequest, type SearchResponse,
} from '../../src/services/search/search-messages.ts';
import { requestFrames } from '../../src/transport/libp2p/request-response/request-client.ts';
import { startRawLibp2p } from '../transport/libp2p-harness.ts';
import { LOOPBACK_LISTEN, removeDataDirs, startRuntime, stopAll, temporaryDataDir, writeConfig } from './runtime-harness.ts';
import { compareDistance, idEquals } from '../../src/core/id.ts';
import { termKey } from '../../src/runtime/search/term-key.ts';

const NODES = 5;

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function addText(node: NodeRuntime, text: string): Promise<string> {
  const added = await node.content.addFile(once(new TextEncoder().encode(text)), { encrypt: false, pinName: 'search-test' });
  return added.cid;
}

describe('search on a grid of nodes in one process', () => {
  const dataDirs: string[] = [];
  const nodes: NodeRuntime[] = [];
  let raw: Libp2p | null = null;
  const node2Log: Record<string, unknown>[] = [];

  before(async () => {
    for (let index = 0; index < NODES; index++) {
      const dataDir = await temporaryDataDir();
      dataDirs.push(dataDir);
      // Repair by hand (repairNow) so that the tests decide when it runs.
      await writeConfig(dataDir, { search: { replicas: 3, repairIntervalMs: 0 } });
      const bootstrap = index === 0 ? [] : [nodes[0].multiaddrs()[0]];
      // Node 2's log is kept: it says whom the node scored for bad search data.
      const node = index === 2 ? await NodeRuntime.start({ dataDir, listen: LOOPBACK_LISTEN, bootstrap, log: (record) => node2Log.push(record) }) : await startRuntime(dataDir, bootstrap);
      nodes.push(node);
      await node.joined;
    }
    // Every node knows every other, so that each term's closest nodes are the same seen from anywhere.
    for (const node of nodes) await node.lookup(node.id);
  });

  after(async () => {
    await raw?.stop();
    await stopAll(nodes);
    await removeDataDirs(dataDirs);
  });

  let paper = '';
  let notes = '';

  it('publishes documents and finds them by every word, by field and by stem', async () => {
    paper = await addText(nodes[0], 'peer-to-peer systems and the grid, a survey');
    notes = await addText(nodes[1], 'lecture notes: distributed hash tables and overlay networks');
    const published = await nodes[0].search.publish(paper, {
      title: ['Peer-to-Peer Systems and the Grid'], creator: ['Jon Crowcroft', 'Tim Moreton'], subject: ['grid computing', 'overlay networks'],
    }, false);
    assert.equal(published.listsShort, 0, 'every list reached 3 nodes');
    assert.equal(published.replicas, 3);
    assert.ok(published.lists >= 8);
    await nodes[1].search.publish(notes, { title: ['Distributed hash tables'], creator: ['Ian Pratt'], subject: ['overlay network routing'] }, true);

    const both = await nodes[3].search.search('overlay');
    assert.deepEqual(new Set(both.hits.map((hit) => hit.cid)), new Set([paper, notes]));
    assert.equal(both.corpus.documents, 2);
    assert.equal(both.corpus.publishers, 2);

    const conjunctive = await nodes[4].search.search('GRID overlay');
    assert.deepEqual(conjunctive.hits.map((hit) => hit.cid), [paper]);
    assert.deepEqual(conjunctive.hits[0].metadata, {
      creator: ['Jon Crowcroft', 'Tim Moreton'], subject: ['grid computing', 'overlay networks'], title: ['Peer-to-Peer Systems and the Grid'],
    });
    assert.equal(conjunctive.hits[0].publisher, nodes[0].peerId);

    const byCreator = await nodes[2].search.search('', { fields: ['creator:pratt'] });
    assert.deepEqual(byCreator.hits.map((hit) => hit.cid), [notes]);
    const notInTitle = await nodes[2].search.search('', { fields: ['title:overlay'] });
    assert.deepEqual(notInTitle.hits, [], 'overlay is in subjects, not titles');
    // The notes' text was indexed (--index-text): "lecture" is only there.
    const inText = await nodes[2].search.search('lecture', { fields: ['text:lecture'] });
    assert.deepEqual(inText.hits.map((hit) => hit.cid), [notes]);

    const exact = await nodes[2].search.search('', { fields: ['subject:networks'] });
    assert.deepEqual(exact.hits.map((hit) => hit.cid), [paper], 'only the paper has the word "networks" itself among its subjects');
    const metrics = await nodes[2].metrics.text();
    assert.match(metrics, /peergrid_operations_total\{kind="search",outcome="ok"\} [1-9]/);
    assert.match(metrics, /peergrid_search_postings_held [1-9]/);
    assert.match(await nodes[0].metrics.text(), /peergrid_search_documents_published 1/);
    const stemmed = await nodes[2].search.search('', { fields: ['subject:networks'], stem: true });
    assert.deepEqual(new Set(stemmed.hits.map((hit) => hit.cid)), new Set([paper, notes]), 'networks and network share a stem');
  });

  it('refuses bad queries and bad documents with clear errors', async () => {
    await assert.rejects(nodes[0].search.search('the and of'), (error: Error) => error instanceof SearchRequestError && /no word to search for/.test(error.message));
    await assert.rejects(nodes[0].search.search('x', { fields: ['colour:red'] }), /colour is neither a Dublin Core element nor text/);
    await assert.rejects(nodes[0].search.search('grid', { limit: 0 }), /limit must be an integer/);
    await assert.rejects(nodes[0].search.publish(paper, { titel: ['x'] }, false), (error: Error) => error instanceof SearchRequestError && /titel/.test(error.message));
    await assert.rejects(nodes[0].search.publish('not-a-cid', { title: ['x'] }, false), /not a CID/);
    await assert.rejects(nodes[0].search.publish('pgcap1:abc:def', { title: ['x'] }, false), /plain content only/);
    await assert.rejects(nodes[0].search.withdraw(notes), (error: Error) => error instanceof NotPublishedError);
  });

  it('refuses undecodable requests, bad pages and forged postings from a peer, and scores the sender', async () => {
    raw = await startRawLibp2p();
    const target = { peerId: nodes[2].peerId, multiaddrs: [] as never[] };
    await raw.dial(nodes[2].libp2pNode.getMultiaddrs()[0]);
    const ask = async (bytes: Uint8Array): Promise<SearchResponse> => {
      const frames = await requestFrames(raw as Libp2p, target, SEARCH_PROTOCOL, bytes, { responseFrameBytesMax: 2 ** 20, responseFramesMax: 1, timeoutMs: 10_000, idleTimeoutMs: 10_000 });
      const decoded = decodeSearchResponse(frames[0]);
      assert.ok(decoded.ok);
      return decoded.value;
    };

    const garbage = await ask(new Uint8Array([0xff, 0x00, 0x13]));
    assert.equal(garbage.kind, 'refused');
    assert.match((garbage as { message: string }).message, /an undecodable request: not dag-cbor/);

    // A newer peer's kind is refused without blame; an answer sent as a request is not a newer kind.
    const future = await ask(DagCbor.encode({ kind: 'reindex', terms: ['grid'] }));
    assert.equal(future.kind, 'refused');
    assert.match((future as { message: string }).message, /^a request kind this node does not know \(kind: not one of .*\): it runs an earlier version$/);
    const answerAsRequest = await ask(encodeSearchMessage({ kind: 'counted', documents: 1, postings: 1, digest: 1 }));
    assert.match((answerAsRequest as { message: string }).message, /^an undecodable request: kind: not one of /);

    const notATerm = await ask(DagCbor.encode({ kind: 'count', term: 'Not A Term', fields: 1 }));
    assert.match((notATerm as { message: string }).message, /term: not a term/);

    const badPage = await ask(encodeSearchMessage({ kind: 'publish', page: DagCbor.encode({ version: 1, postings: [{ t: 'grid' }], next: null }), documents: [] }));
    assert.equal(badPage.kind, 'refused');
    assert.match((badPage as { message: string }).message, /the page: posting 0: (unknown|missing)/);

    // A posting in another publisher's name: the raw peer signs it with its own key.
    const victim = nodes[0].peerId;
    const posting = { term: 'forgery', cid: paper, fields: 1, termCount: 1, documentTerms: 5, publisher: victim, publishedAtUnixMs: Date.now() };
    const key = await generateKeyPair('Ed25519');
    const forged: SignedPosting = { posting, signature: await key.sign(postingSigningBytes(posting)) };
    // And one honestly signed by its publisher (any key whose peer id it names): it is taken.
    const signer = await generateKeyPair('Ed25519');
    const own = { ...posting, term: 'genuine', publisher: peerIdFromPrivateKey(signer).toString() };
    const honest: SignedPosting = { posting: own, signature: await signer.sign(postingSigningBytes(own)) };
    const published = await ask(encodeSearchMessage({ kind: 'publish', page: encodePostingPage([forged, honest], null), documents: [] } satisfies SearchRequest));
    assert.equal(published.kind, 'published');
    if (published.kind !== 'published') return;
    assert.equal(published.accepted, 1);
    assert.deepEqual(published.refused, [{ index: 0, reason: "its signature is not its publisher's" }]);

    const counted = await ask(encodeSearchMessage({ kind: 'count', term: 'forgery', fields: 1 }));
    assert.deepEqual(counted.kind === 'counted' ? counted.documents : -1, 0, 'the forged posting was not kept');
    const genuine = await ask(encodeSearchMessage({ kind: 'count', term: 'genuine', fields: 1 }));
    assert.deepEqual(genuine.kind === 'counted' ? genuine.documents : -1, 1);

    const rawId = raw.peerId.toString();
    const scored = node2Log.filter((record) => record.peerId === rawId && (record.event === 'searchOffence' || record.event === 'searchPeerPenalised'));
    assert.equal(scored.length, 5, 'the garbage, the answer sent as a request, the bad term, the bad page and the forgery were each scored; the newer kind was not');
    assert.ok(scored.some((record) => /forged signature/.test(String(record.reason))));
  });

  it('republishing under new metadata withdraws the words it no longer has', async () => {
    const draft = await addText(nodes[3], 'a draft');
    await nodes[3].search.publish(draft, { title: ['Alphabetical ordering'], subject: ['sorting'] }, false);
    assert.deepEqual((await nodes[0].search.search('alphabetical')).hits.map((hit) => hit.cid), [draft]);
    await nodes[3].search.publish(draft, { title: ['Lexicographic ordering'], subject: ['sorting'] }, false);
    assert.deepEqual((await nodes[0].search.search('alphabetical')).hits, [], 'the old title word is gone');
    const renamed = await nodes[1].search.search('lexicographic ordering');
    assert.deepEqual(renamed.hits.map((hit) => hit.cid), [draft]);
    assert.deepEqual(renamed.hits[0].metadata?.title, ['Lexicographic ordering'], 'the new record replaced the old');
    await nodes[3].search.withdraw(draft);
    assert.deepEqual((await nodes[0].search.search('sorting')).hits, []);
  });

  it('withdraws a document: its postings leave every holder and repair does not bring them back', async () => {
    const withdrawn = await nodes[1].search.withdraw(notes);
    assert.ok(withdrawn.nodes >= 3);
    const after = await nodes[3].search.search('overlay');
    assert.deepEqual(after.hits.map((hit) => hit.cid), [paper]);
    assert.equal(after.corpus.documents, 1, "the publisher's summary counts one document less");
    for (const node of nodes) await node.search.repairNow();
    const again = await nodes[4].search.search('overlay');
    assert.deepEqual(again.hits.map((hit) => hit.cid), [paper]);
    assert.deepEqual(nodes[1].search.published(), []);
  });

  it('keeps its index across a restart, and repair brings it what it missed while away', async () => {
    // A word whose list node 4 is among the 3 closest nodes to: its postings are node 4's to hold.
    const ids = nodes.map((node) => node.id);
    const word = Array.from({ length: 200 }, (_, index) => `gossip${index}`).find((candidate) => {
      const key = termKey(candidate);
      const closest = [...ids].sort((a, b) => compareDistance(key, a, b)).slice(0, 3);
      return closest.some((id) => idEquals(id, nodes[4].id));
    }) as string;
    assert.ok(word !== undefined);

    // Node 4 stops; a document with the word is published meanwhile (its place goes to the next closest).
    const heldBefore = nodes[4].search.status();
    await nodes[4].stop();
    const extra = await addText(nodes[0], `an extra document about ${word}`);
    const published = await nodes[0].search.publish(extra, { title: [`Notes on ${word}`] }, false);
    assert.equal(published.listsShort, 0, 'the lists went to 3 live nodes');

    // Back on its data directory, it holds what it held (search.sqlite), and not the new postings.
    nodes[4] = await startRuntime(dataDirs[4], [nodes[0].multiaddrs()[0]]);
    await nodes[4].joined;
    for (const node of nodes) await node.lookup(node.id);
    const heldAfter = nodes[4].search.status();
    assert.equal(heldAfter.postingsHeld, heldBefore.postingsHeld);
    assert.equal(heldAfter.listsHeld, heldBefore.listsHeld);

    // A repair round on the holders brings node 4 the list it is among the closest to. Each node
    // compares all its lists with one digests request to each other holder, none list by list.
    const repairBefore = nodes.map((node) => ({ ...node.search.status().repair }));
    for (const node of nodes) await node.search.repairNow();
    nodes.forEach((node, index) => {
      const repair = node.search.status().repair;
      const compared = repair.listsCompared - repairBefore[index].listsCompared;
      const requests = repair.digestRequests - repairBefore[index].digestRequests;
      assert.ok(requests >= 1 && requests <= NODES - 1 && compared > requests, `node ${index}: ${requests} digests requests for ${compared} lists compared`);
      assert.equal(repair.countRequests, repairBefore[index].countRequests, `node ${index} compared no list one by one`);
    });
    assert.ok(nodes[4].search.status().postingsHeld > heldAfter.postingsHeld, 'node 4 took postings by repair');
    const found = await nodes[4].search.search(word);
    assert.deepEqual(found.hits.map((hit) => hit.cid), [extra]);
    assert.ok(nodes.some((node) => node.search.status().repair.listsSent > 0));
  });
});
