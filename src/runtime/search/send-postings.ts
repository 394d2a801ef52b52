/**
 * One node's share of a delivery (deliver.ts): postings in publish requests of at most a page
 * (128) each, with the document records of their CIDs (at most 64 a request), and which postings
 * the node holds afterwards — those it accepted, and those it already held.
 */
import type { SignedDocumentRecord } from '../../services/search/document-record.ts';
import { encodePostingPage, PostingLimits, type SignedPosting } from '../../services/search/posting.ts';
import { SearchLimits } from '../../services/search/search-messages.ts';
import type { IndexNode } from './index-nodes.ts';
import { SearchProtocolError, type SearchClient } from './search-client.ts';

/** A refusal that means the node holds the posting already. */
const ALREADY_HELD = /^repeats a posting already held/;

export async function sendPostings(
  client: SearchClient, node: IndexNode, postings: readonly SignedPosting[], recordsOf: (cid: string) => readonly SignedDocumentRecord[],
): Promise<boolean[]> {
  const held: boolean[] = [];
  let start = 0;
  while (start < postings.length) {
    const cids = new Set<string>();
    let end = start;
    while (end < postings.length && end - start < PostingLimits.postingsPerPageMax) {
      const cid = postings[end].posting.cid;
      if (!cids.has(cid) && cids.size >= SearchLimits.documentsPerRequestMax) break;
      cids.add(cid);
      end++;
    }
    const chunk = postings.slice(start, end);
    // One page may not repeat a (term, publisher, cid): callers never send one twice.
    const documents = [...cids].flatMap((cid) => recordsOf(cid)).slice(0, SearchLimits.documentsPerRequestMax);
    const answer = await client.ask(node.target, { kind: 'publish', page: encodePostingPage(chunk, null), documents });
    if (answer.kind !== 'published') throw new SearchProtocolError(`a ${answer.kind} answer to publish${answer.kind === 'refused' ? `: ${answer.message}` : ''}`);
    const refused = new Map(answer.refused.map((refusal) => [refusal.index, refusal.reason]));
    chunk.forEach((_, index) => {
      const reason = refused.get(index);
      held.push(reason === undefined || ALREADY_HELD.test(reason));
    });
    start = end;
  }
  return held;
}
