/**
 * Ranking of search results by BM25 (Robertson & Zaragoza, "The Probabilistic Relevance Framework:
 * BM25 and Beyond", 2009; issue 7, item 2: "ranks by a BM25-style score"). Pure: the statistics
 * come in as arguments, because in a DHT nobody holds the whole corpus — the holder of each term's
 * posting list knows how many documents contain the term, and the postings carry each document's
 * length, so the query gathers what the formula needs as it intersects (docs/SEARCH.md).
 *
 * score(D, Q) = Σ_{t ∈ Q} idf(t) · tf(t, D) · (k1 + 1) / (tf(t, D) + k1 · (1 − b + b · |D| / avgdl))
 * idf(t)      = ln(1 + (N − n(t) + 0.5) / (n(t) + 0.5))
 *
 * with N the documents in the corpus, n(t) those containing t, |D| the document's length in terms
 * and avgdl the mean length. This idf (Lucene's) is never negative, so a term in most documents
 * adds little rather than subtracting.
 */

export const Bm25Tuning = {
  /** How quickly a term's repetitions stop adding to the score (the usual 1.2). */
  k1: 1.2,
  /** How much a long document is discounted (the usual 0.75: 0 none, 1 fully by length). */
  b: 0.75,
} as const;

export interface CorpusStatistics {
  /** N: documents in the corpus (at least the largest n(t)). */
  readonly documents: number;
  /** avgdl: their mean length in terms (> 0). */
  readonly averageDocumentTerms: number;
}

export interface TermInDocument {
  /** n(t): documents containing the term. */
  readonly documentsWithTerm: number;
  /** tf(t, D): how often it occurs in this document. */
  readonly termCount: number;
}

/** idf(t) for a term found in `documentsWithTerm` of `documents` documents. */
export function inverseDocumentFrequency(documents: number, documentsWithTerm: number): number {
  const n = Math.min(Math.max(0, documentsWithTerm), Math.max(0, documents));
  return Math.log(1 + (documents - n + 0.5) / (n + 0.5));
}

/**
 * A document's score for the query terms it contains. Terms with a count of 0 add nothing;
 * non-finite or negative inputs (a peer's postings are untrusted) count as 0 rather than
 * poisoning the sum, so a score is always a finite number ≥ 0.
 */
export function bm25Score(corpus: CorpusStatistics, documentTerms: number, terms: readonly TermInDocument[]): number {
  const averageTerms = corpus.averageDocumentTerms > 0 && Number.isFinite(corpus.averageDocumentTerms) ? corpus.averageDocumentTerms : 1;
  const length = Number.isFinite(documentTerms) && documentTerms > 0 ? documentTerms : averageTerms;
  const { k1, b } = Bm25Tuning;
  const norm = k1 * (1 - b + (b * length) / averageTerms);
  let score = 0;
  for (const term of terms) {
    const count = Number.isFinite(term.termCount) && term.termCount > 0 ? term.termCount : 0;
    if (count === 0) continue;
    score += inverseDocumentFrequency(corpus.documents, term.documentsWithTerm) * ((count * (k1 + 1)) / (count + norm));
  }
  return Number.isFinite(score) ? score : 0;
}

/**
 * Ranks scored documents: highest score first, ties by id (so every node that ranks the same
 * results gives the same order), at most `limit`.
 */
export function rankByScore<T extends { readonly id: string; readonly score: number }>(results: readonly T[], limit: number): T[] {
  return [...results].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, Math.max(0, limit));
}
