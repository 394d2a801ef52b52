/**
 * Search on disk (docs/SEARCH.md, "On the network"): one SQLite file, `search.sqlite`, holding what
 * this node holds for the index — posting lists, document records, withdrawals, publisher
 * summaries — and what it has published itself (to republish and withdraw). The pure holders
 * (services/search/term-holder.ts, corpus-summaries.ts) are the working copy in memory; after each
 * change the runtime calls `save`, which rewrites what they say changed in one transaction. Records
 * are stored in their wire form and read back through the same checking decoders as a peer's, so a
 * damaged row is skipped (and reported), never trusted.
 */
import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import * as DagCbor from '@ipld/dag-cbor';
import type { CorpusSummaries } from '../../services/search/corpus-summaries.ts';
import {
  documentFromCbor, documentToCbor, summaryFromCbor, summaryToCbor, withdrawalFromCbor, withdrawalToCbor,
  type SignedDocumentRecord, type SignedSummary, type SignedWithdrawal,
} from '../../services/search/document-record.ts';
import { checkDublinCore, type DublinCore } from '../../services/search/dublin-core.ts';
import { decodePostingPage, encodePostingPage, type SignedPosting } from '../../services/search/posting.ts';
import type { TermHolder } from '../../services/search/term-holder.ts';
import { namingSqliteFile, openWalDatabase, PreparedStatements } from '../sqlite-statements.ts';

const SEARCH_FILE = 'search.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS postings (term TEXT NOT NULL, publisher TEXT NOT NULL, cid TEXT NOT NULL, entry BLOB NOT NULL, PRIMARY KEY (term, publisher, cid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS documents (key TEXT PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS withdrawals (key TEXT PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS summaries (publisher TEXT PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS published (
  cid TEXT PRIMARY KEY,
  metadata TEXT NOT NULL,
  terms TEXT NOT NULL,
  document_terms INTEGER NOT NULL,
  published_at_unix_ms INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** A document this node published: what it needs to sign its postings again. */
export interface PublishedDocument {
  readonly cid: string;
  readonly metadata: DublinCore;
  /** Each distinct term with its field bits and count (document-postings.ts, documentTermsOf). */
  readonly terms: ReadonlyMap<string, { readonly fields: number; readonly count: number }>;
  readonly documentTerms: number;
  readonly publishedAtUnixMs: number;
}

export interface LoadedIndex {
  readonly lists: Map<string, SignedPosting[]>;
  readonly documents: SignedDocumentRecord[];
  readonly withdrawals: SignedWithdrawal[];
  readonly summaries: SignedSummary[];
  /** Rows that did not decode: skipped. */
  readonly damaged: number;
}

export class SearchStore {
  private readonly path: string;
  private readonly database: DatabaseSync;
  private readonly statements: PreparedStatements;

  private constructor(path: string, database: DatabaseSync) {
    this.path = path;
    this.database = database;
    this.statements = new PreparedStatements(database);
  }

  static open(dataDir: string): SearchStore {
    const path = join(dataDir, SEARCH_FILE);
    return new SearchStore(path, openWalDatabase(path, SCHEMA));
  }

  /**
   * Everything held for the index, checked as it is read (a damaged record is counted and left
   * out; a file SQLite cannot read at all is a SqliteFileError that names it).
   */
  loadIndex(): LoadedIndex {
    return namingSqliteFile(this.path, () => this.readIndex());
  }

  private readIndex(): LoadedIndex {
    let damaged = 0;
    const lists = new Map<string, SignedPosting[]>();
    for (const row of this.statement('SELECT term, entry FROM postings').all() as { term: string; entry: Uint8Array }[]) {
      const page = decodePostingPage(row.entry);
      if (!page.ok || page.page.postings.length !== 1 || page.page.postings[0].posting.term !== row.term) {
        damaged++;
        continue;
      }
      const list = lists.get(row.term);
      if (list === undefined) lists.set(row.term, [page.page.postings[0]]);
      else list.push(page.page.postings[0]);
    }
    // Lists are kept newest first (admitPostings' order); rows come back in key order.
    for (const list of lists.values()) list.sort((a, b) => b.posting.publishedAtUnixMs - a.posting.publishedAtUnixMs);
    const read = <T>(sql: string, decode: (value: unknown) => { ok: true; value: T } | { ok: false }): T[] => {
      const values: T[] = [];
      for (const row of this.statement(sql).all() as { record: Uint8Array }[]) {
        let decoded: { ok: true; value: T } | { ok: false };
        try {
          decoded = decode(DagCbor.decode(row.record));
        } catch {
          decoded = { ok: false };
        }
        if (decoded.ok) values.push(decoded.value);
        else damaged++;
      }
      return values;
    };
    return {
      lists,
      documents: read('SELECT record FROM documents', documentFromCbor),
      withdrawals: read('SELECT record FROM withdrawals', withdrawalFromCbor),
      summaries: read('SELECT record FROM summaries', summaryFromCbor),
      damaged,
    };
  }

  /** Writes what the holders changed since the last save, in one transaction. */
  save(holder: TermHolder, summaries: CorpusSummaries): void {
    const changes = holder.takeChanges();
    const publishers = summaries.takeChanges();
    if (changes.added.size + changes.removed.size + changes.documents.size + changes.withdrawals.size + publishers.size === 0) return;
    this.transaction(() => {
      // Removals first: a replaced posting leaves under the key its successor then takes.
      const remove = this.statement('DELETE FROM postings WHERE term = ? AND publisher = ? AND cid = ?');
      for (const { posting } of changes.removed) remove.run(posting.term, posting.publisher, posting.cid);
      const insert = this.statement('INSERT OR REPLACE INTO postings (term, publisher, cid, entry) VALUES (?, ?, ?, ?)');
      for (const signed of changes.added) insert.run(signed.posting.term, signed.posting.publisher, signed.posting.cid, encodePostingPage([signed], null));
      for (const key of changes.documents) {
        const signed = holder.document(key);
        if (signed === undefined) this.statement('DELETE FROM documents WHERE key = ?').run(key);
        else this.statement('INSERT OR REPLACE INTO documents (key, record) VALUES (?, ?)').run(key, DagCbor.encode(documentToCbor(signed)));
      }
      for (const key of changes.withdrawals) {
        const signed = holder.withdrawal(key);
        if (signed === undefined) this.statement('DELETE FROM withdrawals WHERE key = ?').run(key);
        else this.statement('INSERT OR REPLACE INTO withdrawals (key, record) VALUES (?, ?)').run(key, DagCbor.encode(withdrawalToCbor(signed)));
      }
      for (const publisher of publishers) {
        const signed = summaries.get(publisher);
        if (signed === undefined) this.statement('DELETE FROM summaries WHERE publisher = ?').run(publisher);
        else this.statement('INSERT OR REPLACE INTO summaries (publisher, record) VALUES (?, ?)').run(publisher, DagCbor.encode(summaryToCbor(signed)));
      }
    });
  }

  /** Records (or replaces) a document this node publishes. */
  savePublished(document: PublishedDocument): void {
    this.statement(`INSERT OR REPLACE INTO published (cid, metadata, terms, document_terms, published_at_unix_ms) VALUES (?, ?, ?, ?, ?)`).run(
      document.cid, JSON.stringify(document.metadata), JSON.stringify([...document.terms]), document.documentTerms, document.publishedAtUnixMs,
    );
  }

  removePublished(cid: string): boolean {
    return this.statement('DELETE FROM published WHERE cid = ?').run(cid).changes > 0;
  }

  published(cid: string): PublishedDocument | undefined {
    const row = this.statement('SELECT * FROM published WHERE cid = ?').get(cid) as PublishedRow | undefined;
    return row === undefined ? undefined : toPublished(row) ?? undefined;
  }

  /** How many documents this node publishes, and their lengths in terms summed (its summary's figures). */
  publishedTotals(): { readonly documents: number; readonly documentTerms: number } {
    const row = this.statement('SELECT count(*) AS documents, coalesce(sum(document_terms), 0) AS documentTerms FROM published').get() as { documents: number; documentTerms: number };
    return { documents: row.documents, documentTerms: row.documentTerms };
  }

  /** Every document this node publishes (rows that do not read back are left out). */
  allPublished(): PublishedDocument[] {
    const rows = this.statement('SELECT * FROM published ORDER BY cid').all() as unknown as PublishedRow[];
    return rows.map(toPublished).filter((document): document is PublishedDocument => document !== null);
  }

  close(): void {
    this.database.close();
  }

  private transaction(run: () => void): void {
    this.database.exec('BEGIN');
    try {
      run();
      this.database.exec('COMMIT');
    } catch (error) {
      this.database.exec('ROLLBACK');
      throw error;
    }
  }

  private statement(sql: string): StatementSync {
    return this.statements.get(sql);
  }
}

interface PublishedRow {
  cid: string;
  metadata: string;
  terms: string;
  document_terms: number;
  published_at_unix_ms: number;
}

function toPublished(row: PublishedRow): PublishedDocument | null {
  try {
    const metadata = checkDublinCore(JSON.parse(row.metadata));
    const terms = new Map(JSON.parse(row.terms) as [string, { fields: number; count: number }][]);
    if (!metadata.ok) return null;
    return { cid: row.cid, metadata: metadata.metadata, terms, documentTerms: row.document_terms, publishedAtUnixMs: row.published_at_unix_ms };
  } catch {
    return null;
  }
}
