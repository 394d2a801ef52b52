/**
 * The two signed records of search besides postings (issue 7, items 1–2; docs/SEARCH.md):
 *
 * - a **document record**: publisher P describes content C with Dublin Core metadata, as of time U.
 *   The holders of C's terms keep one per (publisher, cid) beside the postings, so a search answers
 *   with each result's metadata from the same nodes it asked for postings (one `describe` request),
 *   rather than a lookup per result.
 * - a **withdrawal**: publisher P withdraws C as of time U. A holder drops P's postings and record
 *   for C published at or before U, and keeps the withdrawal (a tombstone) so that a replica that
 *   missed it cannot bring them back by repair.
 *
 * - a **publisher summary**: publisher P has published D documents of T terms in all, as of time U.
 *   The nodes closest to the corpus key hold one per publisher (corpus-summaries.ts); their sums
 *   are BM25's N and average document length (bm25.ts), which no term holder can know alone.
 *
 * All are signed by the publisher's node key over canonical dag-cbor with a purpose tag of their
 * own (as postings are, posting.ts), so no signature over one kind of record is valid for another.
 * Pure: signing and checking are the runtime's.
 */
import * as DagCbor from '@ipld/dag-cbor';
import { checkDublinCore, type DublinCore } from './dublin-core.ts';
import { postingProblem, PostingLimits } from './posting.ts';

export const DOCUMENT_SIGNING_PURPOSE = 'peergrid/search/document/1';
export const WITHDRAWAL_SIGNING_PURPOSE = 'peergrid/search/withdrawal/1';
export const SUMMARY_SIGNING_PURPOSE = 'peergrid/search/summary/1';

/** A publisher's totals: at most this many documents (a bound on what one publisher adds to N). */
export const SUMMARY_DOCUMENTS_MAX = 10_000_000;

export interface DocumentRecord {
  readonly cid: string;
  readonly publisher: string;
  readonly metadata: DublinCore;
  readonly publishedAtUnixMs: number;
}

export interface SignedDocumentRecord {
  readonly record: DocumentRecord;
  readonly signature: Uint8Array;
}

export interface Withdrawal {
  readonly cid: string;
  readonly publisher: string;
  readonly withdrawnAtUnixMs: number;
}

export interface SignedWithdrawal {
  readonly withdrawal: Withdrawal;
  readonly signature: Uint8Array;
}

export interface PublisherSummary {
  readonly publisher: string;
  /** Documents the publisher has published and not withdrawn. */
  readonly documents: number;
  /** Their lengths in terms, summed (each document's documentTerms). */
  readonly documentTerms: number;
  readonly publishedAtUnixMs: number;
}

export interface SignedSummary {
  readonly summary: PublisherSummary;
  readonly signature: Uint8Array;
}

export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/**
 * The cid, publisher and time of a record, checked as a posting's are (posting.ts): a placeholder
 * term and counts let postingProblem do it, so the rules live in one place.
 */
function identityProblem(cid: unknown, publisher: unknown, atUnixMs: unknown): string | null {
  return postingProblem({
    term: 'record', cid: cid as string, fields: 1, termCount: 1, documentTerms: 1, publisher: publisher as string, publishedAtUnixMs: atUnixMs as number,
  });
}

/** A valid CID for identityProblem when a record has none (a summary). */
const SUMMARY_PLACEHOLDER_CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';

function signatureProblem(signature: unknown): string | null {
  if (!(signature instanceof Uint8Array) || signature.length === 0) return 'signature is not bytes';
  if (signature.length > PostingLimits.signatureBytesMax) return `signature is longer than ${PostingLimits.signatureBytesMax} bytes`;
  return null;
}

/** The bytes a publisher signs for a document record. Throws RangeError for an invalid one. */
export function documentSigningBytes(record: DocumentRecord): Uint8Array {
  const problem = identityProblem(record.cid, record.publisher, record.publishedAtUnixMs);
  if (problem !== null) throw new RangeError(`cannot sign an invalid document record: ${problem}`);
  const metadata = checkDublinCore(record.metadata);
  if (!metadata.ok) throw new RangeError(`cannot sign an invalid document record: ${metadata.error}`);
  return DagCbor.encode({
    purpose: DOCUMENT_SIGNING_PURPOSE, cid: record.cid, publisher: record.publisher, metadata: metadata.metadata, publishedAtUnixMs: record.publishedAtUnixMs,
  });
}

/** The bytes a publisher signs for a withdrawal. Throws RangeError for an invalid one. */
export function withdrawalSigningBytes(withdrawal: Withdrawal): Uint8Array {
  const problem = identityProblem(withdrawal.cid, withdrawal.publisher, withdrawal.withdrawnAtUnixMs);
  if (problem !== null) throw new RangeError(`cannot sign an invalid withdrawal: ${problem.replace('publishedAtUnixMs', 'withdrawnAtUnixMs')}`);
  return DagCbor.encode({ purpose: WITHDRAWAL_SIGNING_PURPOSE, cid: withdrawal.cid, publisher: withdrawal.publisher, withdrawnAtUnixMs: withdrawal.withdrawnAtUnixMs });
}

function countsProblem(documents: unknown, documentTerms: unknown): string | null {
  if (typeof documents !== 'number' || !Number.isSafeInteger(documents) || documents < 0 || documents > SUMMARY_DOCUMENTS_MAX) {
    return `documents is not an integer from 0 to ${SUMMARY_DOCUMENTS_MAX}`;
  }
  const termsMax = documents * PostingLimits.documentTermsMax;
  if (typeof documentTerms !== 'number' || !Number.isSafeInteger(documentTerms) || documentTerms < documents || documentTerms > termsMax) {
    return 'documentTerms is not an integer from documents to documents × PostingLimits.documentTermsMax';
  }
  return null;
}

/** The bytes a publisher signs for its summary. Throws RangeError for an invalid one. */
export function summarySigningBytes(summary: PublisherSummary): Uint8Array {
  const problem = identityProblem(SUMMARY_PLACEHOLDER_CID, summary.publisher, summary.publishedAtUnixMs) ?? countsProblem(summary.documents, summary.documentTerms);
  if (problem !== null) throw new RangeError(`cannot sign an invalid summary: ${problem}`);
  return DagCbor.encode({
    purpose: SUMMARY_SIGNING_PURPOSE, publisher: summary.publisher, documents: summary.documents, documentTerms: summary.documentTerms, publishedAtUnixMs: summary.publishedAtUnixMs,
  });
}

export function summaryToCbor(signed: SignedSummary): Record<string, unknown> {
  return { ...signed.summary, signature: signed.signature };
}

const SUMMARY_KEYS = ['publisher', 'documents', 'documentTerms', 'publishedAtUnixMs', 'signature'] as const;

/** Reads a signed summary from a peer; never throws. The signature is the caller's to verify. */
export function summaryFromCbor(value: unknown): Read<SignedSummary> {
  if (!isMap(value)) return { ok: false, error: 'a summary is not a map' };
  const problem = extraKey(value, SUMMARY_KEYS) ?? identityProblem(SUMMARY_PLACEHOLDER_CID, value.publisher, value.publishedAtUnixMs) ??
    countsProblem(value.documents, value.documentTerms) ?? signatureProblem(value.signature);
  if (problem !== null) return { ok: false, error: `a summary: ${problem}` };
  const summary: PublisherSummary = {
    publisher: value.publisher as string, documents: value.documents as number, documentTerms: value.documentTerms as number, publishedAtUnixMs: value.publishedAtUnixMs as number,
  };
  return { ok: true, value: { summary, signature: (value.signature as Uint8Array).slice() } };
}

/** A signed document record as a dag-cbor value inside a message. */
export function documentToCbor(signed: SignedDocumentRecord): Record<string, unknown> {
  const { record } = signed;
  return { cid: record.cid, publisher: record.publisher, metadata: record.metadata, publishedAtUnixMs: record.publishedAtUnixMs, signature: signed.signature };
}

/** A signed withdrawal as a dag-cbor value inside a message. */
export function withdrawalToCbor(signed: SignedWithdrawal): Record<string, unknown> {
  const { withdrawal } = signed;
  return { cid: withdrawal.cid, publisher: withdrawal.publisher, withdrawnAtUnixMs: withdrawal.withdrawnAtUnixMs, signature: signed.signature };
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function extraKey(value: Record<string, unknown>, allowed: readonly string[]): string | null {
  const extra = Object.keys(value).find((key) => !allowed.includes(key));
  return extra === undefined ? null : `unknown key ${JSON.stringify(extra.slice(0, 24))}`;
}

const DOCUMENT_KEYS = ['cid', 'publisher', 'metadata', 'publishedAtUnixMs', 'signature'] as const;
const WITHDRAWAL_KEYS = ['cid', 'publisher', 'withdrawnAtUnixMs', 'signature'] as const;

/** Reads a signed document record from a peer; never throws. The signature is the caller's to verify. */
export function documentFromCbor(value: unknown): Read<SignedDocumentRecord> {
  if (!isMap(value)) return { ok: false, error: 'a document record is not a map' };
  const problem = extraKey(value, DOCUMENT_KEYS) ?? identityProblem(value.cid, value.publisher, value.publishedAtUnixMs) ?? signatureProblem(value.signature);
  if (problem !== null) return { ok: false, error: `a document record: ${problem}` };
  const metadata = checkDublinCore(value.metadata);
  if (!metadata.ok) return { ok: false, error: `a document record: ${metadata.error}` };
  const record: DocumentRecord = { cid: value.cid as string, publisher: value.publisher as string, metadata: metadata.metadata, publishedAtUnixMs: value.publishedAtUnixMs as number };
  return { ok: true, value: { record, signature: (value.signature as Uint8Array).slice() } };
}

/** Reads a signed withdrawal from a peer; never throws. The signature is the caller's to verify. */
export function withdrawalFromCbor(value: unknown): Read<SignedWithdrawal> {
  if (!isMap(value)) return { ok: false, error: 'a withdrawal is not a map' };
  // Only the time check's wording is renamed: an unknown key must be named as it was sent.
  const problem = extraKey(value, WITHDRAWAL_KEYS) ??
    identityProblem(value.cid, value.publisher, value.withdrawnAtUnixMs)?.replace('publishedAtUnixMs', 'withdrawnAtUnixMs') ??
    signatureProblem(value.signature);
  if (problem !== null) return { ok: false, error: `a withdrawal: ${problem}` };
  const withdrawal: Withdrawal = { cid: value.cid as string, publisher: value.publisher as string, withdrawnAtUnixMs: value.withdrawnAtUnixMs as number };
  return { ok: true, value: { withdrawal, signature: (value.signature as Uint8Array).slice() } };
}
