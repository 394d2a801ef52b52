/**
 * What one node holds of the inverted index (issue 7, item 1; docs/SEARCH.md, "On the network"):
 * the posting lists of the terms it is among the closest nodes to, the document records of their
 * CIDs, and withdrawals (tombstones). Pure and synchronous — the runtime checks signatures before it
 * calls `admit` or `withdraw`, passes the time in, and persists what `changes` names.
 *
 * Admission (posting.ts, admitPostings) dedupes, lets a newer posting replace an older one, caps a
 * publisher per term and shares a full list among publishers in turn. Here, before it: a posting
 * from the future (beyond a clock skew allowed), one past its time to live, and one a withdrawal
 * covers are refused. A document record is kept only while its publisher has a posting of its CID
 * here, so records cannot be stored without the postings that bound them. Postings live
 * `postingTtlMs` from their publication: publishers republish (docs/SEARCH.md), as Kademlia's
 * original publishers do (Maymounkov & Mazières 2002, §2.5).
 */
import { BloomFilter, fnv1a32 } from './bloom-filter.ts';
import type { IndexedRefusal } from './search-messages.ts';
import type { SignedDocumentRecord, SignedWithdrawal } from './document-record.ts';
import { admitPostings, encodePostingPage, PostingLimits, type SignedPosting } from './posting.ts';

export interface TermHolderOptions {
  /** How long a posting, record or withdrawal is kept after its time: publishers republish sooner. */
  readonly postingTtlMs: number;
  /** How far ahead of this node's clock a publication time may be. */
  readonly clockSkewMs: number;
  readonly postingsPerPublisherPerTermMax: number;
  readonly postingsPerTermMax: number;
  /** Postings one holder keeps in all (its memory and disk): past it, new postings are refused. */
  readonly postingsMax: number;
  /** Postings of one publisher one holder keeps over all terms: one publisher cannot fill a holder. */
  readonly postingsPerPublisherMax: number;
  /** Withdrawals kept; past it, the oldest go. */
  readonly withdrawalsMax: number;
}

export const TERM_HOLDER_DEFAULTS: TermHolderOptions = {
  postingTtlMs: 48 * 3600 * 1000,
  clockSkewMs: 10 * 60 * 1000,
  postingsPerPublisherPerTermMax: PostingLimits.postingsPerPublisherPerTermMax,
  postingsPerTermMax: PostingLimits.postingsPerTermMax,
  postingsMax: 1_000_000,
  postingsPerPublisherMax: 100_000,
  withdrawalsMax: 100_000,
};

export interface AdmitResult {
  readonly accepted: number;
  readonly refused: IndexedRefusal[];
  readonly documentsAccepted: number;
  readonly documentsRefused: IndexedRefusal[];
}

/** What changed since `takeChanges` was last called: the runtime rewrites these on disk. */
export interface HolderChanges {
  readonly terms: ReadonlySet<string>;
  /** Postings that joined a list, and postings that left one (a replaced posting leaves, its successor joins). */
  readonly added: ReadonlySet<SignedPosting>;
  readonly removed: ReadonlySet<SignedPosting>;
  /** Document and withdrawal keys (publisher NUL cid). */
  readonly documents: ReadonlySet<string>;
  readonly withdrawals: ReadonlySet<string>;
}

/** The key of a (publisher, cid) pair in the document and withdrawal maps. */
export function publisherCidKey(publisher: string, cid: string): string {
  return `${publisher}\u0000${cid}`;
}

const CURSOR = /^o([0-9]{1,9})$/;

export class TermHolder {
  private readonly options: TermHolderOptions;
  private readonly lists = new Map<string, SignedPosting[]>();
  private readonly documents = new Map<string, SignedDocumentRecord>();
  private readonly documentsByCid = new Map<string, Set<string>>();
  private readonly withdrawals = new Map<string, SignedWithdrawal>();
  /** Postings held per (publisher, cid): a document record is kept while this is above 0. */
  private readonly postingsPerDocument = new Map<string, number>();
  /** Each term's postings by (publisher, cid): what `held` asks, and what a change is counted against. */
  private readonly index = new Map<string, Map<string, SignedPosting>>();
  private readonly digests = new Map<string, number>();
  private postingsHeld = 0;
  private readonly postingsByPublisher = new Map<string, number>();
  private changedTerms = new Set<string>();
  private addedPostings = new Set<SignedPosting>();
  private removedPostings = new Set<SignedPosting>();
  private changedDocuments = new Set<string>();
  private changedWithdrawals = new Set<string>();

  constructor(options: TermHolderOptions = TERM_HOLDER_DEFAULTS) {
    this.options = options;
  }

  /** Terms held, in no particular order. */
  terms(): string[] {
    return [...this.lists.keys()];
  }

  /** A term's list, newest first (empty when not held). */
  list(term: string): readonly SignedPosting[] {
    return this.lists.get(term) ?? [];
  }

  postingCount(): number {
    return this.postingsHeld;
  }

  listCount(): number {
    return this.lists.size;
  }

  withdrawalCount(): number {
    return this.withdrawals.size;
  }

  documentCount(): number {
    return this.documents.size;
  }

  /** The document records of `cid`, one per publisher that described it. */
  documentsOf(cid: string): SignedDocumentRecord[] {
    const keys = this.documentsByCid.get(cid);
    return keys === undefined ? [] : [...keys].map((key) => this.documents.get(key) as SignedDocumentRecord);
  }

  document(key: string): SignedDocumentRecord | undefined {
    return this.documents.get(key);
  }

  withdrawal(key: string): SignedWithdrawal | undefined {
    return this.withdrawals.get(key);
  }

  allWithdrawals(): SignedWithdrawal[] {
    return [...this.withdrawals.values()];
  }

  /**
   * Admits postings and document records whose signatures the caller has checked. Refusals are
   * indexed by position in `postings` and `documents`. Postings of one term compete with each other
   * only (admitPostings).
   */
  admit(postings: readonly SignedPosting[], documents: readonly SignedDocumentRecord[], nowUnixMs: number): AdmitResult {
    const refused: IndexedRefusal[] = [];
    const byTerm = new Map<string, { signed: SignedPosting; index: number }[]>();
    // New postings (not replacing one held) counted against the holder's caps as they come.
    let fresh = 0;
    const freshByPublisher = new Map<string, number>();
    postings.forEach((signed, index) => {
      const { term, publisher, cid } = signed.posting;
      let problem = this.timeProblem(publisher, cid, signed.posting.publishedAtUnixMs, nowUnixMs);
      if (problem === null && this.held(term, publisher, cid) === undefined) {
        const ofPublisher = (this.postingsByPublisher.get(publisher) ?? 0) + (freshByPublisher.get(publisher) ?? 0);
        if (this.postingsHeld + fresh >= this.options.postingsMax) problem = `this holder is full (${this.options.postingsMax} postings)`;
        else if (ofPublisher >= this.options.postingsPerPublisherMax) problem = `this holder keeps at most ${this.options.postingsPerPublisherMax} postings of one publisher`;
        else {
          fresh++;
          freshByPublisher.set(publisher, (freshByPublisher.get(publisher) ?? 0) + 1);
        }
      }
      if (problem !== null) {
        refused.push({ index, reason: problem });
        return;
      }
      const list = byTerm.get(signed.posting.term);
      if (list === undefined) byTerm.set(signed.posting.term, [{ signed, index }]);
      else list.push({ signed, index });
    });
    let accepted = 0;
    for (const [term, incoming] of byTerm) {
      const held = this.lists.get(term) ?? [];
      const admission = admitPostings(held, incoming.map((entry) => entry.signed), this.options);
      const kept = new Set(admission.kept);
      for (const entry of incoming) {
        if (kept.has(entry.signed)) accepted++;
      }
      const indexOf = new Map(incoming.map((entry) => [entry.signed, entry.index]));
      for (const refusal of admission.refused) {
        const index = indexOf.get(refusal.posting);
        if (index !== undefined) refused.push({ index, reason: refusal.reason });
      }
      // Only a list that changed is rewritten (a repeat of what is held changes nothing).
      if (admission.kept.length !== held.length || admission.kept.some((signed, at) => signed !== held[at])) this.replaceList(term, admission.kept);
    }
    refused.sort((a, b) => a.index - b.index);
    const documentsRefused: IndexedRefusal[] = [];
    let documentsAccepted = 0;
    documents.forEach((signed, index) => {
      const reason = this.admitDocument(signed, nowUnixMs);
      if (reason === null) documentsAccepted++;
      else documentsRefused.push({ index, reason });
    });
    return { accepted, refused, documentsAccepted, documentsRefused };
  }

  /** Applies withdrawals whose signatures the caller has checked; returns what they removed. */
  withdraw(withdrawals: readonly SignedWithdrawal[], nowUnixMs: number): { postingsRemoved: number; documentsRemoved: number } {
    let postingsRemoved = 0;
    let documentsRemoved = 0;
    for (const signed of withdrawals) {
      const { publisher, cid, withdrawnAtUnixMs } = signed.withdrawal;
      if (withdrawnAtUnixMs > nowUnixMs + this.options.clockSkewMs || withdrawnAtUnixMs + this.options.postingTtlMs < nowUnixMs) continue;
      const key = publisherCidKey(publisher, cid);
      // Looked up first: removing the last posting of (publisher, cid) below drops its record too.
      const record = this.documents.get(key);
      const held = this.withdrawals.get(key);
      // Kept as a tombstone only where there was something to withdraw (or a tombstone already):
      // a publisher cannot fill a holder with withdrawals of content it never published here.
      const holdsAny = (this.postingsPerDocument.get(key) ?? 0) > 0;
      if ((held === undefined && holdsAny) || (held !== undefined && held.withdrawal.withdrawnAtUnixMs < withdrawnAtUnixMs)) {
        this.withdrawals.set(key, signed);
        this.changedWithdrawals.add(key);
        if (this.withdrawals.size > this.options.withdrawalsMax) this.dropOldestWithdrawal();
      }
      // A list holds at most one posting per (publisher, cid): the index says which lists have one,
      // so only those are rewritten (repair hands every withdrawal to every peer each round).
      if (holdsAny) {
        for (const [term, index] of this.index) {
          const held = index.get(key);
          if (held === undefined || held.posting.publishedAtUnixMs > withdrawnAtUnixMs) continue;
          this.replaceList(term, (this.lists.get(term) ?? []).filter((entry) => entry !== held));
          postingsRemoved++;
        }
      }
      if (record !== undefined) {
        if (record.record.publishedAtUnixMs <= withdrawnAtUnixMs) this.dropDocument(key);
        if (!this.documents.has(key)) documentsRemoved++;
      }
    }
    return { postingsRemoved, documentsRemoved };
  }

  /** Drops postings and withdrawals past their time to live (a record goes with the last posting of its document). */
  expire(nowUnixMs: number): number {
    const oldest = nowUnixMs - this.options.postingTtlMs;
    let dropped = 0;
    for (const [term, list] of this.lists) {
      const left = list.filter((entry) => entry.posting.publishedAtUnixMs >= oldest);
      if (left.length !== list.length) {
        dropped += list.length - left.length;
        this.replaceList(term, left);
      }
    }
    for (const [key, signed] of this.withdrawals) {
      if (signed.withdrawal.withdrawnAtUnixMs < oldest) {
        this.withdrawals.delete(key);
        this.changedWithdrawals.add(key);
      }
    }
    return dropped;
  }

  /** The number of distinct documents in `term`'s list with a posting in any of `fields`. */
  count(term: string, fields: number): number {
    return this.cids(term, fields).length;
  }

  /** The distinct CIDs of `term`'s list with a posting in any of `fields`, in list order. */
  cids(term: string, fields: number): string[] {
    const seen = new Set<string>();
    for (const { posting } of this.list(term)) {
      if ((posting.fields & fields) !== 0) seen.add(posting.cid);
    }
    return [...seen];
  }

  /**
   * A digest of `term`'s whole list — its (publisher, cid, time) triples in a fixed order — by which
   * two holders see at once whether their lists differ (repair compares them before sending lists).
   */
  digest(term: string): number {
    const cached = this.digests.get(term);
    if (cached !== undefined) return cached;
    const lines = this.list(term).map(({ posting }) => `${posting.publisher}\u0000${posting.cid}\u0000${posting.publishedAtUnixMs}`).sort();
    const digest = fnv1a32(new TextEncoder().encode(lines.join('\n')));
    // Only held lists' digests are kept: peers may ask of any terms, a thousand a request.
    if (this.lists.has(term)) this.digests.set(term, digest);
    return digest;
  }

  /** The posting held for (term, publisher, cid), if any. */
  held(term: string, publisher: string, cid: string): SignedPosting | undefined {
    return this.index.get(term)?.get(publisherCidKey(publisher, cid));
  }

  /** A Bloom filter of cids(term, fields) at `falsePositiveRate`, and how many CIDs it holds. */
  filter(term: string, fields: number, falsePositiveRate: number): { documents: number; filter: BloomFilter } {
    const cids = this.cids(term, fields);
    return { documents: cids.length, filter: BloomFilter.ofItems(cids, falsePositiveRate) };
  }

  /**
   * A page of `term`'s postings in any of `fields` whose CID `admits` accepts, from `cursor` (null:
   * the start), encoded; its `next` continues. A cursor this holder did not give is an error.
   */
  page(term: string, fields: number, admits: (cid: string) => boolean, cursor: string | null): { ok: true; page: Uint8Array } | { ok: false; error: string } {
    let start = 0;
    if (cursor !== null) {
      const match = CURSOR.exec(cursor);
      if (match === null) return { ok: false, error: 'cursor: not one this node gives' };
      start = Number(match[1]);
    }
    const list = this.list(term);
    const postings: SignedPosting[] = [];
    let at = start;
    for (; at < list.length && postings.length < PostingLimits.postingsPerPageMax; at++) {
      const { posting } = list[at];
      if ((posting.fields & fields) !== 0 && admits(posting.cid)) postings.push(list[at]);
    }
    return { ok: true, page: encodePostingPage(postings, at < list.length ? `o${at}` : null) };
  }

  /** What changed since the last call, and forget it. */
  takeChanges(): HolderChanges {
    const changes = {
      terms: this.changedTerms, added: this.addedPostings, removed: this.removedPostings, documents: this.changedDocuments, withdrawals: this.changedWithdrawals,
    };
    this.changedTerms = new Set();
    this.addedPostings = new Set();
    this.removedPostings = new Set();
    this.changedDocuments = new Set();
    this.changedWithdrawals = new Set();
    return changes;
  }

  /**
   * Restores state read back from disk, without the checks of admission (it passed them when it
   * arrived); then expires what is past its time. Changes are not reported for it.
   */
  restore(lists: ReadonlyMap<string, readonly SignedPosting[]>, documents: readonly SignedDocumentRecord[], withdrawals: readonly SignedWithdrawal[], nowUnixMs: number): void {
    for (const [term, list] of lists) this.replaceList(term, [...list]);
    for (const signed of withdrawals) this.withdrawals.set(publisherCidKey(signed.withdrawal.publisher, signed.withdrawal.cid), signed);
    for (const signed of documents) {
      const key = publisherCidKey(signed.record.publisher, signed.record.cid);
      if ((this.postingsPerDocument.get(key) ?? 0) > 0) this.putDocument(key, signed);
    }
    this.expire(nowUnixMs);
    this.takeChanges();
  }

  private dropOldestWithdrawal(): void {
    let oldest: SignedWithdrawal | null = null;
    for (const signed of this.withdrawals.values()) {
      if (oldest === null || signed.withdrawal.withdrawnAtUnixMs < oldest.withdrawal.withdrawnAtUnixMs) oldest = signed;
    }
    if (oldest === null) return;
    const key = publisherCidKey(oldest.withdrawal.publisher, oldest.withdrawal.cid);
    this.withdrawals.delete(key);
    this.changedWithdrawals.add(key);
  }

  private timeProblem(publisher: string, cid: string, atUnixMs: number, nowUnixMs: number): string | null {
    if (atUnixMs > nowUnixMs + this.options.clockSkewMs) return 'published in the future (beyond the clock skew allowed)';
    if (atUnixMs + this.options.postingTtlMs < nowUnixMs) return 'expired (older than the time to live of postings)';
    const withdrawn = this.withdrawals.get(publisherCidKey(publisher, cid));
    if (withdrawn !== undefined && withdrawn.withdrawal.withdrawnAtUnixMs >= atUnixMs) return 'withdrawn by its publisher';
    return null;
  }

  private admitDocument(signed: SignedDocumentRecord, nowUnixMs: number): string | null {
    const { publisher, cid, publishedAtUnixMs } = signed.record;
    const problem = this.timeProblem(publisher, cid, publishedAtUnixMs, nowUnixMs);
    if (problem !== null) return problem;
    const key = publisherCidKey(publisher, cid);
    if ((this.postingsPerDocument.get(key) ?? 0) === 0) return 'no posting of this publisher for this cid is held here';
    const held = this.documents.get(key);
    if (held !== undefined && held.record.publishedAtUnixMs >= publishedAtUnixMs) return 'not newer than the record held';
    this.putDocument(key, signed);
    return null;
  }

  private putDocument(key: string, signed: SignedDocumentRecord): void {
    this.documents.set(key, signed);
    let keys = this.documentsByCid.get(signed.record.cid);
    if (keys === undefined) this.documentsByCid.set(signed.record.cid, (keys = new Set()));
    keys.add(key);
    this.changedDocuments.add(key);
  }

  private dropDocument(key: string): void {
    const signed = this.documents.get(key);
    if (signed === undefined) return;
    this.documents.delete(key);
    const keys = this.documentsByCid.get(signed.record.cid);
    keys?.delete(key);
    if (keys?.size === 0) this.documentsByCid.delete(signed.record.cid);
    this.changedDocuments.add(key);
  }

  /**
   * Replaces a term's list, keeping the index, the per-document counts (and the records they bound)
   * and the changes right. Only the postings that join or leave are counted: lists are long and a
   * change is usually one posting.
   */
  private replaceList(term: string, list: SignedPosting[]): void {
    const before = this.lists.get(term) ?? [];
    const kept = new Set(before);
    const after = new Set(list);
    let index = this.index.get(term);
    if (index === undefined) this.index.set(term, (index = new Map()));
    // Counted up before down, so a document whose posting is replaced never reaches 0 in between.
    for (const signed of list) {
      if (kept.has(signed)) continue;
      const key = publisherCidKey(signed.posting.publisher, signed.posting.cid);
      index.set(key, signed);
      this.countPosting(key, 1);
      this.countPublisher(signed.posting.publisher, 1);
      if (this.removedPostings.has(signed)) this.removedPostings.delete(signed);
      else this.addedPostings.add(signed);
    }
    for (const signed of before) {
      if (after.has(signed)) continue;
      const key = publisherCidKey(signed.posting.publisher, signed.posting.cid);
      if (index.get(key) === signed) index.delete(key);
      this.countPosting(key, -1);
      this.countPublisher(signed.posting.publisher, -1);
      if (this.addedPostings.has(signed)) this.addedPostings.delete(signed);
      else this.removedPostings.add(signed);
    }
    if (list.length === 0) {
      this.lists.delete(term);
      this.index.delete(term);
    } else {
      this.lists.set(term, list);
    }
    this.digests.delete(term);
    this.changedTerms.add(term);
  }

  private countPublisher(publisher: string, delta: number): void {
    this.postingsHeld += delta;
    const count = (this.postingsByPublisher.get(publisher) ?? 0) + delta;
    if (count > 0) this.postingsByPublisher.set(publisher, count);
    else this.postingsByPublisher.delete(publisher);
  }

  private countPosting(key: string, delta: number): void {
    const count = (this.postingsPerDocument.get(key) ?? 0) + delta;
    if (count > 0) {
      this.postingsPerDocument.set(key, count);
    } else {
      this.postingsPerDocument.delete(key);
      this.dropDocument(key);
    }
  }
}
