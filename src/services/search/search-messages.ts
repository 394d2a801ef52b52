/**
 * The search protocol's messages (issue 7; docs/SEARCH.md, "On the network"): request/response over
 * `/peergrid/search/1.0.0`, one request per stream, each message one dag-cbor map with a `kind`, as
 * the compute protocol's are (compute-messages.ts). Every request concerns the lists a node holds
 * because it is among the nodes closest to hash(term).
 *
 *   request     from                   answered by
 *   publish     a publisher, a holder   published     a page of signed postings and the signed
 *               repairing a replica                   document records of their CIDs
 *   withdraw    a publisher, a holder   withdrawn     signed withdrawals (tombstones)
 *   count       a searcher, a holder    counted       n(t) for a term and fields, and a digest of
 *                                                     the whole list (repair compares digests)
 *   digests     a holder repairing      digested      for each of up to 1,024 terms, the size and
 *                                                     digest of the list held: one request per
 *                                                     node a repair round compares lists with
 *   summarize   a publisher, a holder   summarized    publishers' signed summaries (to the nodes
 *                                                     closest to the corpus key)
 *   corpus      a searcher              corpus        the sums of the summaries held: BM25's N
 *                                                     and average document length
 *   filter      a searcher              filtered      a Bloom filter of the term's CIDs (Reynolds &
 *                                                     Vahdat's first step, rarest term first)
 *   postings    a searcher, a holder    postings      a page of the term's postings, only those a
 *                                                     Bloom filter or a list of CIDs admits; paged
 *   describe    a searcher              described     document records for CIDs
 *
 * Decoders never throw: every field is read through CborRecord with a bound, and postings and
 * records through their own checking readers; a problem comes back as `{ ok: false, error }` and
 * the server penalises the sender. Encoders trust their input.
 */
import * as DagCbor from '@ipld/dag-cbor';
import { CborRecord, FieldProblem } from '../../wire/cbor-record.ts';
import {
  documentFromCbor, documentToCbor, summaryFromCbor, summaryToCbor, withdrawalFromCbor, withdrawalToCbor,
  type SignedDocumentRecord, type SignedSummary, type SignedWithdrawal,
} from './document-record.ts';
import type { CorpusTotals } from './corpus-summaries.ts';
import { POSTING_ALL_FIELDS, PostingLimits } from './posting.ts';
import { isIndexTerm, STEM_MARK, TermLimits } from './terms.ts';

export const SEARCH_PROTOCOL = '/peergrid/search/1.0.0';

export const SearchLimits = {
  /** A request or answer: a page of postings (≤ 60 KiB) with up to documentsPerRequestMax records (≤ 8 KiB of metadata each). */
  messageBytesMax: 1024 * 1024,
  /** Document records in one publish or describe. */
  documentsPerRequestMax: 64,
  /** Publisher summaries in one summarize request. */
  summariesPerRequestMax: 1024,
  /** Withdrawals in one request. */
  withdrawalsPerRequestMax: 256,
  /** CIDs named in one postings or describe request. */
  cidsPerRequestMax: 256,
  /** Terms in one digests request (about 70 KiB of terms at most), and lists in its answer. */
  termsPerDigestsMax: 1024,
  /** A Bloom filter in a message: a full term list (16,384 CIDs) at 0.1% is 29 KiB. */
  bloomBytesMax: 256 * 1024,
  /** Refusal reasons in a published answer (one per refused posting or record). */
  refusalsPerAnswerMax: PostingLimits.postingsPerPageMax + 64,
  textBytesMax: 1024,
} as const;

export const SearchRefusal = { invalid: 'invalid', busy: 'busy', unavailable: 'unavailable' } as const;
export type SearchRefusal = (typeof SearchRefusal)[keyof typeof SearchRefusal];

export interface IndexedRefusal {
  readonly index: number;
  readonly reason: string;
}

export type SearchRequest =
  | { readonly kind: 'publish'; readonly page: Uint8Array; readonly documents: readonly SignedDocumentRecord[] }
  | { readonly kind: 'withdraw'; readonly withdrawals: readonly SignedWithdrawal[] }
  | { readonly kind: 'count'; readonly term: string; readonly fields: number }
  | { readonly kind: 'digests'; readonly terms: readonly string[] }
  | { readonly kind: 'filter'; readonly term: string; readonly fields: number; readonly falsePositiveRate: number }
  | {
    readonly kind: 'postings'; readonly term: string; readonly fields: number;
    /** Only postings whose CID this Bloom filter (bloom-filter.ts encoding) admits; null for no filter. */
    readonly filter: Uint8Array | null;
    /** Only postings of these CIDs; null for no list. */
    readonly cids: readonly string[] | null;
    readonly cursor: string | null;
  }
  | { readonly kind: 'describe'; readonly cids: readonly string[] }
  | { readonly kind: 'summarize'; readonly summaries: readonly SignedSummary[] }
  | { readonly kind: 'corpus' };

export type SearchResponse =
  | {
    readonly kind: 'published';
    readonly accepted: number; readonly refused: readonly IndexedRefusal[];
    readonly documentsAccepted: number; readonly documentsRefused: readonly IndexedRefusal[];
  }
  | { readonly kind: 'withdrawn'; readonly postingsRemoved: number; readonly documentsRemoved: number }
  | {
    readonly kind: 'counted'; readonly documents: number;
    /** The holder's whole list of the term: its postings, and their digest (TermHolder.digest). */
    readonly postings: number; readonly digest: number;
  }
  /** One entry per term asked, in the same order: what `counted` says of the whole list. */
  | { readonly kind: 'digested'; readonly lists: readonly ListDigest[] }
  | { readonly kind: 'summarized'; readonly accepted: number; readonly refused: readonly IndexedRefusal[] }
  | { readonly kind: 'corpus'; readonly totals: CorpusTotals }
  | { readonly kind: 'filtered'; readonly documents: number; readonly bloom: Uint8Array }
  /** A posting page (posting.ts encoding): its `next` cursor asks for the following one. */
  | { readonly kind: 'postings'; readonly page: Uint8Array }
  | { readonly kind: 'described'; readonly documents: readonly SignedDocumentRecord[] }
  | { readonly kind: 'refused'; readonly reason: SearchRefusal; readonly message: string };

/** A holder's whole list of a term: its postings, and their digest (TermHolder.digest); 0 and the empty list's digest when it holds none. */
export interface ListDigest {
  readonly postings: number;
  readonly digest: number;
}

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const REQUEST_KINDS = ['publish', 'withdraw', 'count', 'digests', 'filter', 'postings', 'describe', 'summarize', 'corpus'] as const;
const RESPONSE_KINDS = ['published', 'withdrawn', 'counted', 'digested', 'summarized', 'corpus', 'filtered', 'postings', 'described', 'refused'] as const;

export function encodeSearchMessage(message: SearchRequest | SearchResponse): Uint8Array {
  return DagCbor.encode(toCbor(message));
}

/** The longest kind a newer version's request is taken to have; anything longer is not one. */
const KIND_CHARS_MAX = 32;

/**
 * Whether `bytes` are a dag-cbor map whose kind is text but neither a request nor an answer of
 * this version: most likely a newer peer's request (as `digests` is to a node of an earlier
 * version), which a server refuses without blame. An answer sent as a request is no such thing.
 */
export function isUnknownSearchRequestKind(bytes: Uint8Array): boolean {
  if (bytes.length > SearchLimits.messageBytesMax) return false;
  let value: unknown;
  try {
    value = DagCbor.decode(bytes);
  } catch {
    return false;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) return false;
  const kind = (value as { readonly kind?: unknown }).kind;
  if (typeof kind !== 'string' || kind.length === 0 || kind.length > KIND_CHARS_MAX) return false;
  return !(REQUEST_KINDS as readonly string[]).includes(kind) && !(RESPONSE_KINDS as readonly string[]).includes(kind);
}

export function decodeSearchRequest(bytes: Uint8Array): Decoded<SearchRequest> {
  return decodeWith(bytes, (record) => readRequest(record, record.oneOf('kind', REQUEST_KINDS)));
}

export function decodeSearchResponse(bytes: Uint8Array): Decoded<SearchResponse> {
  return decodeWith(bytes, (record) => readResponse(record, record.oneOf('kind', RESPONSE_KINDS)));
}

function decodeWith<T>(bytes: Uint8Array, read: (record: CborRecord) => T): Decoded<T> {
  if (bytes.length > SearchLimits.messageBytesMax) return { ok: false, error: `message of ${bytes.length} bytes, over ${SearchLimits.messageBytesMax}` };
  let value: unknown;
  try {
    value = DagCbor.decode(bytes);
  } catch (error) {
    return { ok: false, error: `not dag-cbor: ${(error as Error).message.slice(0, 120)}` };
  }
  try {
    return { ok: true, value: read(new CborRecord(value, '')) };
  } catch (error) {
    if (error instanceof FieldProblem) return { ok: false, error: error.message };
    return { ok: false, error: 'the message could not be read' };
  }
}

function readRequest(record: CborRecord, kind: (typeof REQUEST_KINDS)[number]): SearchRequest {
  switch (kind) {
    case 'publish': return {
      kind, page: record.bytes('page', PostingLimits.pageBytesMax),
      documents: record.list('documents', SearchLimits.documentsPerRequestMax, readDocument),
    };
    case 'withdraw': return { kind, withdrawals: record.list('withdrawals', SearchLimits.withdrawalsPerRequestMax, readWithdrawal) };
    case 'count': return { kind, term: readTerm(record), fields: readFields(record) };
    case 'digests': return { kind, terms: record.list('terms', SearchLimits.termsPerDigestsMax, readListedTerm) };
    case 'filter': return { kind, term: readTerm(record), fields: readFields(record), falsePositiveRate: record.number('falsePositiveRate', 1e-6, 0.5) };
    case 'postings': return {
      kind, term: readTerm(record), fields: readFields(record),
      filter: record.bytesOrNull('filter', SearchLimits.bloomBytesMax),
      cids: record.has('cids') ? readCids(record) : null,
      cursor: record.textOrNull('cursor', PostingLimits.cursorBytesMax),
    };
    case 'describe': return { kind, cids: readCids(record) };
    case 'summarize': return { kind, summaries: record.list('summaries', SearchLimits.summariesPerRequestMax, readSummary) };
    case 'corpus': return { kind };
  }
}

function readResponse(record: CborRecord, kind: (typeof RESPONSE_KINDS)[number]): SearchResponse {
  const count = (name: string): number => record.integer(name, 0, Number.MAX_SAFE_INTEGER);
  switch (kind) {
    case 'published': return {
      kind, accepted: count('accepted'), refused: record.list('refused', SearchLimits.refusalsPerAnswerMax, readRefusal),
      documentsAccepted: count('documentsAccepted'), documentsRefused: record.list('documentsRefused', SearchLimits.refusalsPerAnswerMax, readRefusal),
    };
    case 'withdrawn': return { kind, postingsRemoved: count('postingsRemoved'), documentsRemoved: count('documentsRemoved') };
    case 'counted': return { kind, documents: count('documents'), postings: count('postings'), digest: record.integer('digest', 0, 0xffff_ffff) };
    case 'digested': return { kind, lists: record.list('lists', SearchLimits.termsPerDigestsMax, readListDigest) };
    case 'summarized': return { kind, accepted: count('accepted'), refused: record.list('refused', SearchLimits.summariesPerRequestMax, readRefusal) };
    case 'corpus': {
      const totals = record.record('totals');
      const total = (name: string): number => totals.integer(name, 0, Number.MAX_SAFE_INTEGER);
      return { kind, totals: { publishers: total('publishers'), documents: total('documents'), documentTerms: total('documentTerms') } };
    }
    case 'filtered': return { kind, documents: count('documents'), bloom: record.bytes('bloom', SearchLimits.bloomBytesMax) };
    case 'postings': return { kind, page: record.bytes('page', PostingLimits.pageBytesMax) };
    case 'described': return { kind, documents: record.list('documents', SearchLimits.cidsPerRequestMax, readDocument) };
    case 'refused': return { kind, reason: record.oneOf('reason', Object.values(SearchRefusal)), message: record.text('message', SearchLimits.textBytesMax) };
  }
}

function readTerm(record: CborRecord): string {
  const term = record.text('term', TermLimits.termBytesMax + STEM_MARK.length);
  if (!isIndexTerm(term)) throw new FieldProblem('term: not a term (folded, one word, not a stopword; or ~ and a stem)');
  return term;
}

function readListedTerm(item: unknown, path: string): string {
  if (typeof item !== 'string' || item.length > TermLimits.termBytesMax + STEM_MARK.length || !isIndexTerm(item)) throw new FieldProblem(`${path}: not a term`);
  return item;
}

function readListDigest(item: unknown, path: string): ListDigest {
  const record = new CborRecord(item, path);
  return { postings: record.integer('postings', 0, Number.MAX_SAFE_INTEGER), digest: record.integer('digest', 0, 0xffff_ffff) };
}

function readFields(record: CborRecord): number {
  const fields = record.integer('fields', 1, POSTING_ALL_FIELDS);
  if ((fields & ~POSTING_ALL_FIELDS) !== 0) throw new FieldProblem('fields: not a set of DublinCoreField and PostingField bits');
  return fields;
}

function readCids(record: CborRecord): string[] {
  return record.list('cids', SearchLimits.cidsPerRequestMax, (item, path) => {
    if (typeof item !== 'string' || item.length === 0 || item.length > PostingLimits.cidBytesMax) throw new FieldProblem(`${path}: not a CID`);
    return item;
  });
}

function readDocument(item: unknown, path: string): SignedDocumentRecord {
  const read = documentFromCbor(item);
  if (!read.ok) throw new FieldProblem(`${path}: ${read.error}`);
  return read.value;
}

function readWithdrawal(item: unknown, path: string): SignedWithdrawal {
  const read = withdrawalFromCbor(item);
  if (!read.ok) throw new FieldProblem(`${path}: ${read.error}`);
  return read.value;
}

function readSummary(item: unknown, path: string): SignedSummary {
  const read = summaryFromCbor(item);
  if (!read.ok) throw new FieldProblem(`${path}: ${read.error}`);
  return read.value;
}

function readRefusal(item: unknown, path: string): IndexedRefusal {
  const record = new CborRecord(item, path);
  return { index: record.integer('index', 0, Number.MAX_SAFE_INTEGER), reason: record.text('reason', SearchLimits.textBytesMax) };
}

/** The message as a dag-cbor value: records flattened, no undefined (dag-cbor refuses it). */
function toCbor(message: SearchRequest | SearchResponse): Record<string, unknown> {
  switch (message.kind) {
    case 'publish': return { kind: message.kind, page: message.page, documents: message.documents.map(documentToCbor) };
    case 'described': return { kind: message.kind, documents: message.documents.map(documentToCbor) };
    case 'withdraw': return { kind: message.kind, withdrawals: message.withdrawals.map(withdrawalToCbor) };
    case 'published': return {
      ...message, refused: message.refused.map((refusal) => ({ ...refusal })), documentsRefused: message.documentsRefused.map((refusal) => ({ ...refusal })),
    };
    case 'summarize': return { kind: message.kind, summaries: message.summaries.map(summaryToCbor) };
    case 'summarized': return { ...message, refused: message.refused.map((refusal) => ({ ...refusal })) };
    case 'corpus': return 'totals' in message ? { kind: message.kind, totals: { ...message.totals } } : { kind: message.kind };
    case 'postings': return 'page' in message ? { kind: message.kind, page: message.page } : { ...message, cids: message.cids === null ? null : [...message.cids] };
    case 'describe': return { kind: message.kind, cids: [...message.cids] };
    case 'digests': return { kind: message.kind, terms: [...message.terms] };
    case 'digested': return { kind: message.kind, lists: message.lists.map((list) => ({ postings: list.postings, digest: list.digest })) };
    default: return { ...message };
  }
}
