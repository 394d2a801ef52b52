/**
 * A local reference index for the search devnet test: every published document's postings in one
 * place, queried as the grid is asked to answer — every document that holds every term (recall
 * must be 1.0) and the same top results in the same order — from the same pure pieces the nodes use
 * (terms, Dublin Core, stems, BM25), with the corpus statistics known exactly.
 */
import { documentTermsOf, postingsOfTerms } from '../../src/services/search/document-postings.ts';
import type { DublinCore } from '../../src/services/search/dublin-core.ts';
import type { SignedPosting } from '../../src/services/search/posting.ts';
import { intersect, parseQuery, rankMatches } from '../../src/services/search/query.ts';

export interface ReferenceDocument {
  readonly cid: string;
  readonly publisher: string;
  readonly metadata: DublinCore;
  /** The text, when it was published with --index-text. */
  readonly text: string | null;
}

export interface ReferenceAnswer {
  readonly matches: number;
  readonly hits: readonly { readonly cid: string; readonly score: number }[];
}

export class ReferenceIndex {
  private readonly byTerm = new Map<string, SignedPosting[]>();
  private documents = 0;
  private documentTerms = 0;

  add(document: ReferenceDocument): void {
    const terms = documentTermsOf(document.metadata, document.text);
    this.documents++;
    this.documentTerms += terms.documentTerms;
    for (const posting of postingsOfTerms(document.cid, document.publisher, terms, 0)) {
      const list = this.byTerm.get(posting.term);
      const signed = { posting, signature: new Uint8Array(64) };
      if (list === undefined) this.byTerm.set(posting.term, [signed]);
      else list.push(signed);
    }
  }

  search(words: string, fields: readonly string[], stem: boolean, limit: number): ReferenceAnswer {
    const parsed = parseQuery(words, fields, { stem });
    if (!parsed.ok) throw new Error(parsed.error);
    const terms = parsed.query.terms;
    const lists = terms.map((term) => this.byTerm.get(term.term) ?? []);
    const documentsWithTerm = terms.map((term, index) => new Set(lists[index].filter((signed) => (signed.posting.fields & term.fields) !== 0).map((signed) => signed.posting.cid)).size);
    const matches = intersect(terms, lists);
    const ranked = rankMatches(matches, documentsWithTerm, { documents: this.documents, averageDocumentTerms: this.documentTerms / this.documents }, limit);
    return { matches: matches.length, hits: ranked.map((match) => ({ cid: match.cid, score: match.score })) };
  }
}
