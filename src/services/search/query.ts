/**
 * A search query and its answer, the pure parts (issue 7, item 2; docs/SEARCH.md, "A query"):
 * parsing `peergrid search "<words>" [--field element:words …] [--stem]` into the terms every
 * result must contain (conjunctive), and turning the postings the holders return into ranked
 * matches. The runtime does the asking (runtime/search/search-query.ts), so this file holds what
 * both a node and a reference index in a test must agree on.
 */
import { bm25Score, rankByScore, type CorpusStatistics } from './bm25.ts';
import { DublinCoreField, fieldsOf, isDublinCoreElement } from './dublin-core.ts';
import { POSTING_ALL_FIELDS, PostingField, type SignedPosting } from './posting.ts';
import { compareTerms, isTerm, stemListTerm, termsOf } from './terms.ts';

export const QueryLimits = {
  /** Terms in one query (words and field filters together): each costs a lookup and requests (issue 7, item 3: query fan-out). */
  termsMax: 8,
  /** Field filters in one query. */
  fieldFiltersMax: 8,
  /** Results one query returns at most. */
  resultsMax: 100,
  /** A query's text, in UTF-16 code units. */
  textCharsMax: 1024,
} as const;

export interface QueryTerm {
  /** The posting list asked: a term, or `~` and a stem. */
  readonly term: string;
  /** Postings count only with one of these field bits. */
  readonly fields: number;
}

export interface Query {
  readonly terms: readonly QueryTerm[];
  readonly stem: boolean;
}

export type ParsedQuery = { readonly ok: true; readonly query: Query } | { readonly ok: false; readonly error: string };

/** The list a word is looked up in: its stem's with stemming (when the stem is itself a term), else its own. */
export function listTermOf(word: string, stem: boolean): string {
  if (!stem) return word;
  const list = stemListTerm(word);
  return isTerm(list.slice(1)) ? list : word;
}

/**
 * Parses a query: the words of `text` (folded as documents are, stopwords dropped), each required
 * in any field, and each `element:words` filter's words required in that Dublin Core element (or
 * `text:words` in the document's own text). Terms repeat at most once per (list, fields).
 */
export function parseQuery(text: string, fieldFilters: readonly string[] = [], options: { readonly stem?: boolean } = {}): ParsedQuery {
  const stem = options.stem === true;
  if (typeof text !== 'string' || text.length > QueryLimits.textCharsMax) return { ok: false, error: `the query must be text of at most ${QueryLimits.textCharsMax} characters` };
  if (fieldFilters.length > QueryLimits.fieldFiltersMax) return { ok: false, error: `at most ${QueryLimits.fieldFiltersMax} field filters` };
  const terms: QueryTerm[] = [];
  const seen = new Set<string>();
  const add = (word: string, fields: number): void => {
    const term = listTermOf(word, stem);
    const key = `${term}\u0000${fields}`;
    if (seen.has(key)) return;
    seen.add(key);
    terms.push({ term, fields });
  };
  for (const word of termsOf(text)) add(word, POSTING_ALL_FIELDS);
  for (const filter of fieldFilters) {
    const colon = filter.indexOf(':');
    const name = colon < 0 ? '' : filter.slice(0, colon).trim().toLowerCase();
    if (colon < 0 || name === '') return { ok: false, error: `field filter ${JSON.stringify(filter)}: expected element:words, such as creator:Crowcroft` };
    const fields = name === 'text' ? PostingField.textBody : isDublinCoreElement(name) ? DublinCoreField[name] : 0;
    if (fields === 0) return { ok: false, error: `field filter ${JSON.stringify(filter)}: ${name} is neither a Dublin Core element nor text` };
    const words = termsOf(filter.slice(colon + 1));
    if (words.length === 0) return { ok: false, error: `field filter ${JSON.stringify(filter)}: no word to search for (stopwords and single letters are not indexed)` };
    for (const word of words) add(word, fields);
  }
  if (terms.length === 0) return { ok: false, error: 'the query has no word to search for (stopwords and single letters are not indexed)' };
  if (terms.length > QueryLimits.termsMax) return { ok: false, error: `the query has ${terms.length} terms, over ${QueryLimits.termsMax}` };
  return { ok: true, query: { terms, stem } };
}

/** A document that holds every term: one posting per query term, in the query's order. */
export interface Match {
  readonly cid: string;
  readonly postings: readonly SignedPosting[];
}

export interface RankedMatch extends Match {
  readonly score: number;
}

/** Which of several publishers' postings for one (term, cid) counts: the newest, then the least publisher. */
function preferred(a: SignedPosting, b: SignedPosting): SignedPosting {
  const byTime = b.posting.publishedAtUnixMs - a.posting.publishedAtUnixMs;
  if (byTime !== 0) return byTime < 0 ? a : b;
  return compareTerms(a.posting.publisher, b.posting.publisher) <= 0 ? a : b;
}

/**
 * The documents in every term's list (each list already restricted to the term's fields, or not:
 * postings outside a term's fields are ignored here), with the posting that counts for each term.
 */
export function intersect(terms: readonly QueryTerm[], lists: readonly (readonly SignedPosting[])[]): Match[] {
  if (terms.length === 0 || terms.length !== lists.length) return [];
  const perTerm = lists.map((list, index) => {
    const byCid = new Map<string, SignedPosting>();
    for (const signed of list) {
      const { posting } = signed;
      if (posting.term !== terms[index].term || (posting.fields & terms[index].fields) === 0) continue;
      const held = byCid.get(posting.cid);
      byCid.set(posting.cid, held === undefined ? signed : preferred(held, signed));
    }
    return byCid;
  });
  const matches: Match[] = [];
  for (const cid of perTerm[0].keys()) {
    const postings = perTerm.map((byCid) => byCid.get(cid));
    if (postings.every((posting) => posting !== undefined)) matches.push({ cid, postings: postings as SignedPosting[] });
  }
  return matches;
}

/**
 * Ranks matches by BM25 (bm25.ts): n(t) per query term from its holder, N and avgdl from the
 * corpus summaries, tf and |D| from the postings (|D| from the first term's). Highest first, ties
 * by CID; at most `limit`.
 */
export function rankMatches(matches: readonly Match[], documentsWithTerm: readonly number[], corpus: CorpusStatistics, limit: number): RankedMatch[] {
  const largest = Math.max(0, ...documentsWithTerm);
  const statistics = { documents: Math.max(corpus.documents, largest), averageDocumentTerms: corpus.averageDocumentTerms };
  const scored = matches.map((match) => ({
    ...match,
    id: match.cid,
    score: bm25Score(statistics, match.postings[0].posting.documentTerms, match.postings.map((signed, index) => ({
      documentsWithTerm: documentsWithTerm[index] ?? 0, termCount: signed.posting.termCount,
    }))),
  }));
  return rankByScore(scored, limit).map(({ id: _id, ...ranked }) => ranked);
}

/** A field mask as people read it: `any`, or the elements (and `text`) joined by `|`. */
export function fieldNames(fields: number): string {
  if (fields === POSTING_ALL_FIELDS) return 'any';
  const names: string[] = fieldsOf(fields);
  if ((fields & PostingField.textBody) !== 0) names.push('text');
  return names.join('|');
}
