/**
 * A repair round's requests (search-repair.ts), with the holding, the routing table and the network
 * played by fakes: one `digests` request per node for all the lists it shares, the lists of a node
 * that fails going to the next closest, and a node of an earlier version that refuses `digests`
 * asked list by list. test/runtime/search-nodes.test.ts runs repair between real nodes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idFromBytes, idToHex, type Id } from '../../src/core/id.ts';
import { peerRef } from '../../src/core/peer.ts';
import type { IndexNode, IndexNodes } from '../../src/runtime/search/index-nodes.ts';
import type { SearchClient } from '../../src/runtime/search/search-client.ts';
import type { SearchHolding } from '../../src/runtime/search/search-holding.ts';
import { SearchRepair } from '../../src/runtime/search/search-repair.ts';
import { termKey } from '../../src/runtime/search/term-key.ts';
import { SearchLimits, type SearchRequest, type SearchResponse } from '../../src/services/search/search-messages.ts';

function indexNode(name: string, self = false): IndexNode {
  const bytes = new Uint8Array(32).fill(name.charCodeAt(0));
  return { peer: peerRef(idFromBytes(bytes), name), peerId: name, target: { peerId: name }, self };
}

const DIGEST = 77;

/** A holding of `terms`, each list empty and of digest DIGEST, so that lists alike need nothing more; no withdrawals to hand on. */
function holdingOf(terms: readonly string[]): SearchHolding {
  const holder = {
    terms: () => [...terms], digest: () => DIGEST, list: () => [], documentsOf: () => [], allWithdrawals: () => [],
  };
  return { expire: () => undefined, holder, summaries: { all: () => [] }, admit: async () => ({ accepted: 0 }) } as unknown as SearchHolding;
}

/** Nodes that answer as `answer` says, each request recorded as [node, request]. */
function network(answer: (node: string, request: SearchRequest) => SearchResponse | null): { client: SearchClient; asked: [string, SearchRequest][] } {
  const asked: [string, SearchRequest][] = [];
  const client = {
    ask: async (target: { peerId: string }, request: SearchRequest): Promise<SearchResponse> => {
      asked.push([target.peerId, request]);
      const response = answer(target.peerId, request);
      if (response === null) throw new Error(`${target.peerId} does not answer`);
      return response;
    },
  } as unknown as SearchClient;
  return { client, asked };
}

/** Answers of a node of this version: every list alike. */
function current(request: SearchRequest): SearchResponse {
  if (request.kind === 'digests') return { kind: 'digested', lists: request.terms.map(() => ({ postings: 0, digest: DIGEST })) };
  if (request.kind === 'withdraw') return { kind: 'withdrawn', postingsRemoved: 0, documentsRemoved: 0 };
  return { kind: 'refused', reason: 'busy', message: 'not expected here' };
}

/** Answers of a node of an earlier version: `digests` is a request it cannot decode. */
function earlier(request: SearchRequest): SearchResponse {
  if (request.kind === 'digests') return { kind: 'refused', reason: 'invalid', message: 'an undecodable request: kind: not one of …' };
  if (request.kind === 'count') return { kind: 'counted', documents: 0, postings: 0, digest: DIGEST };
  return current(request);
}

/** Repair of `terms` with 3 replicas, each term's nodes closest first as `order` gives them (one order for all when it is a list). */
function repairWith(terms: readonly string[], order: readonly IndexNode[] | ((term: string) => readonly IndexNode[]), client: SearchClient): SearchRepair {
  const orderOf = typeof order === 'function' ? order : () => order;
  const byKey = new Map(terms.map((term) => [idToHex(termKey(term)), orderOf(term)]));
  const nodes = { known: (key: Id) => byKey.get(idToHex(key)) ?? [] } as unknown as IndexNodes;
  return new SearchRepair({ holding: holdingOf(terms), nodes, client, replicas: () => 3 });
}

const kindsAsked = (asked: readonly [string, SearchRequest][], node: string): string[] => asked.filter(([to]) => to === node).map(([, request]) => request.kind);

describe('a search repair round', () => {
  it('asks each other holder once for the digests of every list it shares', async () => {
    const terms = ['grid', 'kademlia', 'overlay', '~network'];
    const { client, asked } = network((_, request) => current(request));
    const repair = repairWith(terms, [indexNode('self', true), indexNode('a'), indexNode('b'), indexNode('c')], client);
    await repair.runOnce();
    assert.deepEqual(kindsAsked(asked, 'a'), ['digests']);
    assert.deepEqual(kindsAsked(asked, 'b'), ['digests']);
    assert.deepEqual(kindsAsked(asked, 'c'), [], 'the fourth closest is not a replica');
    const digests = asked.find(([to, request]) => to === 'a' && request.kind === 'digests')?.[1];
    assert.deepEqual(digests, { kind: 'digests', terms });
    assert.deepEqual({ ...repair.stats }, { rounds: 1, listsCompared: 8, listsSent: 0, listsTaken: 0, postingsTaken: 0, failures: 0, digestRequests: 2, countRequests: 0, rechecks: 0 });
  });

  it('pages the digests of many lists', async () => {
    const terms = Array.from({ length: SearchLimits.termsPerDigestsMax + 5 }, (_, index) => `term${index}`);
    const { client, asked } = network((_, request) => current(request));
    const repair = repairWith(terms, [indexNode('self', true), indexNode('a'), indexNode('b')], client);
    await repair.runOnce();
    const pages = asked.filter(([to, request]) => to === 'a' && request.kind === 'digests').map(([, request]) => (request as { terms: readonly string[] }).terms.length);
    assert.deepEqual(pages, [SearchLimits.termsPerDigestsMax, 5]);
    assert.equal(repair.stats.listsCompared, 2 * terms.length);
  });

  it('gives the lists of a node that fails to the next closest', async () => {
    const terms = ['grid', 'kademlia'];
    const { client, asked } = network((node, request) => (node === 'a' ? null : current(request)));
    const repair = repairWith(terms, [indexNode('self', true), indexNode('a'), indexNode('b'), indexNode('c'), indexNode('d')], client);
    await repair.runOnce();
    assert.deepEqual(kindsAsked(asked, 'a'), ['digests'], 'asked once, then passed over');
    assert.deepEqual(kindsAsked(asked, 'b'), ['digests']);
    assert.deepEqual(kindsAsked(asked, 'c'), ['digests'], 'in the failed node\'s place');
    assert.deepEqual(kindsAsked(asked, 'd'), []);
    assert.equal(repair.stats.failures, 1);
    assert.equal(repair.stats.listsCompared, 4);
  });

  it('passes over a failed node for the rest of the round, where it is a further candidate of other lists', async () => {
    // grid asks a and b, kademlia x and b; a and x fail. Then each list needs one more holder:
    // grid's next is c; kademlia's is a, failed already, so it is c too.
    const [self, a, b, c, x] = [indexNode('self', true), indexNode('a'), indexNode('b'), indexNode('c'), indexNode('x')];
    const { client, asked } = network((node, request) => (node === 'a' || node === 'x' ? null : current(request)));
    const repair = repairWith(['grid', 'kademlia'], (term) => (term === 'grid' ? [self, a, b, c] : [self, x, b, a, c]), client);
    await repair.runOnce();
    assert.deepEqual(kindsAsked(asked, 'a'), ['digests'], 'not asked again');
    assert.deepEqual(kindsAsked(asked, 'x'), ['digests']);
    assert.deepEqual(kindsAsked(asked, 'c'), ['digests'], 'one request for both lists');
    assert.equal(repair.stats.listsCompared, 4);
    assert.equal(repair.stats.failures, 2);
  });

  it('asks again of a list whose digest differed before moving it, and moves it only if it still differs', async () => {
    // a's digest of grid differs at the round's start, and is ours by the recheck; b's of grid still
    // differs then, so b is asked for its postings.
    const { client, asked } = network((node, request) => {
      if (request.kind === 'digests') return { kind: 'digested', lists: request.terms.map(() => ({ postings: 1, digest: DIGEST + 1 })) };
      if (request.kind === 'count') return { kind: 'counted', documents: 1, postings: 1, digest: node === 'a' ? DIGEST : DIGEST + 2 };
      return current(request);
    });
    const repair = repairWith(['grid'], [indexNode('self', true), indexNode('a'), indexNode('b')], client);
    await repair.runOnce();
    assert.deepEqual(kindsAsked(asked, 'a'), ['digests', 'count']);
    assert.deepEqual(kindsAsked(asked, 'b'), ['digests', 'count', 'postings']);
    assert.equal(repair.stats.rechecks, 2);
    assert.equal(repair.stats.countRequests, 0, 'rechecks are not lists compared one by one');
  });

  it('asks a node of an earlier version list by list', async () => {
    const terms = ['grid', 'kademlia', 'overlay'];
    const { client, asked } = network((node, request) => (node === 'old' ? earlier(request) : current(request)));
    const repair = repairWith(terms, [indexNode('self', true), indexNode('old'), indexNode('new')], client);
    await repair.runOnce();
    assert.deepEqual(kindsAsked(asked, 'old'), ['digests', 'count', 'count', 'count']);
    assert.deepEqual(kindsAsked(asked, 'new'), ['digests']);
    assert.equal(repair.stats.countRequests, 3);
    assert.equal(repair.stats.listsCompared, 6);
    assert.equal(repair.stats.failures, 0);
  });
});
