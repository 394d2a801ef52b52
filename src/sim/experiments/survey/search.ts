/**
 * `search` (issue 7, "Benchmark and experiment"; survey §3.1.1 and its Figure 8): keyword search
 * over an inverted index partitioned on a DHT, conjunctive queries answered by passing Bloom filters
 * between the holders of the query's terms rarest first (Reynolds & Vahdat, Middleware 2003),
 * against Gnutella-style flooding at equal recall, and against the same DHT shipping whole posting
 * lists instead of filters.
 *
 * The corpus: `documents` documents on random nodes, each with `termsPerDocument` distinct terms
 * drawn from a Zipf distribution over a `vocabulary` (exponent `zipfExponent`), the `stopwords` most
 * frequent ranks left out as a stopword list leaves them out; a query is `termsPerQuery` terms of a
 * random document (so it has at least one match), conjunctive.
 *
 * DHT, per query of T terms: a lookup for each term's holder (the lookup experiment's messages and
 * bytes per lookup at this size, from the caller), a count from each holder, then the chain
 * rarest first — the first holder sends a Bloom filter of its CIDs to the second, which keeps what
 * the filter admits of its own list and sends a filter of that on, and so on; the last sends its
 * candidates' CIDs back along the chain, each holder keeping those really in its list (the filters'
 * false positives fall out: precision and recall 1), and the first sends the matches' postings to
 * the querier. The same chain with exact CID lists instead of filters is the baseline for
 * `bloomBytesSavedRatio`.
 *
 * Flooding: each node indexes only its own documents; the query floods a random graph of mean
 * degree `degree` from a random node, every node forwarding to all its neighbours but the sender.
 * Its TTL is the smallest that reaches every match (an oracle-tuned TTL, generous to flooding: a real
 * client cannot know it), so the comparison is at the DHT's recall, 1; Gnutella's TTL of 7 is
 * reported beside it.
 *
 * Bytes are counted as the messages would carry them: a posting (CID, fields, counts) `postingBytes`,
 * a CID `cidBytes`, a filter `BloomFilter.bytes`, a flooded query `floodQueryBytes` (Gnutella's
 * 23-byte header and the terms).
 */
import { BloomFilter } from '../../../services/search/bloom-filter.ts';
import { Prng } from '../../prng.ts';
import type { LookupExperimentResult } from '../lookup-experiment.ts';
import { randomGraph } from './flooding-vs-dht.ts';

export interface SearchOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly documents: number;
  readonly vocabulary: number;
  readonly termsPerDocument: number;
  readonly zipfExponent: number;
  /** The most frequent ranks are stopwords: not indexed, not searched for (terms.ts drops them too). */
  readonly stopwords: number;
  readonly queries: number;
  readonly termsPerQuery: number;
  readonly degree: number;
  readonly falsePositiveRate: number;
  readonly cidBytes: number;
  readonly postingBytes: number;
  readonly floodQueryBytes: number;
}

export const SEARCH_DEFAULTS: Omit<SearchOptions, 'seed'> = {
  nodes: 10_000, documents: 50_000, vocabulary: 20_000, termsPerDocument: 20, zipfExponent: 1, stopwords: 100,
  queries: 1000, termsPerQuery: 2, degree: 4, falsePositiveRate: 0.01, cidBytes: 36, postingBytes: 48, floodQueryBytes: 60,
};

export interface SearchResult {
  readonly experiment: 'search';
  readonly claim: string;
  readonly seed: number;
  readonly options: Omit<SearchOptions, 'seed'>;
  readonly nodes: number;
  readonly queries: number;
  /** Matches found ÷ matches that exist, over all queries: the DHT's (1 by construction of the exact check). */
  readonly recall: number;
  readonly matchesPerQuery: number;
  readonly dhtMessagesPerQuery: number;
  readonly dhtBytesPerQuery: number;
  /** The chain as nodes run it, through the searcher (lookups included): see the file's comment. */
  readonly nodeChainMessagesPerQuery: number;
  readonly nodeChainBytesPerQuery: number;
  /** The same DHT chain shipping exact CID lists instead of Bloom filters. */
  readonly wholeListBytesPerQuery: number;
  /** 1 − Bloom chain bytes ÷ whole-list chain bytes (the intersection's bytes only, lookups apart). */
  readonly bloomBytesSavedRatio: number;
  /** Flooding at the smallest TTL that reaches every match. */
  readonly floodMessagesPerQuery: number;
  readonly floodBytesPerQuery: number;
  readonly floodTtlMean: number;
  /** Flooding at Gnutella's TTL of 7: its messages and the share of matches it finds. */
  readonly floodTtl7: { readonly messagesPerQuery: number; readonly recall: number };
  /** What the lookups cost, from the lookup experiment at this size. */
  readonly lookup: { readonly messagesPerLookup: number; readonly bytesPerLookup: number; readonly correctRate: number };
}

/** Gnutella's default TTL. */
const GNUTELLA_TTL = 7;

export function runSearch(options: SearchOptions, lookupAt: (nodes: number) => LookupExperimentResult): SearchResult {
  const prng = Prng.fromSeed(options.seed);
  const corpus = prng.stream(1);
  const zipf = zipfSampler(options.vocabulary, options.zipfExponent);
  // Documents: their node and their terms; the index: each term's documents, in id order.
  const homeOf = new Int32Array(options.documents);
  const termsOf: number[][] = [];
  const postings: number[][] = Array.from({ length: options.vocabulary }, () => []);
  for (let document = 0; document < options.documents; document++) {
    homeOf[document] = Math.floor(corpus.nextFloat() * options.nodes);
    const terms = new Set<number>();
    const wanted = Math.min(options.termsPerDocument, options.vocabulary - options.stopwords);
    while (terms.size < wanted) {
      const term = zipf(corpus.nextFloat());
      if (term >= options.stopwords) terms.add(term);
    }
    termsOf.push([...terms]);
    for (const term of terms) postings[term].push(document);
  }
  const graph = randomGraph(prng.stream(2), options.nodes, options.degree);
  const lookup = lookupAt(options.nodes);
  const bytesPerLookup = userBytesPerLookup(lookup);
  const queries = prng.stream(3);
  const totals = { matches: 0, dhtMessages: 0, dhtBytes: 0, nodeMessages: 0, nodeBytes: 0, wholeBytes: 0, bloomChainBytes: 0, floodMessages: 0, floodBytes: 0, floodTtl: 0, ttl7Messages: 0, ttl7Found: 0 };
  for (let query = 0; query < options.queries; query++) {
    const source = termsOf[Math.floor(queries.nextFloat() * options.documents)];
    const terms = pickDistinct(source, Math.min(options.termsPerQuery, source.length), queries);
    const lists = terms.map((term) => postings[term]).sort((a, b) => a.length - b.length);
    const matches = intersectAll(lists);
    totals.matches += matches.length;
    // The DHT: lookups, counts, the chain, the exact check.
    const chain = bloomChain(lists, options);
    const whole = wholeListChain(lists, options);
    const count = lists.length;
    // Lookups; a count from each holder (asked and answered); the request to the rarest's holder,
    // the filters forward, the CIDs back, the postings to the querier.
    const messages = count * lookup.messagesPerLookup + 2 * count + 1 + (count - 1) + (count - 1) + 1;
    totals.dhtMessages += messages;
    totals.dhtBytes += count * bytesPerLookup + chain.bytes;
    totals.bloomChainBytes += chain.bytes;
    const throughSearcher = searcherChain(lists, options);
    totals.nodeMessages += count * lookup.messagesPerLookup + 2 * count + throughSearcher.messages;
    totals.nodeBytes += count * bytesPerLookup + throughSearcher.bytes;
    totals.wholeBytes += whole;
    // Flooding, from a random node.
    const start = Math.floor(queries.nextFloat() * options.nodes);
    const flood = floodByDistance(graph, start);
    const homes = matches.map((document) => homeOf[document]);
    const ttl = Math.max(0, ...homes.map((home) => flood.distance[home]));
    totals.floodTtl += ttl;
    const floodMessages = flood.messagesWithin(ttl);
    totals.floodMessages += floodMessages;
    totals.floodBytes += floodMessages * options.floodQueryBytes + matches.length * options.postingBytes;
    totals.ttl7Messages += flood.messagesWithin(GNUTELLA_TTL);
    totals.ttl7Found += homes.filter((home) => flood.distance[home] <= GNUTELLA_TTL).length;
  }
  const perQuery = (value: number): number => round1(value / options.queries);
  const { seed: _seed, ...rest } = options;
  return {
    experiment: 'search',
    claim: 'an inverted index on a DHT answers keyword queries with a few messages where flooding touches the network, and Bloom filters cut the bytes of intersecting posting lists (survey §3.1.1, Figure 8; Reynolds & Vahdat 2003)',
    seed: options.seed, options: rest, nodes: options.nodes, queries: options.queries,
    recall: 1,
    matchesPerQuery: perQuery(totals.matches),
    dhtMessagesPerQuery: perQuery(totals.dhtMessages),
    dhtBytesPerQuery: perQuery(totals.dhtBytes),
    nodeChainMessagesPerQuery: perQuery(totals.nodeMessages),
    nodeChainBytesPerQuery: perQuery(totals.nodeBytes),
    wholeListBytesPerQuery: perQuery(totals.wholeBytes),
    bloomBytesSavedRatio: round3(1 - totals.bloomChainBytes / totals.wholeBytes),
    floodMessagesPerQuery: perQuery(totals.floodMessages),
    floodBytesPerQuery: perQuery(totals.floodBytes),
    floodTtlMean: round3(totals.floodTtl / options.queries),
    floodTtl7: { messagesPerQuery: perQuery(totals.ttl7Messages), recall: round3(totals.ttl7Found / Math.max(1, totals.matches)) },
    lookup: { messagesPerLookup: lookup.messagesPerLookup, bytesPerLookup: round1(bytesPerLookup), correctRate: lookup.correctRate },
  };
}

/**
 * The rarest-first chain with Bloom filters (Reynolds & Vahdat §4): each holder but the last sends a
 * filter of what is still a candidate to the next; the last sends the CIDs of its candidates back
 * along the chain, each earlier holder keeping those really in its list (the filters' false
 * positives fall out here), and the first sends the matches' postings to the querier.
 */
function bloomChain(lists: readonly (readonly number[])[], options: SearchOptions): { bytes: number } {
  let candidates: readonly number[] = lists[0];
  let bytes = 0;
  for (let index = 1; index < lists.length; index++) {
    const filter = BloomFilter.forItems(candidates.length, options.falsePositiveRate);
    for (const document of candidates) filter.add(String(document));
    bytes += filter.bytes;
    candidates = lists[index].filter((document) => filter.mightContain(String(document)));
  }
  // Back along the chain, exact: each earlier holder receives the CIDs still standing.
  for (let index = lists.length - 2; index >= 0; index--) {
    bytes += candidates.length * options.cidBytes;
    const exact = new Set(lists[index]);
    candidates = candidates.filter((document) => exact.has(document));
  }
  return { bytes: bytes + candidates.length * options.postingBytes };
}

/**
 * The chain through the searcher, as nodes run it (requests and answers after the counts): the
 * rarest's holder sends its filter to the searcher, which sends it to the next holder, whose answer
 * is its postings the filter admits; each further holder is sent the surviving CIDs and answers with
 * its postings of them; the rarest's holder, sent the survivors, answers with its postings of them.
 * Requests cost `requestBytes` beside what they carry.
 */
function searcherChain(lists: readonly (readonly number[])[], options: SearchOptions): { messages: number; bytes: number } {
  const requestBytes = 16;
  const filter = BloomFilter.forItems(lists[0].length, options.falsePositiveRate);
  for (const document of lists[0]) filter.add(String(document));
  // The filter comes to the searcher and goes on to the second holder.
  let bytes = 2 * requestBytes + 2 * filter.bytes;
  let messages = 4;
  let candidates = lists[1].filter((document) => filter.mightContain(String(document)));
  bytes += candidates.length * options.postingBytes;
  for (let index = 2; index < lists.length && candidates.length > 0; index++) {
    const exact = new Set(lists[index]);
    bytes += requestBytes + candidates.length * options.cidBytes;
    candidates = candidates.filter((document) => exact.has(document));
    bytes += candidates.length * options.postingBytes;
    messages += 2;
  }
  if (candidates.length > 0) {
    const first = new Set(lists[0]);
    bytes += requestBytes + candidates.length * options.cidBytes;
    candidates = candidates.filter((document) => first.has(document));
    bytes += candidates.length * options.postingBytes;
    messages += 2;
  }
  return { messages, bytes };
}

/** The same chain shipping exact CID lists: no false positives, so no check at the end. */
function wholeListChain(lists: readonly (readonly number[])[], options: SearchOptions): number {
  let candidates: readonly number[] = lists[0];
  let bytes = 0;
  for (let index = 1; index < lists.length; index++) {
    bytes += candidates.length * options.cidBytes;
    const exact = new Set(candidates);
    candidates = lists[index].filter((document) => exact.has(document));
  }
  return bytes + candidates.length * options.postingBytes;
}

function intersectAll(lists: readonly (readonly number[])[]): number[] {
  let result = [...lists[0]];
  for (const list of lists.slice(1)) {
    const members = new Set(list);
    result = result.filter((document) => members.has(document));
  }
  return result;
}

/**
 * One breadth-first flood from `start`, remembered by distance: for a TTL t the flood reaches the
 * nodes within t hops, and every node within t − 1 hops forwards to all its neighbours but the
 * one it heard from (the start to all of them).
 */
function floodByDistance(graph: readonly number[][], start: number): { distance: Int32Array; messagesWithin: (ttl: number) => number } {
  const distance = new Int32Array(graph.length).fill(-1);
  distance[start] = 0;
  const forwardsAt: number[] = [];
  let frontier = [start];
  for (let hop = 0; frontier.length > 0; hop++) {
    let forwards = 0;
    const next: number[] = [];
    for (const node of frontier) {
      forwards += node === start ? graph[node].length : graph[node].length - 1;
      for (const neighbour of graph[node]) {
        if (distance[neighbour] >= 0) continue;
        distance[neighbour] = hop + 1;
        next.push(neighbour);
      }
    }
    forwardsAt.push(forwards);
    frontier = next;
  }
  // The graph is connected (randomGraph links a ring), but an unreached node would be "infinitely" far.
  for (let node = 0; node < distance.length; node++) if (distance[node] < 0) distance[node] = 0x7fff_ffff;
  return {
    distance,
    messagesWithin: (ttl) => forwardsAt.slice(0, Math.max(0, ttl)).reduce((sum, value) => sum + value, 0),
  };
}

/** Term ranks 0 … n−1 with P(r) ∝ 1 / (r + 1)^s, by inverting the cumulative distribution. */
function zipfSampler(n: number, exponent: number): (uniform: number) => number {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let rank = 0; rank < n; rank++) {
    sum += 1 / (rank + 1) ** exponent;
    cumulative[rank] = sum;
  }
  return (uniform) => {
    const target = uniform * sum;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

function pickDistinct(items: readonly number[], count: number, prng: Prng): number[] {
  const pool = [...items];
  const out: number[] = [];
  while (out.length < count) out.push(pool.splice(Math.floor(prng.nextFloat() * pool.length), 1)[0]);
  return out;
}

/** Bytes of user traffic per lookup in the lookup experiment's window (maintenance apart). */
function userBytesPerLookup(result: LookupExperimentResult): number {
  const userBytes = (result.bytesPerNodePerSec - result.maintenanceBytesPerNodePerSec) * result.nodesOnlineMean * result.windowMinutes * 60;
  return result.lookupsCompleted > 0 ? userBytes / result.lookupsCompleted : 0;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
