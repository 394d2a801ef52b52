/**
 * The corpus statistics of the whole index (issue 7, item 2; docs/SEARCH.md, "Ranking"): BM25
 * weighs a term by how many of the N documents hold it and a document by its length against the
 * average. A term's holders know n(t); nobody knows N. So each publisher posts one signed summary —
 * how many documents it has published and their lengths summed — to the nodes closest to one
 * well-known key, which keep the newest per publisher; a searcher asks one of them for the sums.
 * One record per publisher, not per document, so the key's holders carry little. A CID published by
 * two publishers counts twice: N is the number of publications.
 *
 * Pure; the runtime checks signatures first.
 */
import type { SignedSummary } from './document-record.ts';

export interface CorpusTotals {
  readonly publishers: number;
  readonly documents: number;
  readonly documentTerms: number;
}

export interface CorpusSummariesOptions {
  readonly ttlMs: number;
  readonly clockSkewMs: number;
  /** Publishers whose summaries one holder keeps; past it, the oldest summary gives way. */
  readonly publishersMax: number;
}

export class CorpusSummaries {
  private readonly options: CorpusSummariesOptions;
  private readonly summaries = new Map<string, SignedSummary>();
  private changed = new Set<string>();

  constructor(options: CorpusSummariesOptions) {
    this.options = options;
  }

  /** Keeps `signed` if it is the newest of its publisher and not from the future or expired; returns why not otherwise. */
  admit(signed: SignedSummary, nowUnixMs: number): string | null {
    const { publisher, publishedAtUnixMs } = signed.summary;
    if (publishedAtUnixMs > nowUnixMs + this.options.clockSkewMs) return 'published in the future (beyond the clock skew allowed)';
    if (publishedAtUnixMs + this.options.ttlMs < nowUnixMs) return 'expired';
    const held = this.summaries.get(publisher);
    if (held !== undefined && held.summary.publishedAtUnixMs >= publishedAtUnixMs) return 'not newer than the summary held';
    this.summaries.set(publisher, signed);
    this.changed.add(publisher);
    if (this.summaries.size > this.options.publishersMax) this.dropOldest();
    // The one just admitted may itself be the oldest, and so the one that gave way.
    if (!this.summaries.has(publisher)) return 'older than every summary held, and the holder keeps no more publishers';
    return null;
  }

  totals(nowUnixMs: number): CorpusTotals {
    this.expire(nowUnixMs);
    let documents = 0;
    let documentTerms = 0;
    for (const { summary } of this.summaries.values()) {
      documents += summary.documents;
      documentTerms += summary.documentTerms;
    }
    return { publishers: this.summaries.size, documents, documentTerms };
  }

  count(): number {
    return this.summaries.size;
  }

  all(): SignedSummary[] {
    return [...this.summaries.values()];
  }

  get(publisher: string): SignedSummary | undefined {
    return this.summaries.get(publisher);
  }

  expire(nowUnixMs: number): void {
    for (const [publisher, { summary }] of this.summaries) {
      if (summary.publishedAtUnixMs + this.options.ttlMs < nowUnixMs) {
        this.summaries.delete(publisher);
        this.changed.add(publisher);
      }
    }
  }

  /** Publishers whose summary changed since the last call (the runtime rewrites them on disk). */
  takeChanges(): ReadonlySet<string> {
    const changed = this.changed;
    this.changed = new Set();
    return changed;
  }

  private dropOldest(): void {
    let oldest: SignedSummary | null = null;
    for (const signed of this.summaries.values()) {
      if (oldest === null || signed.summary.publishedAtUnixMs < oldest.summary.publishedAtUnixMs) oldest = signed;
    }
    if (oldest !== null) {
      this.summaries.delete(oldest.summary.publisher);
      this.changed.add(oldest.summary.publisher);
    }
  }
}
