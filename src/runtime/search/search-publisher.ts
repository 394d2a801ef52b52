/**
 * This node as a publisher (issue 7, item 1; docs/SEARCH.md, "Publishing"): it turns a document's
 * metadata (and text) into signed postings, one per term and stem list, and sends each to the
 * `replicas` live nodes closest to hash(term) with the signed document record; it keeps what it
 * published in search.sqlite, republishes it with a fresh time before it expires, withdraws it on
 * request, and keeps its signed summary (documents and their lengths) on the nodes closest to the
 * corpus key.
 */
import {
  documentSigningBytes, summarySigningBytes, withdrawalSigningBytes,
  type SignedDocumentRecord, type SignedSummary, type SignedWithdrawal,
} from '../../services/search/document-record.ts';
import { documentTermsOf, postingsOfTerms } from '../../services/search/document-postings.ts';
import type { DublinCore } from '../../services/search/dublin-core.ts';
import { postingSigningBytes, type Posting, type SignedPosting } from '../../services/search/posting.ts';
import { deliver, type Delivery } from './deliver.ts';
import type { IndexNodes } from './index-nodes.ts';
import { NotPublishedError } from './search-errors.ts';
import { SearchProtocolError, type SearchClient } from './search-client.ts';
import type { PublishedDocument, SearchStore } from './search-store.ts';
import { sendPostings } from './send-postings.ts';
import { CORPUS_KEY, termKey } from './term-key.ts';

export interface PublisherParts {
  readonly nodes: IndexNodes;
  readonly client: SearchClient;
  readonly store: SearchStore;
  readonly selfPeerId: string;
  readonly sign: (bytes: Uint8Array) => Promise<Uint8Array>;
  readonly replicas: () => number;
  readonly nowUnixMs: () => number;
  readonly log: (record: Record<string, unknown>) => void;
}

export interface PublishReport {
  readonly cid: string;
  /** Posting lists the document is in (terms and stem lists). */
  readonly lists: number;
  /** Lists held by fewer than `replicas` nodes after delivery: too few nodes, or too many failed. */
  readonly listsShort: number;
  /** Postings held, over all lists and their replicas. */
  readonly postingsStored: number;
  readonly replicas: number;
  /** Distinct nodes that took postings (this node included when it is among the closest). */
  readonly nodes: number;
  readonly failedNodes: number;
  readonly publishedAtUnixMs: number;
}

export interface WithdrawReport {
  readonly cid: string;
  /** Nodes that took the withdrawal. */
  readonly nodes: number;
  readonly failedNodes: number;
}

const DELIVERY = { concurrency: 8, rounds: 3 } as const;

export class SearchPublisher {
  private readonly parts: PublisherParts;

  constructor(parts: PublisherParts) {
    this.parts = parts;
  }

  /** Publishes (or republishes) a document: `text` for --index-text, else null. The metadata is checked. */
  async publish(cid: string, metadata: DublinCore, text: string | null): Promise<PublishReport> {
    const terms = documentTermsOf(metadata, text);
    const previous = this.parts.store.published(cid);
    // A new publication is later than the last, even if the clock went back.
    const publishedAtUnixMs = Math.max(this.parts.nowUnixMs(), (previous?.publishedAtUnixMs ?? 0) + 1);
    const document: PublishedDocument = { cid, metadata, terms: terms.terms, documentTerms: terms.documentTerms, publishedAtUnixMs };
    const report = await this.send(document);
    if (previous !== undefined) {
      // Lists the document was in and is no longer: their holders get a withdrawal of everything
      // before this publication (the lists it is still in got newer postings, which replace the old).
      const now = new Set(postingsOf(document, this.parts.selfPeerId).map((posting) => posting.term));
      const dropped = postingsOf(previous, this.parts.selfPeerId).map((posting) => posting.term).filter((term) => !now.has(term));
      if (dropped.length > 0) await this.sendWithdrawal(cid, publishedAtUnixMs - 1, dropped);
    }
    this.parts.store.savePublished(document);
    await this.publishSummary();
    return report;
  }

  /** Withdraws a document this node published: its holders drop the postings and keep a tombstone. */
  async withdraw(cid: string): Promise<WithdrawReport> {
    const published = this.parts.store.published(cid);
    if (published === undefined) throw new NotPublishedError(cid);
    const withdrawnAtUnixMs = Math.max(this.parts.nowUnixMs(), published.publishedAtUnixMs);
    const delivery = await this.sendWithdrawal(cid, withdrawnAtUnixMs, postingsOf(published, this.parts.selfPeerId).map((posting) => posting.term));
    this.parts.store.removePublished(cid);
    await this.publishSummary();
    this.parts.log({ level: 'info', event: 'searchWithdrawn', cid, nodes: delivery.nodes.size });
    return { cid, nodes: delivery.nodes.size, failedNodes: delivery.failedNodes.size };
  }

  /** A signed withdrawal of `cid` as of `withdrawnAtUnixMs`, to the holders of `lists` (once per node). */
  private async sendWithdrawal(cid: string, withdrawnAtUnixMs: number, lists: readonly string[]): Promise<Delivery> {
    const withdrawal = { cid, publisher: this.parts.selfPeerId, withdrawnAtUnixMs };
    const signed: SignedWithdrawal = { withdrawal, signature: await this.parts.sign(withdrawalSigningBytes(withdrawal)) };
    const asked = new Set<string>();
    return deliver(this.parts.nodes, lists.map((term) => ({ key: termKey(term), item: signed })), { replicas: this.parts.replicas(), ...DELIVERY }, async (node) => {
      if (asked.has(node.peerId)) return [true];
      asked.add(node.peerId);
      const answer = await this.parts.client.ask(node.target, { kind: 'withdraw', withdrawals: [signed] });
      if (answer.kind !== 'withdrawn') throw new SearchProtocolError(`a ${answer.kind} answer to withdraw`);
      return [true];
    });
  }

  /** Withdraws `cid` if this node publishes it (its last pin went); false when it does not. */
  async withdrawIfPublished(cid: string): Promise<boolean> {
    if (this.parts.store.published(cid) === undefined) return false;
    await this.withdraw(cid);
    return true;
  }

  /** Republishes every document with a fresh time (before its postings expire), and the summary. */
  async republishAll(): Promise<number> {
    let republished = 0;
    for (const document of this.parts.store.allPublished()) {
      const fresh = { ...document, publishedAtUnixMs: this.parts.nowUnixMs() };
      try {
        await this.send(fresh);
        this.parts.store.savePublished(fresh);
        republished++;
      } catch (error) {
        this.parts.log({ level: 'warn', event: 'searchRepublishFailed', cid: document.cid, error: (error as Error).message });
      }
    }
    await this.publishSummary();
    return republished;
  }

  /** Sends this node's summary of what it publishes to the nodes closest to the corpus key. */
  async publishSummary(): Promise<void> {
    const summary = { publisher: this.parts.selfPeerId, ...this.parts.store.publishedTotals(), publishedAtUnixMs: this.parts.nowUnixMs() };
    const signed: SignedSummary = { summary, signature: await this.parts.sign(summarySigningBytes(summary)) };
    await deliver(this.parts.nodes, [{ key: CORPUS_KEY, item: signed }], { replicas: this.parts.replicas(), ...DELIVERY }, async (node, items) => {
      const answer = await this.parts.client.ask(node.target, { kind: 'summarize', summaries: items });
      if (answer.kind !== 'summarized') throw new SearchProtocolError(`a ${answer.kind} answer to summarize`);
      return items.map(() => true);
    });
  }

  private async send(document: PublishedDocument): Promise<PublishReport> {
    const publisher = this.parts.selfPeerId;
    const { cid, publishedAtUnixMs } = document;
    const recordValue = { cid, publisher, metadata: document.metadata, publishedAtUnixMs };
    const record: SignedDocumentRecord = { record: recordValue, signature: await this.parts.sign(documentSigningBytes(recordValue)) };
    const postings: SignedPosting[] = [];
    for (const posting of postingsOf(document, publisher)) postings.push({ posting, signature: await this.parts.sign(postingSigningBytes(posting)) });
    const entries = postings.map((signed) => ({ key: termKey(signed.posting.term), item: signed }));
    const replicas = this.parts.replicas();
    const delivery = await deliver(this.parts.nodes, entries, { replicas, ...DELIVERY }, (node, items) =>
      sendPostings(this.parts.client, node, items, () => [record]));
    const report: PublishReport = {
      cid, lists: postings.length, listsShort: delivery.stored.filter((count) => count < replicas).length,
      postingsStored: delivery.stored.reduce((sum, count) => sum + count, 0), replicas,
      nodes: delivery.nodes.size, failedNodes: delivery.failedNodes.size, publishedAtUnixMs,
    };
    this.parts.log({ level: 'info', event: 'searchPublished', ...report });
    return report;
  }
}

/** The postings of a published document, from the terms it stored. */
function postingsOf(document: PublishedDocument, publisher: string): Posting[] {
  return postingsOfTerms(document.cid, publisher, document, document.publishedAtUnixMs);
}
