/**
 * This node as a holder of the index (docs/SEARCH.md, "On the network"): it answers the search
 * protocol's requests from its TermHolder and CorpusSummaries, checks every signature before
 * anything is admitted, and writes what changed to search.sqlite.
 *
 * A signature that does not check is the sender's offence — a publisher's forgery, or a holder
 * relaying postings it should have checked — scored by the peer guard (once per request) and
 * refused with its reason; the rest of the request is still taken.
 */
import { CorpusSummaries } from '../../services/search/corpus-summaries.ts';
import { BloomFilter } from '../../services/search/bloom-filter.ts';
import {
  documentSigningBytes, summarySigningBytes, withdrawalSigningBytes,
  type SignedDocumentRecord,
} from '../../services/search/document-record.ts';
import { decodePostingPage, postingSigningBytes, type SignedPosting } from '../../services/search/posting.ts';
import { SearchLimits, type IndexedRefusal, type ListDigest, type SearchRequest, type SearchResponse } from '../../services/search/search-messages.ts';
import { TERM_HOLDER_DEFAULTS, TermHolder, publisherCidKey, type AdmitResult } from '../../services/search/term-holder.ts';
import type { SearchStore } from './search-store.ts';

export interface SearchHoldingParts {
  readonly store: SearchStore;
  readonly nowUnixMs: () => number;
  readonly verify: (peerId: string, bytes: Uint8Array, signature: Uint8Array) => Promise<boolean>;
  /** Scores a peer for bad data it sent (the peer guard). */
  readonly penalize: (peerId: string, reason: string) => void;
  readonly log: (record: Record<string, unknown>) => void;
}

/** Publishers whose summaries one holder keeps (one record each). */
const SUMMARY_PUBLISHERS_MAX = 100_000;

/** A describe answer stops adding records past this many bytes of them, under the message bound. */
const DESCRIBE_BYTES_MAX = SearchLimits.messageBytesMax - 64 * 1024;

const BAD_SIGNATURE = "its signature is not its publisher's";

export class SearchHolding {
  readonly holder = new TermHolder(TERM_HOLDER_DEFAULTS);
  readonly summaries = new CorpusSummaries({ ttlMs: TERM_HOLDER_DEFAULTS.postingTtlMs, clockSkewMs: TERM_HOLDER_DEFAULTS.clockSkewMs, publishersMax: SUMMARY_PUBLISHERS_MAX });
  private readonly parts: SearchHoldingParts;

  constructor(parts: SearchHoldingParts) {
    this.parts = parts;
    const loaded = parts.store.loadIndex();
    this.holder.restore(loaded.lists, loaded.documents, loaded.withdrawals, parts.nowUnixMs());
    for (const summary of loaded.summaries) this.summaries.admit(summary, parts.nowUnixMs());
    this.summaries.takeChanges();
    if (loaded.damaged > 0) parts.log({ level: 'warn', event: 'searchRowsDamaged', rows: loaded.damaged });
  }

  /** What `counted` and `digested` say of a term's whole list: its length and digest. */
  private listDigest(term: string): ListDigest {
    return { postings: this.holder.list(term).length, digest: this.holder.digest(term) };
  }

  async answer(peerId: string, request: SearchRequest): Promise<SearchResponse> {
    const now = this.parts.nowUnixMs();
    switch (request.kind) {
      case 'publish': {
        const page = decodePostingPage(request.page);
        if (!page.ok) {
          this.parts.penalize(peerId, `a bad posting page: ${page.error}`);
          return { kind: 'refused', reason: 'invalid', message: `the page: ${page.error}` };
        }
        const result = await this.admit(peerId, page.page.postings, request.documents);
        return { kind: 'published', ...result };
      }
      case 'withdraw': {
        const valid = await this.checked(peerId, request.withdrawals, (signed) => signed.withdrawal.publisher, (signed) => withdrawalSigningBytes(signed.withdrawal));
        const removed = this.holder.withdraw(valid.kept, now);
        this.save();
        return { kind: 'withdrawn', ...removed };
      }
      case 'count': return { kind: 'counted', documents: this.holder.count(request.term, request.fields), ...this.listDigest(request.term) };
      case 'digests': return { kind: 'digested', lists: request.terms.map((term) => this.listDigest(term)) };
      case 'filter': {
        const { documents, filter } = this.holder.filter(request.term, request.fields, request.falsePositiveRate);
        if (filter.bytes > SearchLimits.bloomBytesMax) return { kind: 'refused', reason: 'busy', message: 'the filter would be too large at that false-positive rate' };
        return { kind: 'filtered', documents, bloom: filter.encode() };
      }
      case 'postings': {
        let admits = (_cid: string): boolean => true;
        if (request.filter !== null) {
          const decoded = BloomFilter.decode(request.filter);
          if (!decoded.ok) {
            this.parts.penalize(peerId, `a bad Bloom filter: ${decoded.error}`);
            return { kind: 'refused', reason: 'invalid', message: `filter: ${decoded.error}` };
          }
          admits = (cid) => decoded.filter.mightContain(cid);
        }
        if (request.cids !== null) {
          const wanted = new Set(request.cids);
          const before = admits;
          admits = (cid) => wanted.has(cid) && before(cid);
        }
        const page = this.holder.page(request.term, request.fields, admits, request.cursor);
        return page.ok ? { kind: 'postings', page: page.page } : { kind: 'refused', reason: 'invalid', message: page.error };
      }
      case 'describe': {
        const documents: SignedDocumentRecord[] = [];
        let bytes = 0;
        for (const cid of request.cids) {
          for (const signed of this.holder.documentsOf(cid)) {
            bytes += 256 + JSON.stringify(signed.record.metadata).length * 3;
            if (bytes > DESCRIBE_BYTES_MAX || documents.length >= SearchLimits.cidsPerRequestMax) return { kind: 'described', documents };
            documents.push(signed);
          }
        }
        return { kind: 'described', documents };
      }
      case 'summarize': {
        const valid = await this.checked(peerId, request.summaries, (signed) => signed.summary.publisher, (signed) => summarySigningBytes(signed.summary));
        const refused: IndexedRefusal[] = [...valid.refused];
        let accepted = 0;
        valid.kept.forEach((signed, at) => {
          const reason = this.summaries.admit(signed, now);
          if (reason === null) accepted++;
          else refused.push({ index: valid.indexes[at], reason });
        });
        this.save();
        return { kind: 'summarized', accepted, refused: refused.sort((a, b) => a.index - b.index) };
      }
      case 'corpus': return { kind: 'corpus', totals: this.summaries.totals(now) };
    }
  }

  /**
   * Admits postings and records after checking their signatures (those identical to what is held
   * are not checked again: repair sends the same lists every round). `from` is who sent them.
   */
  async admit(from: string, postings: readonly SignedPosting[], documents: readonly SignedDocumentRecord[]): Promise<AdmitResult> {
    const isHeld = (signed: SignedPosting): boolean => {
      const { term, publisher, cid, publishedAtUnixMs } = signed.posting;
      return this.holder.held(term, publisher, cid)?.posting.publishedAtUnixMs === publishedAtUnixMs;
    };
    const validPostings = await this.checked(from, postings, (signed) => signed.posting.publisher, (signed) => postingSigningBytes(signed.posting), isHeld);
    const isHeldDocument = (signed: SignedDocumentRecord): boolean =>
      this.holder.document(publisherCidKey(signed.record.publisher, signed.record.cid))?.record.publishedAtUnixMs === signed.record.publishedAtUnixMs;
    const validDocuments = await this.checked(from, documents, (signed) => signed.record.publisher, (signed) => documentSigningBytes(signed.record), isHeldDocument);
    const result = this.holder.admit(validPostings.kept, validDocuments.kept, this.parts.nowUnixMs());
    this.save();
    const reindex = (refusals: readonly IndexedRefusal[], indexes: readonly number[], invalid: readonly IndexedRefusal[]): IndexedRefusal[] =>
      [...invalid, ...refusals.map((refusal) => ({ index: indexes[refusal.index], reason: refusal.reason }))].sort((a, b) => a.index - b.index);
    return {
      accepted: result.accepted,
      refused: reindex(result.refused, validPostings.indexes, validPostings.refused),
      documentsAccepted: result.documentsAccepted,
      documentsRefused: reindex(result.documentsRefused, validDocuments.indexes, validDocuments.refused),
    };
  }

  /** Drops what is past its time to live. */
  expire(): void {
    const now = this.parts.nowUnixMs();
    this.holder.expire(now);
    this.summaries.expire(now);
    this.save();
  }

  private save(): void {
    try {
      this.parts.store.save(this.holder, this.summaries);
    } catch (error) {
      this.parts.log({ level: 'error', event: 'searchNotSaved', error: (error as Error).message });
    }
  }

  /** The items whose signature checks (with their indexes), and a refusal for each other; one penalty for the sender if any was forged. */
  private async checked<T>(
    from: string, items: readonly T[], publisherOf: (item: T) => string, bytesOf: (item: T) => Uint8Array, trusted: (item: T) => boolean = () => false,
  ): Promise<{ kept: T[]; indexes: number[]; refused: IndexedRefusal[] }> {
    const kept: T[] = [];
    const indexes: number[] = [];
    const refused: IndexedRefusal[] = [];
    for (let index = 0; index < items.length; index++) {
      const item = items[index];
      const signature = (item as { signature: Uint8Array }).signature;
      let valid = trusted(item);
      if (!valid) {
        try {
          valid = await this.parts.verify(publisherOf(item), bytesOf(item), signature);
        } catch {
          valid = false;
        }
      }
      if (valid) {
        kept.push(item);
        indexes.push(index);
      } else {
        refused.push({ index, reason: BAD_SIGNATURE });
      }
    }
    if (refused.length > 0) this.parts.penalize(from, `${refused.length} search record(s) with a forged signature`);
    return { kept, indexes, refused };
  }
}
