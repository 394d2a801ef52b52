/**
 * Where the index lives in the key space (docs/SEARCH.md): a term's postings on the nodes closest
 * to SHA-256 of its name under a domain tag, so that a term's key never collides with a block's or
 * a job's; the publishers' summaries on the nodes closest to one fixed key.
 */
import { createHash } from 'node:crypto';
import { idFromBytes, type Id } from '../../core/id.ts';

const TERM_TAG = 'peergrid/search/term/1\n';

/** The key of `term`'s posting list (a term, or `~` and a stem). */
export function termKey(term: string): Id {
  return idFromBytes(new Uint8Array(createHash('sha256').update(TERM_TAG).update(term, 'utf8').digest()));
}

/** The key whose closest nodes hold the publishers' summaries (corpus-summaries.ts). */
export const CORPUS_KEY: Id = idFromBytes(new Uint8Array(createHash('sha256').update('peergrid/search/corpus/1').digest()));
