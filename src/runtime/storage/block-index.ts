/**
 * The blockstore's index: every SQL statement the store runs, as synchronous methods over one
 * node:sqlite connection (block-index-schema.ts opens it). It knows nothing of files; the
 * blockstore orders file operations and index transactions (docs/storage-blockstore.md).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { CACHE_OWNER, LOCAL_OWNER } from './blockstore-limits.ts';
import { PreparedStatements } from '../sqlite-statements.ts';

export interface BlockRow {
  readonly digest: Uint8Array;
  readonly codec: number;
  readonly size: number;
  readonly owner: string;
  readonly addedAtMs: number;
  readonly accessedAtMs: number;
}

export interface PinRow {
  readonly digest: Uint8Array;
  readonly name: string;
  readonly recursive: boolean;
  readonly cid: string;
  readonly pinnedAtMs: number;
}

export type UnsettledOperation = 'put' | 'delete';

export interface UnsettledRow {
  readonly digest: Uint8Array;
  readonly operation: UnsettledOperation;
  readonly codec: number;
  readonly owner: string;
}

/** What a put records for one block. */
export interface IndexedPut {
  readonly digest: Uint8Array;
  readonly codec: number;
  readonly size: number;
  readonly owner: string;
  readonly links: readonly Uint8Array[];
}

export interface Usage {
  readonly blocks: number;
  readonly bytes: number;
}

const PAGE_ROWS = 1000;

interface RawBlockRow {
  digest: Uint8Array;
  codec: number;
  size: number;
  owner: string;
  added_at_ms: number;
  accessed_at_ms: number;
}

export class BlockIndex {
  private readonly database: DatabaseSync;
  private synchronous: 'NORMAL' | 'FULL' = 'NORMAL';
  private readonly statements: PreparedStatements;

  constructor(database: DatabaseSync) {
    this.database = database;
    this.statements = new PreparedStatements(database);
  }

  close(): void {
    this.database.close();
  }

  /**
   * Runs `body` in one transaction. `durable` commits with synchronous=FULL (the log is fsynced
   * before COMMIT returns), for commits whose loss in a power failure would break a promise;
   * otherwise NORMAL, which survives any process crash.
   */
  transaction<T>(durable: boolean, body: () => T): T {
    const wanted = durable ? 'FULL' : 'NORMAL';
    if (this.synchronous !== wanted) {
      this.database.exec(`PRAGMA synchronous = ${wanted}`);
      this.synchronous = wanted;
    }
    this.database.exec('BEGIN');
    try {
      const result = body();
      this.database.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.database.isTransaction) this.database.exec('ROLLBACK');
      throw error;
    }
  }

  // Blocks.

  row(digest: Uint8Array): BlockRow | undefined {
    const raw = this.statement('SELECT * FROM blocks WHERE digest = ?').get(digest) as RawBlockRow | undefined;
    return raw === undefined ? undefined : toBlockRow(raw);
  }

  size(digest: Uint8Array): number | undefined {
    const row = this.statement('SELECT size FROM blocks WHERE digest = ?').get(digest) as { size: number } | undefined;
    return row?.size;
  }

  /** Rows in digest order after `after` (exclusive), a page at a time: safe to interleave with writes. */
  page(after: Uint8Array | undefined, limit = PAGE_ROWS): BlockRow[] {
    const rows =
      after === undefined
        ? this.statement('SELECT * FROM blocks ORDER BY digest LIMIT ?').all(limit)
        : this.statement('SELECT * FROM blocks WHERE digest > ? ORDER BY digest LIMIT ?').all(after, limit);
    return (rows as unknown as RawBlockRow[]).map(toBlockRow);
  }

  /** The blocks a block links to, as recorded at its put, with their codec when they are stored (null when not). */
  children(digest: Uint8Array): { readonly digest: Uint8Array; readonly codec: number | null }[] {
    return this.statement('SELECT links.child AS digest, blocks.codec AS codec FROM links LEFT JOIN blocks ON blocks.digest = links.child WHERE links.parent = ?')
      .all(digest) as unknown as { digest: Uint8Array; codec: number | null }[];
  }

  count(): number {
    return (this.statement('SELECT count(*) AS n FROM blocks').get() as { n: number }).n;
  }

  /** Blocks and bytes held for one owner, or for everyone: one SUM over the (owner, size) index. */
  usage(owner?: string): Usage {
    const row = (
      owner === undefined
        ? this.statement('SELECT count(*) AS blocks, coalesce(sum(size), 0) AS bytes FROM blocks').get()
        : this.statement('SELECT count(*) AS blocks, coalesce(sum(size), 0) AS bytes FROM blocks WHERE owner = ?').get(owner)
    ) as { blocks: number; bytes: number };
    return { blocks: row.blocks, bytes: row.bytes };
  }

  // Puts: intent, then commit.

  /** Before any file is renamed into place: the digests become unsettled and their links are recorded. */
  recordPutIntent(puts: readonly IndexedPut[], nowMs: number): void {
    const unsettled = this.statement(
      "INSERT INTO unsettled (digest, operation, codec, owner, since_ms) VALUES (?, 'put', ?, ?, ?) " +
        "ON CONFLICT (digest) DO UPDATE SET operation = 'put', codec = excluded.codec, owner = excluded.owner, since_ms = excluded.since_ms",
    );
    this.transaction(false, () => {
      for (const put of puts) {
        unsettled.run(put.digest, put.codec, put.owner, nowMs);
        this.insertLinks(put.digest, put.links);
      }
    });
  }

  /**
   * After the files are in place: the rows, in one transaction. A block already indexed keeps its
   * first added time and gets a new access time; 'local' wins the owner tag (our own data is never
   * charged to a peer's quota), any other owner keeps the first — except 'cache', which any other
   * owner takes over (a cached block that is then stored for a peer is charged to that peer).
   */
  commitPuts(puts: readonly IndexedPut[], settled: readonly Uint8Array[], session: number | undefined, nowMs: number, durable: boolean): void {
    const upsert = this.statement(
      'INSERT INTO blocks (digest, codec, size, owner, added_at_ms, accessed_at_ms) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (digest) DO UPDATE SET size = excluded.size, accessed_at_ms = max(blocks.accessed_at_ms, excluded.accessed_at_ms), ' +
        `owner = CASE WHEN excluded.owner = '${LOCAL_OWNER}' OR blocks.owner = '${CACHE_OWNER}' THEN excluded.owner ELSE blocks.owner END`,
    );
    const settle = this.statement('DELETE FROM unsettled WHERE digest = ?');
    const protect = this.statement('INSERT OR IGNORE INTO temp.session_blocks (session, digest) VALUES (?, ?)');
    this.transaction(durable, () => {
      for (const put of puts) {
        upsert.run(put.digest, put.codec, put.size, put.owner, nowMs, nowMs);
        this.insertLinks(put.digest, put.links);
        if (session !== undefined) protect.run(session, put.digest);
      }
      for (const digest of settled) settle.run(digest);
    });
  }

  private insertLinks(parent: Uint8Array, children: readonly Uint8Array[]): void {
    if (children.length === 0) return;
    const insert = this.statement('INSERT OR IGNORE INTO links (parent, child) VALUES (?, ?)');
    for (const child of children) insert.run(parent, child);
  }

  // Deletions: drop the rows and mark the digests unsettled, then remove the files, then settle.

  /** Drops the rows (and their outgoing links) of blocks about to be removed; returns the bytes they held. */
  dropRows(digests: readonly Uint8Array[], nowMs: number, durable: boolean): number {
    return this.transaction(durable, () => this.dropRowsInTransaction(digests, nowMs));
  }

  settle(digests: readonly Uint8Array[]): void {
    if (digests.length === 0) return;
    const settle = this.statement('DELETE FROM unsettled WHERE digest = ?');
    this.transaction(false, () => {
      for (const digest of digests) settle.run(digest);
    });
  }

  unsettled(): UnsettledRow[] {
    return this.statement('SELECT digest, operation, codec, owner FROM unsettled').all() as unknown as UnsettledRow[];
  }

  /** Indexes a block found on disk (recovery, fsck). Does nothing if it is indexed already. */
  adopt(digest: Uint8Array, codec: number, size: number, owner: string, nowMs: number): void {
    this.transaction(false, () => {
      this.statement(
        'INSERT INTO blocks (digest, codec, size, owner, added_at_ms, accessed_at_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING',
      ).run(digest, codec, size, owner || LOCAL_OWNER, nowMs, nowMs);
    });
  }

  /** Links recorded for parents that are neither indexed nor being put (a put that never got its file in place). */
  dropLinksOfAbsentParents(parents: readonly Uint8Array[]): void {
    const drop = this.statement('DELETE FROM links WHERE parent = ?1 AND NOT EXISTS (SELECT 1 FROM blocks WHERE digest = ?1)');
    this.transaction(false, () => {
      for (const parent of parents) drop.run(parent);
    });
  }

  // Access times.

  recordAccesses(accesses: ReadonlyMap<string, { readonly digest: Uint8Array; readonly atMs: number }>): void {
    const touch = this.statement('UPDATE blocks SET accessed_at_ms = max(accessed_at_ms, ?) WHERE digest = ?');
    this.transaction(false, () => {
      for (const access of accesses.values()) touch.run(access.atMs, access.digest);
    });
  }

  // Pins.

  pin(digest: Uint8Array, name: string, recursive: boolean, cid: string, nowMs: number): void {
    this.transaction(true, () => {
      this.statement(
        'INSERT INTO pins (digest, name, recursive, cid, pinned_at_ms) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT (digest, name) DO UPDATE SET recursive = excluded.recursive, cid = excluded.cid',
      ).run(digest, name, recursive ? 1 : 0, cid, nowMs);
    });
  }

  /** Removes the pin of that name, or every pin of the block if `name` is undefined; returns how many. */
  unpin(digest: Uint8Array, name: string | undefined): number {
    return this.transaction(true, () => {
      const result =
        name === undefined
          ? this.statement('DELETE FROM pins WHERE digest = ?').run(digest)
          : this.statement('DELETE FROM pins WHERE digest = ? AND name = ?').run(digest, name);
      return Number(result.changes);
    });
  }

  /** Every pin, or those of one name. */
  pins(name?: string): PinRow[] {
    const rows = (name === undefined
      ? this.statement('SELECT digest, name, recursive, cid, pinned_at_ms FROM pins ORDER BY pinned_at_ms, cid, name').all()
      : this.statement('SELECT digest, name, recursive, cid, pinned_at_ms FROM pins WHERE name = ? ORDER BY pinned_at_ms, cid').all(name)) as unknown as {
      digest: Uint8Array;
      name: string;
      recursive: number;
      cid: string;
      pinned_at_ms: number;
    }[];
    return rows.map((row) => ({ digest: row.digest, name: row.name, recursive: row.recursive === 1, cid: row.cid, pinnedAtMs: row.pinned_at_ms }));
  }

  /**
   * How a block is pinned: a pin of its own, or a recursive pin on one of its ancestors (walking
   * links upwards; UNION visits each block once, so a cycle in caller-declared links ends).
   */
  pinnedBy(digest: Uint8Array): { readonly name: string; readonly cid: string; readonly direct: boolean } | undefined {
    const row = this.statement(
      'WITH RECURSIVE up(digest) AS (SELECT ?1 UNION SELECT links.parent FROM links JOIN up ON links.child = up.digest) ' +
        'SELECT pins.name, pins.cid, pins.digest = ?1 AS direct FROM up JOIN pins ON pins.digest = up.digest ' +
        'WHERE pins.digest = ?1 OR pins.recursive = 1 LIMIT 1',
    ).get(digest) as { name: string; cid: string; direct: number } | undefined;
    return row === undefined ? undefined : { name: row.name, cid: row.cid, direct: row.direct === 1 };
  }

  /** Derived reference counts: indexed parents that link to the block, and pins on it. */
  references(digest: Uint8Array): { readonly parents: number; readonly pins: number } {
    const row = this.statement(
      'SELECT (SELECT count(*) FROM links JOIN blocks ON blocks.digest = links.parent WHERE links.child = ?1) AS parents, ' +
        '(SELECT count(*) FROM pins WHERE digest = ?1) AS pins',
    ).get(digest) as { parents: number; pins: number };
    return { parents: row.parents, pins: row.pins };
  }

  // Sessions (TEMP tables: this connection only).

  openSession(expiresAtMs: number): number {
    const result = this.statement('INSERT INTO temp.sessions (expires_at_ms) VALUES (?)').run(expiresAtMs);
    return Number(result.lastInsertRowid);
  }

  renewSession(session: number, expiresAtMs: number): boolean {
    return Number(this.statement('UPDATE temp.sessions SET expires_at_ms = ? WHERE id = ?').run(expiresAtMs, session).changes) === 1;
  }

  sessionExpiresAtMs(session: number): number | undefined {
    const row = this.statement('SELECT expires_at_ms FROM temp.sessions WHERE id = ?').get(session) as { expires_at_ms: number } | undefined;
    return row?.expires_at_ms;
  }

  closeSession(session: number): void {
    this.transaction(false, () => {
      this.statement('DELETE FROM temp.session_blocks WHERE session = ?').run(session);
      this.statement('DELETE FROM temp.sessions WHERE id = ?').run(session);
    });
  }

  // Garbage collection.

  /**
   * Mark and sweep in one transaction. Live: every pinned block; everything reachable through
   * links from a recursive pin or from a block of an open session; and every block put or read
   * after `protectedSinceMs` (so a grace of 0 keeps nothing for its age). The recursive CTE's UNION visits each digest once, so the walk is
   * bounded by the number of distinct digests in links even if declared links form a cycle.
   * Returns the swept digests (their rows gone, the digests unsettled until the files are removed).
   */
  sweep(nowMs: number, protectedSinceMs: number): { readonly digests: Uint8Array[]; readonly bytes: number; readonly live: number } {
    return this.transaction(true, () => {
      this.statement('DELETE FROM temp.session_blocks WHERE session IN (SELECT id FROM temp.sessions WHERE expires_at_ms <= ?)').run(nowMs);
      this.statement('DELETE FROM temp.sessions WHERE expires_at_ms <= ?').run(nowMs);
      this.statement('DELETE FROM temp.gc_live').run();
      this.statement(
        'INSERT INTO temp.gc_live (digest) ' +
          'WITH RECURSIVE roots(digest) AS (SELECT digest FROM pins WHERE recursive = 1 UNION SELECT digest FROM temp.session_blocks), ' +
          'reach(digest) AS (SELECT digest FROM roots UNION SELECT links.child FROM links JOIN reach ON links.parent = reach.digest) ' +
          'SELECT digest FROM reach UNION SELECT digest FROM pins',
      ).run();
      const victims = this.statement(
        'SELECT digest FROM blocks WHERE accessed_at_ms <= ? AND digest NOT IN (SELECT digest FROM temp.gc_live)',
      ).all(protectedSinceMs) as unknown as { digest: Uint8Array }[];
      const digests = victims.map((victim) => victim.digest);
      const live = this.count() - digests.length;
      const bytes = this.dropRowsInTransaction(digests, nowMs);
      this.statement('DELETE FROM temp.gc_live').run();
      return { digests, bytes, live };
    });
  }

  private dropRowsInTransaction(digests: readonly Uint8Array[], nowMs: number): number {
    const drop = this.statement('DELETE FROM blocks WHERE digest = ? RETURNING size');
    const unlink = this.statement('DELETE FROM links WHERE parent = ?');
    const unsettled = this.statement(
      "INSERT INTO unsettled (digest, operation, codec, owner, since_ms) VALUES (?, 'delete', 0, '', ?) " +
        "ON CONFLICT (digest) DO UPDATE SET operation = 'delete', since_ms = excluded.since_ms",
    );
    let bytes = 0;
    for (const digest of digests) {
      const row = drop.get(digest) as { size: number } | undefined;
      bytes += row?.size ?? 0;
      unlink.run(digest);
      unsettled.run(digest, nowMs);
    }
    return bytes;
  }

  /** Pinned or recursively reachable digests that are not indexed (the DAG is incomplete there). */
  pinnedMissing(limit: number): { readonly count: number; readonly digests: Uint8Array[] } {
    const sql =
      'WITH RECURSIVE roots(digest) AS (SELECT digest FROM pins WHERE recursive = 1), ' +
      'reach(digest) AS (SELECT digest FROM roots UNION SELECT links.child FROM links JOIN reach ON links.parent = reach.digest), ' +
      'wanted(digest) AS (SELECT digest FROM reach UNION SELECT digest FROM pins) ' +
      'SELECT digest FROM wanted WHERE NOT EXISTS (SELECT 1 FROM blocks WHERE blocks.digest = wanted.digest)';
    const rows = this.statement(sql).all() as unknown as { digest: Uint8Array }[];
    return { count: rows.length, digests: rows.slice(0, limit).map((row) => row.digest) };
  }

  /** SQLite's own check of the database file (PRAGMA quick_check): 'ok' or the problems found. */
  quickCheck(): string[] {
    const rows = this.database.prepare('PRAGMA quick_check').all() as { quick_check: string }[];
    return rows.map((row) => row.quick_check);
  }

  /** Drops the rows of blocks whose files are gone (fsck repair). */
  dropMissing(digests: readonly Uint8Array[]): void {
    const drop = this.statement('DELETE FROM blocks WHERE digest = ?');
    const unlink = this.statement('DELETE FROM links WHERE parent = ?');
    this.transaction(true, () => {
      for (const digest of digests) {
        drop.run(digest);
        unlink.run(digest);
      }
    });
  }

  private statement(sql: string): StatementSync {
    return this.statements.get(sql);
  }
}

function toBlockRow(raw: RawBlockRow): BlockRow {
  return { digest: raw.digest, codec: raw.codec, size: raw.size, owner: raw.owner, addedAtMs: raw.added_at_ms, accessedAtMs: raw.accessed_at_ms };
}
