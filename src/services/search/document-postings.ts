/**
 * The postings a publisher sends for one document (issue 7, item 1; docs/SEARCH.md, "Publishing"):
 * the terms of its Dublin Core metadata with the elements they occur in, and with `--index-text`
 * the most frequent terms of its text (PostingField.textBody), each once with its count; and for
 * every term its stem's list too (terms.ts, STEM_MARK), so that `--stem` queries find it. Pure, so
 * a node and a test's reference index derive the same postings from the same document.
 */
import { indexTermsOf, type DublinCore } from './dublin-core.ts';
import { PostingField, PostingLimits, type Posting } from './posting.ts';
import { isTerm, stemListTerm, termFrequencies, TermLimits } from './terms.ts';

export const DocumentPostingLimits = {
  /** Terms of a text file published with --index-text (its most frequent). */
  textTermsMax: 64,
  /** A text file read for --index-text, in bytes: its first 1 MiB. */
  textBytesMax: 1024 * 1024,
} as const;

export interface DocumentInput {
  readonly cid: string;
  readonly publisher: string;
  readonly metadata: DublinCore;
  /** The document's text, for --index-text; null for metadata only. */
  readonly text: string | null;
  readonly publishedAtUnixMs: number;
}

export interface DocumentTerms {
  /** Each distinct term with its field bits and count: metadata terms first, then the text's. */
  readonly terms: ReadonlyMap<string, { readonly fields: number; readonly count: number }>;
  /** |D|: every occurrence of every term of the metadata and of the whole text. */
  readonly documentTerms: number;
}

/** The distinct terms of a document and its length, at most TermLimits.termsPerDocumentMax terms. */
export function documentTermsOf(metadata: DublinCore, text: string | null): DocumentTerms {
  const terms = new Map<string, { fields: number; count: number }>();
  let documentTerms = 0;
  for (const { term, fields, count } of indexTermsOf(metadata)) {
    terms.set(term, { fields, count });
    documentTerms += count;
  }
  if (text !== null) {
    const frequencies = termFrequencies(text);
    for (const count of frequencies.values()) documentTerms += count;
    const top = [...frequencies].sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : a > b ? 1 : 0)).slice(0, DocumentPostingLimits.textTermsMax);
    for (const [term, count] of top) {
      const held = terms.get(term);
      if (held !== undefined) terms.set(term, { fields: held.fields | PostingField.textBody, count: held.count + count });
      else if (terms.size < TermLimits.termsPerDocumentMax) terms.set(term, { fields: PostingField.textBody, count });
    }
  }
  return { terms, documentTerms: Math.min(Math.max(documentTerms, 1), PostingLimits.documentTermsMax) };
}

/**
 * The unsigned postings of a document: one per term and one per distinct stem list, all with the
 * document's length. A stem's list gathers the counts and fields of every term with that stem.
 */
export function documentPostings(input: DocumentInput): Posting[] {
  return postingsOfTerms(input.cid, input.publisher, documentTermsOf(input.metadata, input.text), input.publishedAtUnixMs);
}

/** documentPostings from terms already counted (a publisher republishes from the terms it stored). */
export function postingsOfTerms(cid: string, publisher: string, document: DocumentTerms, publishedAtUnixMs: number): Posting[] {
  const { terms, documentTerms } = document;
  const stems = new Map<string, { fields: number; count: number }>();
  for (const [term, { fields, count }] of terms) {
    const stem = stemListTerm(term);
    if (!isTerm(stem.slice(1))) continue;
    const held = stems.get(stem);
    stems.set(stem, held === undefined ? { fields, count } : { fields: held.fields | fields, count: held.count + count });
  }
  const postings: Posting[] = [];
  for (const [term, { fields, count }] of [...terms, ...stems]) {
    postings.push({ term, cid, fields, termCount: Math.min(count, documentTerms), documentTerms, publisher, publishedAtUnixMs });
  }
  return postings;
}
