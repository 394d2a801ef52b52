/** Shared helpers for the search tests: valid-looking CIDs, peer ids and signed records. */
import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import type { DublinCore } from '../../../src/services/search/dublin-core.ts';
import { DublinCoreField } from '../../../src/services/search/dublin-core.ts';
import type {
  DocumentRecord, PublisherSummary, SignedDocumentRecord, SignedSummary, SignedWithdrawal, Withdrawal,
} from '../../../src/services/search/document-record.ts';
import type { Posting, SignedPosting } from '../../../src/services/search/posting.ts';

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** A canonical CIDv1 (raw, sha-256) of `text`. */
export function cidOf(text: string): string {
  return CID.createV1(0x55, Digest.create(0x12, createHash('sha256').update(text).digest())).toString();
}

/** A peer id shaped like an Ed25519 one (52 characters), distinct for each name. */
export function peerOf(name: string): string {
  const digest = createHash('sha256').update(name).digest();
  let tail = '';
  for (let i = 0; i < 44; i++) tail += BASE58[digest[i % digest.length] % 58 ^ (i % 3)];
  return `12D3KooW${tail}`;
}

export const A = peerOf('a');
export const B = peerOf('b');
export const C = peerOf('c');

/** A time in the range the tests use as "now". */
export const NOW = 1_790_000_000_000;

/** A dummy signature: these modules treat signatures as opaque bytes. */
export function signature(fill = 7, length = 64): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

export function postingOf(overrides: Partial<Posting> = {}): Posting {
  return {
    term: 'grid',
    cid: cidOf('doc'),
    fields: DublinCoreField.title | DublinCoreField.subject,
    termCount: 2,
    documentTerms: 40,
    publisher: A,
    publishedAtUnixMs: NOW,
    ...overrides,
  };
}

export function signedPosting(overrides: Partial<Posting> = {}, bytes: Uint8Array = signature()): SignedPosting {
  return { posting: postingOf(overrides), signature: bytes };
}

export const METADATA: DublinCore = { title: ['Peer-to-peer grids'], creator: ['Jon Crowcroft'], subject: ['grid', 'p2p'] };

export function documentRecordOf(overrides: Partial<DocumentRecord> = {}): DocumentRecord {
  return { cid: cidOf('doc'), publisher: A, metadata: METADATA, publishedAtUnixMs: NOW, ...overrides };
}

export function signedDocument(overrides: Partial<DocumentRecord> = {}, bytes: Uint8Array = signature()): SignedDocumentRecord {
  return { record: documentRecordOf(overrides), signature: bytes };
}

export function withdrawalOf(overrides: Partial<Withdrawal> = {}): Withdrawal {
  return { cid: cidOf('doc'), publisher: A, withdrawnAtUnixMs: NOW, ...overrides };
}

export function signedWithdrawal(overrides: Partial<Withdrawal> = {}, bytes: Uint8Array = signature()): SignedWithdrawal {
  return { withdrawal: withdrawalOf(overrides), signature: bytes };
}

export function summaryOf(overrides: Partial<PublisherSummary> = {}): PublisherSummary {
  return { publisher: A, documents: 10, documentTerms: 400, publishedAtUnixMs: NOW, ...overrides };
}

export function signedSummary(overrides: Partial<PublisherSummary> = {}, bytes: Uint8Array = signature()): SignedSummary {
  return { summary: summaryOf(overrides), signature: bytes };
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
