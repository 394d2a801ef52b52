/**
 * A query on the grid (issue 7, item 2; docs/SEARCH.md, "A query"), Reynolds & Vahdat's chain
 * ("Efficient peer-to-peer keyword searching", Middleware 2003) with the searcher in the middle:
 *
 * 1. For each term, its holders (the nodes closest to hash(term)) are asked for n(t), the closest
 *    first until one holds the list; and a holder of the corpus key for N and avgdl.
 * 2. Terms are taken rarest first. The rarest term's holder sends a Bloom filter of its CIDs; the
 *    next term's holder returns its postings whose CIDs the filter admits; each further term's
 *    holder returns its postings of the surviving CIDs, named exactly (a list of CIDs is cheaper
 *    than a filter once few survive). Last, the rarest term's holder returns its postings of the
 *    survivors, which removes the filter's false positives: every term's postings are then exact.
 * 3. Every posting's signature is checked (a holder can hide postings, never invent them); the
 *    documents in every list are ranked by BM25 (services/search/query.ts), and the rarest term's
 *    holder describes the top ones (their signed Dublin Core records).
 *
 * A holder that fails is replaced by the next closest; the request is counted against it.
 */
import { documentSigningBytes, type SignedDocumentRecord } from '../../services/search/document-record.ts';
import type { DublinCore } from '../../services/search/dublin-core.ts';
import { decodePostingPage, postingSigningBytes, type SignedPosting } from '../../services/search/posting.ts';
import { fieldNames, intersect, parseQuery, QueryLimits, rankMatches, type QueryTerm } from '../../services/search/query.ts';
import { SearchLimits, type SearchRequest, type SearchResponse } from '../../services/search/search-messages.ts';
import type { Id } from '../../core/id.ts';
import type { IndexNode, IndexNodes } from './index-nodes.ts';
import { SearchRequestError } from './search-errors.ts';
import { SearchProtocolError, type SearchClient } from './search-client.ts';
import { CORPUS_KEY, termKey } from './term-key.ts';

export interface QueryParts {
  readonly nodes: IndexNodes;
  readonly client: SearchClient;
  readonly verify: (peerId: string, bytes: Uint8Array, signature: Uint8Array) => Promise<boolean>;
  /** Counts bad data against a holder (the peer guard). */
  readonly penalize: (peerId: string, reason: string) => void;
  readonly nowMs: () => number;
}

export interface SearchOptions {
  readonly fields?: readonly string[];
  readonly limit?: number;
  readonly stem?: boolean;
}

export interface SearchHit {
  readonly cid: string;
  readonly score: number;
  /** The publisher whose postings ranked it, and its signed description (null when no holder had it). */
  readonly publisher: string;
  readonly metadata: DublinCore | null;
}

export interface SearchReport {
  /** Each list asked, the fields it had to be in (`any`, or element names joined by `|`), and n(t). */
  readonly terms: readonly { readonly term: string; readonly fields: string; readonly documents: number }[];
  readonly stem: boolean;
  /** Documents that hold every term (before the limit). */
  readonly matches: number;
  readonly hits: readonly SearchHit[];
  /** BM25's N and avgdl, from the publishers' summaries (each at least what the lists show). */
  readonly corpus: { readonly documents: number; readonly averageDocumentTerms: number; readonly publishers: number };
  /** Requests sent to other nodes, and their bytes. */
  readonly requests: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Holders that failed or answered badly. */
  readonly holderFailures: number;
  readonly elapsedMs: number;
}

/** The false-positive rate of the first filter (the simulator's, SEARCH.md). */
const FILTER_FALSE_POSITIVE_RATE = 0.01;
/** Pages of postings one query reads at most (issue 7, item 3: result size): 64 × 128 postings. */
const PAGES_PER_QUERY_MAX = 64;

interface TermState {
  readonly query: QueryTerm;
  readonly candidates: readonly IndexNode[];
  /** The candidate that holds the list, once known. */
  holderAt: number;
  documents: number;
}

export class SearchQuery {
  private readonly parts: QueryParts;
  private failures = 0;
  private pages = 0;

  constructor(parts: QueryParts) {
    this.parts = parts;
  }

  async run(text: string, options: SearchOptions = {}): Promise<SearchReport> {
    const startedMs = this.parts.nowMs();
    const limit = options.limit ?? 10;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > QueryLimits.resultsMax) throw new SearchRequestError(`limit must be an integer from 1 to ${QueryLimits.resultsMax}`);
    const parsed = parseQuery(text, options.fields ?? [], { stem: options.stem ?? false });
    if (!parsed.ok) throw new SearchRequestError(parsed.error);
    const traffic = { ...this.parts.client.traffic };
    const states: TermState[] = await Promise.all(parsed.query.terms.map(async (query) => ({
      query, candidates: await this.parts.nodes.candidates(termKey(query.term)), holderAt: -1, documents: 0,
    })));
    const [corpus] = await Promise.all([this.corpus(), ...states.map((state) => this.count(state))]);
    // N at least the largest n(t) (bm25.ts); avgdl 0 while no summary is known, which BM25 reads as 1.
    const statistics = {
      documents: Math.max(corpus.documents, ...states.map((state) => state.documents)),
      averageDocumentTerms: corpus.documents > 0 ? corpus.documentTerms / corpus.documents : 0,
    };
    const ordered = [...states].sort((a, b) => a.documents - b.documents || (a.query.term < b.query.term ? -1 : a.query.term > b.query.term ? 1 : 0));
    let hits: SearchHit[] = [];
    let matches = 0;
    if (ordered[0].documents > 0) {
      const lists = await this.chain(ordered);
      const found = intersect(ordered.map((state) => state.query), lists);
      matches = found.length;
      const ranked = rankMatches(found, ordered.map((state) => state.documents), statistics, limit);
      const records = await this.describe(ordered[0], ranked.map((match) => match.cid));
      hits = ranked.map((match) => {
        const publisher = match.postings[0].posting.publisher;
        const candidates = records.get(match.cid) ?? [];
        const record = candidates.find((signed) => signed.record.publisher === publisher) ?? candidates[0];
        return { cid: match.cid, score: match.score, publisher, metadata: record?.record.metadata ?? null };
      });
    }
    const now = this.parts.client.traffic;
    return {
      terms: states.map((state) => ({ term: state.query.term, fields: fieldNames(state.query.fields), documents: state.documents })),
      stem: parsed.query.stem,
      matches,
      hits,
      corpus: { ...statistics, publishers: corpus.publishers },
      requests: now.requests - traffic.requests,
      bytesSent: now.bytesSent - traffic.bytesSent,
      bytesReceived: now.bytesReceived - traffic.bytesReceived,
      holderFailures: this.failures,
      elapsedMs: Math.max(0, this.parts.nowMs() - startedMs),
    };
  }

  /** n(t): the closest candidate that holds the list; 0 when every reachable candidate says so. */
  private async count(state: TermState): Promise<void> {
    let answered = false;
    for (let at = 0; at < state.candidates.length; at++) {
      const answer = await this.ask(state.candidates[at], { kind: 'count', term: state.query.term, fields: state.query.fields }, 'counted', termKey(state.query.term));
      if (answer === null) continue;
      answered = true;
      if (answer.documents > 0) {
        state.holderAt = at;
        state.documents = answer.documents;
        return;
      }
      // An empty list on a node with none of it yet (a holder that just joined): the next may hold it.
      if (answer.postings === 0 && at + 1 < state.candidates.length) continue;
      return;
    }
    if (!answered) throw new SearchRequestError(`no holder of "${state.query.term}" answered`);
  }

  private async corpus(): Promise<{ documents: number; documentTerms: number; publishers: number }> {
    for (const node of await this.parts.nodes.candidates(CORPUS_KEY)) {
      const answer = await this.ask(node, { kind: 'corpus' }, 'corpus', CORPUS_KEY);
      if (answer !== null && answer.totals.publishers > 0) return answer.totals;
    }
    return { documents: 0, documentTerms: 0, publishers: 0 };
  }

  /** Every term's postings of the documents that may hold them all, rarest first (see the file's comment). */
  private async chain(ordered: readonly TermState[]): Promise<SignedPosting[][]> {
    const lists: SignedPosting[][] = ordered.map(() => []);
    const first = ordered[0];
    if (ordered.length === 1) {
      lists[0] = await this.postings(first, null, null);
      return lists;
    }
    const filter = await this.onHolder(first, { kind: 'filter', term: first.query.term, fields: first.query.fields, falsePositiveRate: FILTER_FALSE_POSITIVE_RATE }, 'filtered');
    lists[1] = await this.postings(ordered[1], filter.bloom, null);
    let survivors = distinctCids(lists[1]);
    for (let index = 2; index < ordered.length && survivors.length > 0; index++) {
      lists[index] = await this.postings(ordered[index], null, survivors);
      survivors = distinctCids(lists[index]);
    }
    if (survivors.length > 0) lists[0] = await this.postings(first, null, survivors);
    return lists;
  }

  /** A term's postings (all, those a filter admits, or those of named CIDs), every page, signatures checked. */
  private async postings(state: TermState, filter: Uint8Array | null, cids: readonly string[] | null): Promise<SignedPosting[]> {
    const postings: SignedPosting[] = [];
    const chunks = cids === null ? [null] : chunk(cids, SearchLimits.cidsPerRequestMax);
    for (const named of chunks) {
      let cursor: string | null = null;
      do {
        if (++this.pages > PAGES_PER_QUERY_MAX) throw new SearchRequestError(`the query needs more than ${PAGES_PER_QUERY_MAX} pages of postings: add a term`);
        const request: SearchRequest = { kind: 'postings', term: state.query.term, fields: state.query.fields, filter, cids: named, cursor };
        const answer = await this.onHolder(state, request, 'postings');
        const page = decodePostingPage(answer.page);
        const holder = state.candidates[state.holderAt];
        if (!page.ok) {
          this.parts.penalize(holder.peerId, `a bad posting page: ${page.error}`);
          throw new SearchProtocolError(`the holder of "${state.query.term}" sent a bad page: ${page.error}`);
        }
        for (const signed of page.page.postings) {
          if (signed.posting.term !== state.query.term) continue;
          if (await this.parts.verify(signed.posting.publisher, postingSigningBytes(signed.posting), signed.signature)) postings.push(signed);
          else this.parts.penalize(holder.peerId, 'a posting with a forged signature');
        }
        cursor = page.page.next;
      } while (cursor !== null);
    }
    return postings;
  }

  /** The signed records of `cids` from the term's holders, checked; keyed by CID. */
  private async describe(state: TermState, cids: readonly string[]): Promise<Map<string, SignedDocumentRecord[]>> {
    const records = new Map<string, SignedDocumentRecord[]>();
    if (cids.length === 0) return records;
    const answer = await this.onHolder(state, { kind: 'describe', cids }, 'described').catch(() => null);
    for (const signed of answer?.documents ?? []) {
      if (!cids.includes(signed.record.cid)) continue;
      if (!(await this.parts.verify(signed.record.publisher, documentSigningBytes(signed.record), signed.signature))) continue;
      const list = records.get(signed.record.cid);
      if (list === undefined) records.set(signed.record.cid, [signed]);
      else list.push(signed);
    }
    return records;
  }

  /** Asks the term's holder, moving on to the next candidate that holds the list when it fails. */
  private async onHolder<K extends SearchResponse['kind']>(state: TermState, request: SearchRequest, kind: K): Promise<Extract<SearchResponse, { kind: K }>> {
    while (state.holderAt < state.candidates.length) {
      const answer = await this.ask(state.candidates[state.holderAt], request, kind, termKey(state.query.term));
      if (answer !== null) return answer;
      // The holder failed: find the next that holds the list.
      const from = state.holderAt + 1;
      state.holderAt = state.candidates.length;
      for (let at = from; at < state.candidates.length; at++) {
        const counted = await this.ask(state.candidates[at], { kind: 'count', term: state.query.term, fields: state.query.fields }, 'counted', termKey(state.query.term));
        if (counted !== null && counted.documents > 0) {
          state.holderAt = at;
          break;
        }
      }
    }
    throw new SearchRequestError(`no holder of "${state.query.term}" answered`);
  }

  /**
   * One request; null when the node failed or answered with the wrong kind (counted against it).
   * The key's remembered candidates are then forgotten, so the next query looks again rather than
   * dial a dead holder first for the rest of the cache's time.
   */
  private async ask<K extends SearchResponse['kind']>(node: IndexNode, request: SearchRequest, kind: K, key: Id): Promise<Extract<SearchResponse, { kind: K }> | null> {
    try {
      const answer = await this.parts.client.ask(node.target, request);
      if (answer.kind === kind) return answer as Extract<SearchResponse, { kind: K }>;
    } catch {
      // Counted below.
    }
    this.failures++;
    this.parts.nodes.forget(key);
    return null;
  }
}

function distinctCids(postings: readonly SignedPosting[]): string[] {
  return [...new Set(postings.map((signed) => signed.posting.cid))];
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

