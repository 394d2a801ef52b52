/**
 * Search postings (issue 7, item 1; docs/SEARCH.md, "The design still to build", 1): the entries of
 * the inverted index that the nodes closest to hash(term) hold. A posting says: publisher P says
 * content C contains term T, in the fields F of its metadata (or its text), T times, in a document
 * of D terms in all, as of time U. It is signed by P's node key, so a holder, a searcher and any
 * replica can check who said it. Postings are kept small: the metadata itself travels with the
 * content and is fetched from there, not copied into every term's list.
 *
 * Pure: this module defines the record, the bytes a publisher signs (postingSigningBytes), a page
 * of signed postings as it travels between nodes (encodePostingPage / decodePostingPage), and the
 * admission policy of a holder (admitPostings). Signing and checking signatures are not here: they
 * are the runtime's (IO-side crypto: the publisher's Ed25519 key, the public key inside the
 * publisher's peer id). A holder must check each posting's signature against its publisher before
 * it calls admitPostings; admitPostings trusts that the postings it is given are genuine.
 *
 * ## A posting's fields
 *
 * - `term`: an index term, as isTerm (terms.ts) accepts it: folded, one word, not a stopword.
 * - `cid`: the content, a CIDv1 in its canonical string form (base32, what CID#toString gives),
 *   so one CID has one spelling and dedupe by CID cannot be dodged by re-spelling it.
 * - `fields`: where in the document the term occurs, a bitmask: the DublinCoreField bits
 *   (dublin-core.ts, bits 0–14) and PostingField.textBody (bit 15) for the document's own text
 *   (`peergrid put --index-text`). Non-zero, and no other bit.
 * - `termCount`: how often the term occurs (tf for BM25), 1 … termCountMax.
 * - `documentTerms`: the document's length in terms, all occurrences of all terms (|D| for BM25),
 *   at least termCount, at most documentTermsMax. Not the number of distinct terms the document
 *   publishes: that is capped by termsPerDocumentMax on the publisher's side (a holder sees one
 *   term's list and cannot count it).
 * - `publisher`: the libp2p peer id of the publishing node as a string (base58btc, 40–64
 *   characters; only the length and the alphabet are checked here — the runtime derives the key).
 * - `publishedAtUnixMs`: when it was published; a newer posting from the same publisher for the
 *   same term and CID replaces an older one.
 *
 * ## Signing bytes
 *
 * postingSigningBytes: dag-cbor (canonical: map keys sorted, integers minimal) of the map
 * { purpose: 'peergrid/search/posting/1', term, cid, fields, termCount, documentTerms, publisher,
 * publishedAtUnixMs }, every value as in the posting (the CID as its string). The purpose is a
 * domain-separation tag: the same key signs compute reports and receipts (receipts.ts), whose
 * payloads carry other purposes, so a signature over one kind of record is never valid for another.
 *
 * ## A page, version 1
 *
 * A page is the dag-cbor map
 *
 *   { version: 1, postings: [entry, …], next: cursor | null }
 *
 * with at most postingsPerPageMax entries and `next` an opaque cursor the holder gives for the
 * following page (1 … cursorBytesMax printable ASCII characters), or null on the last page. Each
 * entry is a map with one-letter keys, to keep pages small (a key costs 2 bytes instead of up to 18):
 *
 *   key  field                type
 *   t    term                 text
 *   c    cid                  text
 *   f    fields               unsigned integer
 *   n    termCount            unsigned integer
 *   d    documentTerms        unsigned integer
 *   p    publisher            text
 *   u    publishedAtUnixMs    unsigned integer
 *   s    signature            bytes, 1 … signatureBytesMax (64 for Ed25519)
 *
 * Every key is required and no other is allowed, in the page or in an entry; one page repeats no
 * (term, publisher, cid). The whole page is at most pageBytesMax bytes, and must be in canonical
 * dag-cbor form (decoding and re-encoding gives the same bytes), so every page has one encoding.
 * The limits guarantee that any postingsPerPageMax valid postings fit (checked when this module
 * loads), and pageBytesMax stays under 64 KiB, so a page fits in a DHT value or one message.
 *
 * decodePostingPage never throws, whatever bytes it is given: a bad page is `{ ok: false, error }`
 * with the first problem found, naming the entry ("posting 3: term is not a term"; entries are
 * numbered from 0). encodePostingPage refuses (RangeError) to write anything it would not read.
 */
import * as DagCbor from '@ipld/dag-cbor';
import { CID } from 'multiformats/cid';
import { Limits } from '../../core/limits.ts';
import { DUBLIN_CORE_ALL_FIELDS } from './dublin-core.ts';
import { STEM_MARK, TermLimits, compareTerms, isIndexTerm } from './terms.ts';

export interface Posting {
  readonly term: string;
  /** A CIDv1 in canonical string form (base32). */
  readonly cid: string;
  /** DublinCoreField bits, and PostingField.textBody for the document's text. */
  readonly fields: number;
  /** Occurrences of the term in the document (tf). */
  readonly termCount: number;
  /** The document's length in terms, all occurrences (|D|); at least termCount. */
  readonly documentTerms: number;
  /** The publisher's libp2p peer id (base58btc). */
  readonly publisher: string;
  readonly publishedAtUnixMs: number;
}

export interface SignedPosting {
  readonly posting: Posting;
  /** The publisher's signature over postingSigningBytes(posting). */
  readonly signature: Uint8Array;
}

export interface PostingPage {
  readonly postings: readonly SignedPosting[];
  /** The cursor for the next page, or null on the last. */
  readonly next: string | null;
}

export type PostingPageResult = { readonly ok: true; readonly page: PostingPage } | { readonly ok: false; readonly error: string };

/**
 * Bits of a posting's `fields` beyond the Dublin Core elements' (bits 0–14). Part of the data
 * format: never renumber.
 */
export const PostingField = {
  /** The term comes from the document's own text (`peergrid put --index-text`), not its metadata. */
  textBody: 1 << 15,
} as const;

/** Every bit a posting's `fields` may have. */
export const POSTING_ALL_FIELDS = DUBLIN_CORE_ALL_FIELDS | PostingField.textBody;

export const PostingLimits = {
  /** A CID's string: a CIDv1 of a SHA-256 multihash in base32 is 59 characters; room for larger hashes. */
  cidBytesMax: 128,
  /** A peer id's string, shortest: an RSA peer id ("Qm…") is 46 characters, Ed25519 ("12D3KooW…") 52. */
  publisherCharsMin: 40,
  /** A peer id's string, longest. */
  publisherBytesMax: 64,
  /** Occurrences of a term in one document (fits in 32 bits; BM25 saturates long before). */
  termCountMax: 0xffff_ffff,
  /** A document's length in terms. */
  documentTermsMax: 0xffff_ffff,
  /** A signature: 64 bytes for Ed25519, room for other key types. */
  signatureBytesMax: 128,
  /** A page's `next` cursor, printable ASCII. */
  cursorBytesMax: 128,
  /** Postings in one page: the most the byte limit below holds in the worst case. */
  postingsPerPageMax: 128,
  /** One encoded page: under 64 KiB (Limits.valueBytesMax), leaving room for a message's envelope. */
  pageBytesMax: 60 * 1024,
  /** Postings one publisher has in one term's list: a flood of postings from one publisher is cut here. */
  postingsPerPublisherPerTermMax: 4096,
  /** Postings in one term's list at one holder, shared among publishers in turn (admitPostings). */
  postingsPerTermMax: 16_384,
  /** Distinct terms a publisher posts for one document: enforced by the publisher (indexTermsOf, topTerms). */
  termsPerDocumentMax: TermLimits.termsPerDocumentMax,
} as const;

/** The format version of a page this code writes and the only one it reads. */
export const POSTING_PAGE_VERSION = 1;

/** The domain-separation tag of a posting's signing bytes. */
export const POSTING_SIGNING_PURPOSE = 'peergrid/search/posting/1';

/** An entry's keys, each with the Posting field it holds ('s' is the signature). */
const ENTRY_KEYS = {
  t: 'term',
  c: 'cid',
  f: 'fields',
  n: 'termCount',
  d: 'documentTerms',
  p: 'publisher',
  u: 'publishedAtUnixMs',
  s: 'signature',
} as const;
type EntryKey = keyof typeof ENTRY_KEYS;
const ENTRY_KEY_LIST = Object.keys(ENTRY_KEYS) as EntryKey[];
const PAGE_KEYS = ['version', 'postings', 'next'] as const;

/** Bytes of a CBOR head (major type and argument) for the argument `value`. */
function cborHeadBytes(value: number): number {
  if (value < 24) return 1;
  if (value < 0x100) return 2;
  if (value < 0x1_0000) return 3;
  if (value < 0x1_0000_0000) return 5;
  return 9;
}

/** Bytes of a CBOR text or byte string of `length` bytes. */
function cborStringBytes(length: number): number {
  return cborHeadBytes(length) + length;
}

/** The largest entry the limits allow, encoded. */
const largestEntryBytes =
  cborHeadBytes(ENTRY_KEY_LIST.length) +
  ENTRY_KEY_LIST.reduce((sum, key) => sum + cborStringBytes(key.length), 0) +
  cborStringBytes(TermLimits.termBytesMax + STEM_MARK.length) +
  cborStringBytes(PostingLimits.cidBytesMax) +
  cborHeadBytes(POSTING_ALL_FIELDS) +
  cborHeadBytes(PostingLimits.termCountMax) +
  cborHeadBytes(PostingLimits.documentTermsMax) +
  cborStringBytes(PostingLimits.publisherBytesMax) +
  cborHeadBytes(Number.MAX_SAFE_INTEGER) +
  cborStringBytes(PostingLimits.signatureBytesMax);

/** The largest page the limits allow, encoded: postingsPerPageMax of the largest entry and the longest cursor. */
export const LARGEST_POSTING_PAGE_BYTES =
  cborHeadBytes(PAGE_KEYS.length) +
  cborStringBytes('version'.length) + cborHeadBytes(POSTING_PAGE_VERSION) +
  cborStringBytes('postings'.length) + cborHeadBytes(PostingLimits.postingsPerPageMax) + PostingLimits.postingsPerPageMax * largestEntryBytes +
  cborStringBytes('next'.length) + cborStringBytes(PostingLimits.cursorBytesMax);

/**
 * The format only works if any page of valid postings the limits allow fits in pageBytesMax (or the
 * encoder would write pages no node reads) and pageBytesMax fits in a DHT value (under 64 KiB).
 * Checked once, when the module loads, so an edit of the limits that breaks this fails at once.
 */
function assertLimitsFitFormat(): void {
  if ((PostingField.textBody & DUBLIN_CORE_ALL_FIELDS) !== 0) throw new RangeError('PostingField.textBody overlaps a Dublin Core bit');
  if (LARGEST_POSTING_PAGE_BYTES > PostingLimits.pageBytesMax) {
    throw new RangeError(`the largest page the limits allow (${LARGEST_POSTING_PAGE_BYTES} bytes) does not fit in PostingLimits.pageBytesMax`);
  }
  if (PostingLimits.pageBytesMax >= Limits.valueBytesMax) throw new RangeError('PostingLimits.pageBytesMax must stay under 64 KiB (Limits.valueBytesMax)');
  if (PostingLimits.signatureBytesMax < 64) throw new RangeError('PostingLimits.signatureBytesMax must hold an Ed25519 signature');
  if (PostingLimits.termCountMax > PostingLimits.documentTermsMax || PostingLimits.documentTermsMax > Number.MAX_SAFE_INTEGER) {
    throw new RangeError('PostingLimits.termCountMax ≤ documentTermsMax ≤ Number.MAX_SAFE_INTEGER');
  }
}
assertLimitsFitFormat();

const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]+$/;
const CURSOR = /^[\x21-\x7e]+$/;

function isCount(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= max;
}

function cidProblem(cid: unknown): string | null {
  if (typeof cid !== 'string') return 'cid is not text';
  if (cid.length > PostingLimits.cidBytesMax) return `cid is longer than ${PostingLimits.cidBytesMax} bytes (PostingLimits.cidBytesMax)`;
  let parsed: CID;
  try {
    parsed = CID.parse(cid);
  } catch {
    return 'cid is not a CID';
  }
  if (parsed.version !== 1) return 'cid is not a CIDv1';
  if (parsed.toString() !== cid) return 'cid is not in canonical form (base32, as CID#toString writes it)';
  return null;
}

/**
 * The first problem with a posting, or null if it is valid. Checks the types too, so it is safe on
 * values from a peer or from JavaScript callers.
 */
export function postingProblem(posting: Posting): string | null {
  const { term, fields, termCount, documentTerms, publisher, publishedAtUnixMs } = posting as { readonly [K in keyof Posting]: unknown };
  if (typeof term !== 'string') return 'term is not text';
  if (!isIndexTerm(term)) return 'term is not a term (folded, one word, not a stopword, within TermLimits; or ~ and a stem)';
  const cid = cidProblem(posting.cid);
  if (cid !== null) return cid;
  if (!isCount(fields, POSTING_ALL_FIELDS) || (fields & ~POSTING_ALL_FIELDS) !== 0) {
    return 'fields is not a non-zero set of DublinCoreField and PostingField bits';
  }
  if (!isCount(termCount, PostingLimits.termCountMax)) return `termCount is not an integer from 1 to ${PostingLimits.termCountMax}`;
  if (!isCount(documentTerms, PostingLimits.documentTermsMax)) return `documentTerms is not an integer from 1 to ${PostingLimits.documentTermsMax}`;
  if (documentTerms < termCount) return 'documentTerms is less than termCount';
  if (typeof publisher !== 'string' || publisher.length < PostingLimits.publisherCharsMin || publisher.length > PostingLimits.publisherBytesMax || !PEER_ID.test(publisher)) {
    return `publisher is not a peer id (${PostingLimits.publisherCharsMin} to ${PostingLimits.publisherBytesMax} base58btc characters)`;
  }
  if (typeof publishedAtUnixMs !== 'number' || !Number.isSafeInteger(publishedAtUnixMs) || publishedAtUnixMs < 0) {
    return 'publishedAtUnixMs is not a time (an integer of milliseconds ≥ 0)';
  }
  return null;
}

function signatureProblem(signature: unknown): string | null {
  if (!(signature instanceof Uint8Array)) return 'signature is not bytes';
  if (signature.length === 0) return 'signature is empty';
  if (signature.length > PostingLimits.signatureBytesMax) return `signature is longer than ${PostingLimits.signatureBytesMax} bytes (PostingLimits.signatureBytesMax)`;
  return null;
}

function cursorProblem(next: unknown): string | null {
  if (next === null) return null;
  if (typeof next !== 'string') return 'next is neither text nor null';
  if (next.length === 0 || next.length > PostingLimits.cursorBytesMax || !CURSOR.test(next)) {
    return `next is not a cursor (1 to ${PostingLimits.cursorBytesMax} printable ASCII characters)`;
  }
  return null;
}

/**
 * The bytes a publisher signs for `posting`, and a verifier checks the signature against: canonical
 * dag-cbor with the domain-separation tag POSTING_SIGNING_PURPOSE. Throws RangeError for an invalid
 * posting (nobody should sign one; no node would accept it).
 */
export function postingSigningBytes(posting: Posting): Uint8Array {
  const problem = postingProblem(posting);
  if (problem !== null) throw new RangeError(`cannot sign an invalid posting: ${problem}`);
  return DagCbor.encode({
    purpose: POSTING_SIGNING_PURPOSE,
    term: posting.term,
    cid: posting.cid,
    fields: posting.fields,
    termCount: posting.termCount,
    documentTerms: posting.documentTerms,
    publisher: posting.publisher,
    publishedAtUnixMs: posting.publishedAtUnixMs,
  });
}

/** The identity of a posting within the index: one per term, publisher and CID. */
function identityOf(posting: Posting): string {
  return `${posting.term}\u0000${posting.publisher}\u0000${posting.cid}`;
}

function entryOf(signed: SignedPosting): Record<EntryKey, unknown> {
  const { posting } = signed;
  return {
    t: posting.term,
    c: posting.cid,
    f: posting.fields,
    n: posting.termCount,
    d: posting.documentTerms,
    p: posting.publisher,
    u: posting.publishedAtUnixMs,
    s: signed.signature,
  };
}

function encodeChecked(postings: readonly SignedPosting[], next: string | null): Uint8Array {
  return DagCbor.encode({ version: POSTING_PAGE_VERSION, postings: postings.map(entryOf), next });
}

/** The first problem with a page's postings, or null. */
function postingsProblem(postings: readonly SignedPosting[]): string | null {
  if (postings.length > PostingLimits.postingsPerPageMax) {
    return `page has ${postings.length} postings, over ${PostingLimits.postingsPerPageMax} (PostingLimits.postingsPerPageMax)`;
  }
  const seen = new Map<string, number>();
  for (let index = 0; index < postings.length; index++) {
    const { posting, signature } = postings[index];
    const problem = postingProblem(posting) ?? signatureProblem(signature);
    if (problem !== null) return `posting ${index}: ${problem}`;
    const identity = identityOf(posting);
    const earlier = seen.get(identity);
    if (earlier !== undefined) return `posting ${index}: repeats posting ${earlier} (the same term, publisher and cid)`;
    seen.set(identity, index);
  }
  return null;
}

/**
 * A page of signed postings as it travels (the layout above). Throws RangeError if the page is one
 * decodePostingPage would refuse: an invalid posting or signature, a repeat, too many postings, a
 * bad cursor. Signatures are not checked here (see the module's comment).
 */
export function encodePostingPage(postings: readonly SignedPosting[], next: string | null): Uint8Array {
  const problem = postingsProblem(postings) ?? cursorProblem(next);
  if (problem !== null) throw new RangeError(`cannot encode the page: ${problem}`);
  const bytes = encodeChecked(postings, next);
  // Guaranteed by assertLimitsFitFormat; checked so that a mistake there cannot send a page nobody reads.
  if (bytes.length > PostingLimits.pageBytesMax) throw new RangeError(`the page has ${bytes.length} bytes, over ${PostingLimits.pageBytesMax}`);
  return bytes;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && CID.asCID(value) === null;
}

/** An untrusted key, quoted for an error: cut, and in JSON's escapes. */
function quoteKey(key: string): string {
  return key.length > 24 ? `${JSON.stringify(key.slice(0, 24))}…` : JSON.stringify(key);
}

/** The first unknown or missing key of `record`, or null. */
function keysProblem(record: Record<string, unknown>, allowed: readonly string[], describe: (key: string) => string): string | null {
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) return `unknown key ${quoteKey(key)}`;
  }
  for (const key of allowed) {
    if (!Object.hasOwn(record, key)) return `missing ${describe(key)}`;
  }
  return null;
}

function readEntry(value: unknown): SignedPosting | string {
  if (!isMap(value)) return 'not a map';
  const keys = keysProblem(value, ENTRY_KEY_LIST, (key) => `${key} (${ENTRY_KEYS[key as EntryKey]})`);
  if (keys !== null) return keys;
  const posting: Posting = {
    term: value.t as string,
    cid: value.c as string,
    fields: value.f as number,
    termCount: value.n as number,
    documentTerms: value.d as number,
    publisher: value.p as string,
    publishedAtUnixMs: value.u as number,
  };
  // Checked by postingsProblem, with the other entries.
  return { posting, signature: value.s as Uint8Array };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Reads a page from a peer; never throws. Every field is checked; signatures are the caller's to verify. */
export function decodePostingPage(bytes: Uint8Array): PostingPageResult {
  try {
    return decode(bytes);
  } catch {
    // Nothing decoded from bytes should get here; a guard so that no input can make this throw.
    return { ok: false, error: 'the page could not be read' };
  }
}

function decode(bytes: Uint8Array): PostingPageResult {
  if (!(bytes instanceof Uint8Array)) return { ok: false, error: 'the page is not bytes' };
  if (bytes.length > PostingLimits.pageBytesMax) {
    return { ok: false, error: `the page has ${bytes.length} bytes, over ${PostingLimits.pageBytesMax} (PostingLimits.pageBytesMax)` };
  }
  let value: unknown;
  try {
    value = DagCbor.decode(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 120) : 'unreadable';
    return { ok: false, error: `the page is not dag-cbor: ${reason}` };
  }
  if (!isMap(value)) return { ok: false, error: 'the page is not a map' };
  const keys = keysProblem(value, PAGE_KEYS, (key) => key);
  if (keys !== null) return { ok: false, error: `the page: ${keys}` };
  if (value.version !== POSTING_PAGE_VERSION) {
    const version = typeof value.version === 'number' ? String(value.version) : 'that is not a number';
    return { ok: false, error: `the page has version ${version} (this node reads ${POSTING_PAGE_VERSION})` };
  }
  const entries = value.postings;
  if (!Array.isArray(entries)) return { ok: false, error: 'the page: postings is not a list' };
  if (entries.length > PostingLimits.postingsPerPageMax) {
    return { ok: false, error: `the page has ${entries.length} postings, over ${PostingLimits.postingsPerPageMax} (PostingLimits.postingsPerPageMax)` };
  }
  const postings: SignedPosting[] = [];
  for (let index = 0; index < entries.length; index++) {
    const entry = readEntry(entries[index]);
    if (typeof entry === 'string') return { ok: false, error: `posting ${index}: ${entry}` };
    postings.push(entry);
  }
  const problem = postingsProblem(postings);
  if (problem !== null) return { ok: false, error: problem };
  const next = value.next;
  const cursor = cursorProblem(next);
  if (cursor !== null) return { ok: false, error: `the page: ${cursor}` };
  // Every value is now known valid, so re-encoding cannot throw; it gives the input back only if
  // the input was canonical (sorted keys, minimal integers, integers not written as floats).
  if (!sameBytes(encodeChecked(postings, next as string | null), bytes)) return { ok: false, error: 'the page is not in canonical dag-cbor form' };
  const copies = postings.map(({ posting, signature }) => Object.freeze({ posting: Object.freeze(posting), signature: signature.slice() }));
  return { ok: true, page: Object.freeze({ postings: Object.freeze(copies), next: next as string | null }) };
}

// ---------------------------------------------------------------------------------------------
// Admission at a holder.

/** The caps a holder applies (PostingLimits has both). */
export interface AdmissionLimits {
  readonly postingsPerPublisherPerTermMax: number;
  readonly postingsPerTermMax: number;
}

export interface RefusedPosting {
  readonly posting: SignedPosting;
  readonly reason: string;
}

export interface Admission {
  /** What the holder keeps: its new lists, every term's, in order of term, then newest first. */
  readonly kept: SignedPosting[];
  /** Everything else of held and incoming — refused incoming postings and dropped held ones — each with its reason. */
  readonly refused: RefusedPosting[];
}

/** Newest first; ties by publisher, then CID, so every node orders alike. */
function newestFirst(a: SignedPosting, b: SignedPosting): number {
  return b.posting.publishedAtUnixMs - a.posting.publishedAtUnixMs ||
    compareTerms(a.posting.publisher, b.posting.publisher) ||
    compareTerms(a.posting.cid, b.posting.cid);
}

function checkLimit(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, not ${value}`);
}

/**
 * A holder's admission policy: given the postings it holds and postings that arrive (already
 * decoded and with their signatures verified — that is the runtime's, not this function's), the
 * postings it keeps. Pure and deterministic; each term's list is treated on its own.
 *
 * 1. One posting per (term, publisher, cid): a newer publishedAtUnixMs replaces an older one (held
 *    or incoming alike); at an equal time the first seen is kept, held before incoming.
 * 2. At most postingsPerPublisherPerTermMax per publisher in a term's list: its newest.
 * 3. At most postingsPerTermMax in a term's list, shared among publishers in turn: every
 *    publisher's newest posting first, then every publisher's second newest, and so on (within a
 *    round, newest first, then by publisher and CID). So a publisher that floods a term gains only
 *    the slots others leave unused: a publisher with at most postingsPerTermMax ÷ (publishers)
 *    postings keeps them all.
 *
 * Returns the new lists (`kept`) and every other posting of `held` and `incoming` with the reason
 * it is not kept (`refused`): each input posting is in exactly one of the two. Throws RangeError if
 * a limit is not a positive integer. The postings are assumed valid (decodePostingPage checks them).
 */
export function admitPostings(held: readonly SignedPosting[], incoming: readonly SignedPosting[], limits: AdmissionLimits): Admission {
  checkLimit('postingsPerPublisherPerTermMax', limits.postingsPerPublisherPerTermMax);
  checkLimit('postingsPerTermMax', limits.postingsPerTermMax);
  const refused: RefusedPosting[] = [];

  // 1. Dedupe by (term, publisher, cid), the newest winning.
  const winners = new Map<string, SignedPosting>();
  for (const signed of [...held, ...incoming]) {
    const identity = identityOf(signed.posting);
    const current = winners.get(identity);
    if (current === undefined) {
      winners.set(identity, signed);
    } else if (signed.posting.publishedAtUnixMs > current.posting.publishedAtUnixMs) {
      refused.push({ posting: current, reason: 'replaced by a newer posting from the same publisher for the same term and cid' });
      winners.set(identity, signed);
    } else if (signed.posting.publishedAtUnixMs === current.posting.publishedAtUnixMs) {
      refused.push({ posting: signed, reason: 'repeats a posting already held (the same term, publisher, cid and time)' });
    } else {
      refused.push({ posting: signed, reason: 'older than the posting held from the same publisher for the same term and cid' });
    }
  }

  // Each term's list, by publisher.
  const byTerm = new Map<string, Map<string, SignedPosting[]>>();
  for (const signed of winners.values()) {
    const { term, publisher } = signed.posting;
    let publishers = byTerm.get(term);
    if (publishers === undefined) byTerm.set(term, (publishers = new Map()));
    const list = publishers.get(publisher);
    if (list === undefined) publishers.set(publisher, [signed]);
    else list.push(signed);
  }

  const kept: SignedPosting[] = [];
  for (const term of [...byTerm.keys()].sort(compareTerms)) {
    // 2. Each publisher's newest, up to its cap.
    const lists: SignedPosting[][] = [];
    for (const list of byTerm.get(term)!.values()) {
      list.sort(newestFirst);
      for (const signed of list.slice(limits.postingsPerPublisherPerTermMax)) {
        refused.push({
          posting: signed,
          reason: `over ${limits.postingsPerPublisherPerTermMax} postings from one publisher for one term (postingsPerPublisherPerTermMax): its newest are kept`,
        });
      }
      lists.push(list.slice(0, limits.postingsPerPublisherPerTermMax));
    }
    // 3. Round-robin by publisher up to the term's cap.
    const list: SignedPosting[] = [];
    for (let round = 0; lists.length > 0; round++) {
      const candidates = lists.map((postings) => postings[round]).sort(newestFirst);
      for (const signed of candidates) {
        if (list.length < limits.postingsPerTermMax) list.push(signed);
        else refused.push({ posting: signed, reason: `the term's list is full (${limits.postingsPerTermMax} postings, postingsPerTermMax, shared among publishers in turn)` });
      }
      // Drop the publishers with no posting left for the next round.
      for (let index = lists.length - 1; index >= 0; index--) if (lists[index].length <= round + 1) lists.splice(index, 1);
    }
    kept.push(...list.sort(newestFirst));
  }
  return { kept, refused };
}
