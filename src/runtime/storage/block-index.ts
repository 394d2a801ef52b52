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
  /** The pack holding the bytes (0: a loose file of layout version 1, not yet migrated). */
  readonly pack: number;
  /** Where the bytes start in the pack's file. */
  readonly offset: number;
}

/** Where a block's bytes are. */
export interface BlockLocation {
  readonly size: number;
  readonly pack: number;
  readonly offset: number;
}

export type PackState = 'writing' | 'live' | 'removing';

export interface PackRow {
  readonly id: number;
  readonly state: PackState;
  readonly bytes: number;
  readonly liveBlocks: number;
  readonly liveBytes: number;
}

export interface PinRow {
  readonly digest: Uint8Array;
  readonly name: string;
  readonly recursive: boolean;
  readonly cid: string;
  readonly pinnedAtMs: number;
}

/** What a put records for one block. */
export interface IndexedPut {
  readonly digest: Uint8Array;
  readonly codec: number;
  readonly size: number;
  readonly owner: string;
  readonly links: readonly Uint8Array[];
}

/** A put whose bytes were written: where to. */
export interface LocatedPut extends IndexedPut {
  readonly offset: number;
}

/** A pin to make: the block's digest, the pin's name, whether it covers what the block links to, and the CID as text. */
export interface PinRequest {
  readonly digest: Uint8Array;
  readonly name: string;
  readonly recursive: boolean;
  readonly cid: string;
}

export interface Usage {
  readonly blocks: number;
  readonly bytes: number;
}

const PAGE_ROWS = 1000;

/** The `pack` of a row whose bytes are still a loose file of layout version 1 (loose-block-migration.ts). */
export const LOOSE_PACK = 0;

interface RawBlockRow {
  digest: Uint8Array;
  codec: number;
  size: number;
  owner: string;
  added_at_ms: number;
  accessed_at_ms: number;
  pack: number;
  offset: number;
}

interface RawPackRow {
  id: number;
  state: PackState;
  bytes: number;
  live_blocks: number;
  live_bytes: number;
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

  /**
   * Makes every transaction committed so far durable, those committed with synchronous=NORMAL
   * too: a FULL checkpoint syncs the log, copies it into the database file and syncs that.
   */
  checkpointDurably(): void {
    this.database.exec('PRAGMA wal_checkpoint(FULL)');
  }

  // Blocks.

  row(digest: Uint8Array): BlockRow | undefined {
    const raw = this.statement('SELECT * FROM blocks WHERE digest = ?').get(digest) as RawBlockRow | undefined;
    return raw === undefined ? undefined : toBlockRow(raw);
  }

  location(digest: Uint8Array): BlockLocation | undefined {
    return this.statement('SELECT size, pack, offset FROM blocks WHERE digest = ?').get(digest) as BlockLocation | undefined;
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

  // Puts: a pack is allocated ('writing'), its file written, then its blocks committed.

  /** Allocates a pack for a put about to write its file; recovery removes it if the put never commits. */
  beginPack(nowMs: number): number {
    return this.transaction(false, () => {
      const row = this.statement("INSERT INTO packs (state, bytes, live_blocks, live_bytes, since_ms) VALUES ('writing', 0, 0, 0, ?) RETURNING id").get(nowMs) as { id: number };
      return row.id;
    });
  }

  /** Forgets a pack whose put failed before its file was in place. */
  abandonPack(id: number): void {
    this.transaction(false, () => this.statement("DELETE FROM packs WHERE id = ? AND state = 'writing'").run(id));
  }

  /**
   * After the pack's file is in place: in one transaction, the written blocks' rows point into
   * it (a block that was stored elsewhere — a put repairing it — leaves its old pack), the
   * blocks already stored get a new access time, links are recorded, and the pack goes live.
   * A block already indexed keeps its first added time; 'local' wins the owner tag (our own data is
   * never charged to a peer's quota), any other owner keeps the first — except 'cache', which any
   * other owner takes over (a cached block that is then stored for a peer is charged to that
   * peer). With `pin`, the pin is made in the same transaction, which is then durable: one fsync
   * of the log for a put and its pin. Returns the packs left with nothing live (now 'removing':
   * remove their files).
   */
  commitPuts(
    written: readonly LocatedPut[], existing: readonly IndexedPut[], pack: { readonly id: number; readonly bytes: number } | undefined,
    session: number | undefined, nowMs: number, durable: boolean, pin?: PinRequest,
  ): number[] {
    const ownerRule = `owner = CASE WHEN excluded.owner = '${LOCAL_OWNER}' OR blocks.owner = '${CACHE_OWNER}' THEN excluded.owner ELSE blocks.owner END`;
    const upsert = this.statement(
      'INSERT INTO blocks (digest, codec, size, owner, added_at_ms, accessed_at_ms, pack, offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (digest) DO UPDATE SET size = excluded.size, pack = excluded.pack, offset = excluded.offset, ' +
        `accessed_at_ms = max(blocks.accessed_at_ms, excluded.accessed_at_ms), ${ownerRule}`,
    );
    const touch = this.statement(
      "UPDATE blocks SET accessed_at_ms = max(accessed_at_ms, ?2), " +
        `owner = CASE WHEN ?3 = '${LOCAL_OWNER}' OR owner = '${CACHE_OWNER}' THEN ?3 ELSE owner END WHERE digest = ?1`,
    );
    const previous = this.statement('SELECT pack, size FROM blocks WHERE digest = ?');
    const protect = this.statement('INSERT OR IGNORE INTO temp.session_blocks (session, digest) VALUES (?, ?)');
    return this.transaction(durable || pin !== undefined, () => {
      const left = new Set<number>();
      let liveBytes = 0;
      for (const put of written) {
        const before = previous.get(put.digest) as { pack: number; size: number } | undefined;
        if (before !== undefined && pack !== undefined && before.pack !== pack.id) {
          this.leavePack(before.pack, before.size);
          left.add(before.pack);
        }
        upsert.run(put.digest, put.codec, put.size, put.owner, nowMs, nowMs, pack?.id ?? 0, put.offset);
        liveBytes += put.size;
      }
      for (const put of existing) touch.run(put.digest, nowMs, put.owner);
      for (const put of [...written, ...existing]) {
        this.insertLinks(put.digest, put.links);
        if (session !== undefined) protect.run(session, put.digest);
      }
      if (pack !== undefined) {
        this.statement("UPDATE packs SET state = 'live', bytes = ?, live_blocks = ?, live_bytes = ? WHERE id = ?").run(pack.bytes, written.length, liveBytes, pack.id);
      }
      if (pin !== undefined) this.pinInTransaction(pin, nowMs);
      return this.retireEmptied(left);
    });
  }

  /**
   * Records what a stored block links to, beside what is recorded already; nothing if the block is
   * not stored. Durable: the links are what gc follows from a recursive pin.
   */
  addLinks(parent: Uint8Array, children: readonly Uint8Array[]): void {
    this.transaction(true, () => {
      if (this.size(parent) === undefined) return;
      this.insertLinks(parent, children);
    });
  }

  private insertLinks(parent: Uint8Array, children: readonly Uint8Array[]): void {
    if (children.length === 0) return;
    const insert = this.statement('INSERT OR IGNORE INTO links (parent, child) VALUES (?, ?)');
    for (const child of children) insert.run(parent, child);
  }

  /** One block's row no longer points into `pack` (LOOSE_PACK, a loose file, has no row to count). */
  private leavePack(pack: number, size: number): void {
    if (pack === LOOSE_PACK) return;
    this.statement('UPDATE packs SET live_blocks = live_blocks - 1, live_bytes = live_bytes - ? WHERE id = ?').run(size, pack);
  }

  /** Of these packs, those with nothing live left become 'removing'; returns their ids. */
  private retireEmptied(packs: Iterable<number>): number[] {
    const retire = this.statement("UPDATE packs SET state = 'removing' WHERE id = ? AND state = 'live' AND live_blocks <= 0 RETURNING id");
    const emptied: number[] = [];
    for (const pack of packs) {
      const row = retire.get(pack) as { id: number } | undefined;
      if (row !== undefined) emptied.push(row.id);
    }
    return emptied;
  }

  // Removals: the rows go in one transaction; packs left empty are removed after it.

  /**
   * Drops the rows (and their outgoing links) of blocks no longer stored; returns the bytes they
   * held and the packs left with nothing live (now 'removing': remove their files, then
   * forgetPacks).
   */
  dropRows(digests: readonly Uint8Array[], durable: boolean): { readonly bytes: number; readonly emptied: number[] } {
    return this.transaction(durable, () => this.dropRowsInTransaction(digests));
  }

  private dropRowsInTransaction(digests: readonly Uint8Array[]): { readonly bytes: number; readonly emptied: number[] } {
    const drop = this.statement('DELETE FROM blocks WHERE digest = ? RETURNING size, pack');
    const unlink = this.statement('DELETE FROM links WHERE parent = ?');
    const touched = new Set<number>();
    let bytes = 0;
    for (const digest of digests) {
      const row = drop.get(digest) as { size: number; pack: number } | undefined;
      unlink.run(digest);
      if (row === undefined) continue;
      bytes += row.size;
      this.leavePack(row.pack, row.size);
      touched.add(row.pack);
    }
    return { bytes, emptied: this.retireEmptied(touched) };
  }

  /** Deletes the rows of packs whose files are gone (or were never written). */
  forgetPacks(ids: readonly number[]): void {
    if (ids.length === 0) return;
    const forget = this.statement('DELETE FROM packs WHERE id = ?');
    this.transaction(false, () => {
      for (const id of ids) forget.run(id);
    });
  }

  /** Makes sure no pack is ever allocated an id up to `id` (pack files the index does not know keep theirs). */
  reservePackIds(id: number): void {
    this.transaction(false, () => {
      this.statement("INSERT INTO sqlite_sequence (name, seq) SELECT 'packs', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'packs')").run();
      this.statement("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'packs'").run(id);
    });
  }

  /** Packs an interrupted operation left 'writing' or 'removing' (recovery visits exactly these). */
  unsettledPacks(): PackRow[] {
    return (this.statement("SELECT id, state, bytes, live_blocks, live_bytes FROM packs WHERE state <> 'live'").all() as unknown as RawPackRow[]).map(toPackRow);
  }

  pack(id: number): PackRow | undefined {
    const raw = this.statement('SELECT id, state, bytes, live_blocks, live_bytes FROM packs WHERE id = ?').get(id) as RawPackRow | undefined;
    return raw === undefined ? undefined : toPackRow(raw);
  }

  /** Every pack row, in id order. */
  packs(): PackRow[] {
    return (this.statement('SELECT id, state, bytes, live_blocks, live_bytes FROM packs ORDER BY id').all() as unknown as RawPackRow[]).map(toPackRow);
  }

  /** Live packs whose live bytes are at most `fraction` of their size, emptiest first. */
  sparsePacks(fraction: number, limit: number): PackRow[] {
    return (this.statement(
      "SELECT id, state, bytes, live_blocks, live_bytes FROM packs WHERE state = 'live' AND live_bytes <= bytes * ? ORDER BY CAST(live_bytes AS REAL) / max(bytes, 1) LIMIT ?",
    ).all(fraction, limit) as unknown as RawPackRow[]).map(toPackRow);
  }

  /** Bytes no row points at in the packs compaction would rewrite (live bytes at most `fraction` of their size). */
  sparseDeadBytes(fraction: number): number {
    return (this.statement("SELECT coalesce(sum(bytes - live_bytes), 0) AS dead FROM packs WHERE state = 'live' AND live_bytes <= bytes * ?").get(fraction) as { dead: number }).dead;
  }

  /** The rows pointing into a pack, in offset order. */
  rowsInPack(pack: number): BlockRow[] {
    return (this.statement('SELECT * FROM blocks WHERE pack = ? ORDER BY offset').all(pack) as unknown as RawBlockRow[]).map(toBlockRow);
  }

  /**
   * Moves rows into a new pack in one transaction: compaction's commit (from the packs it
   * rewrote), and the layout-version-1 migration's (from pack 0, the loose files). Only rows still
   * in one of `from` move; the new pack goes live with their count, and each old pack with no row
   * left becomes 'removing' (returned: remove their files). Rows whose bytes did not verify were
   * dropped before (dropRows).
   */
  relocate(moves: readonly { readonly digest: Uint8Array; readonly offset: number; readonly size: number }[], into: { readonly id: number; readonly bytes: number } | undefined, from: readonly number[]): number[] {
    const where = this.statement('SELECT pack FROM blocks WHERE digest = ?');
    const move = this.statement('UPDATE blocks SET pack = ?, offset = ? WHERE digest = ?');
    const fromSet = new Set(from);
    return this.transaction(true, () => {
      let liveBytes = 0;
      let liveBlocks = 0;
      for (const moved of into === undefined ? [] : moves) {
        const row = where.get(moved.digest) as { pack: number } | undefined;
        if (row === undefined || !fromSet.has(row.pack)) continue;
        move.run((into as { id: number }).id, moved.offset, moved.digest);
        liveBytes += moved.size;
        liveBlocks++;
      }
      if (into !== undefined) {
        this.statement("UPDATE packs SET state = 'live', bytes = ?, live_blocks = ?, live_bytes = ? WHERE id = ?").run(into.bytes, liveBlocks, liveBytes, into.id);
      }
      // Whatever the counters say, an old pack no row points into is done with (pack 0 has no row).
      const emptied: number[] = [];
      for (const id of from) {
        if (id === LOOSE_PACK || this.statement('SELECT 1 FROM blocks WHERE pack = ? LIMIT 1').get(id) !== undefined) continue;
        this.statement("UPDATE packs SET state = 'removing', live_blocks = 0, live_bytes = 0 WHERE id = ?").run(id);
        emptied.push(id);
      }
      return emptied;
    });
  }

  /**
   * Packs whose live counters disagree with the rows pointing into them (fsck), with the counts the
   * rows give; `repair` sets them (and retires packs that turn out empty).
   */
  packCounterDrift(repair: boolean): { readonly id: number; readonly liveBlocks: number; readonly liveBytes: number }[] {
    const drift = this.statement(
      "SELECT packs.id AS id, count(blocks.digest) AS blocks, coalesce(sum(blocks.size), 0) AS bytes, packs.live_blocks AS live_blocks, packs.live_bytes AS live_bytes " +
        "FROM packs LEFT JOIN blocks ON blocks.pack = packs.id WHERE packs.state = 'live' GROUP BY packs.id " +
        'HAVING count(blocks.digest) <> packs.live_blocks OR coalesce(sum(blocks.size), 0) <> packs.live_bytes',
    ).all() as unknown as { id: number; blocks: number; bytes: number }[];
    if (repair && drift.length > 0) {
      const set = this.statement('UPDATE packs SET live_blocks = ?, live_bytes = ? WHERE id = ?');
      this.transaction(true, () => {
        for (const row of drift) set.run(row.blocks, row.bytes, row.id);
      });
    }
    return drift.map((row) => ({ id: row.id, liveBlocks: row.blocks, liveBytes: row.bytes }));
  }

  /**
   * Indexes the blocks of a pack file the index did not know (fsck repair): the pack becomes live
   * under its own id, and each block not already stored gets a row pointing into it. Returns the
   * digests adopted.
   */
  adoptPack(id: number, bytes: number, entries: readonly { readonly digest: Uint8Array; readonly codec: number; readonly size: number; readonly offset: number }[], owner: string, nowMs: number): Uint8Array[] {
    const insert = this.statement(
      'INSERT INTO blocks (digest, codec, size, owner, added_at_ms, accessed_at_ms, pack, offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING RETURNING size',
    );
    return this.transaction(true, () => {
      const adopted: Uint8Array[] = [];
      let liveBytes = 0;
      for (const entry of entries) {
        const row = insert.get(entry.digest, entry.codec, entry.size, owner, nowMs, nowMs, id, entry.offset) as { size: number } | undefined;
        if (row === undefined) continue;
        adopted.push(entry.digest);
        liveBytes += entry.size;
      }
      this.statement("INSERT INTO packs (id, state, bytes, live_blocks, live_bytes, since_ms) VALUES (?, 'live', ?, ?, ?, ?)").run(id, bytes, adopted.length, liveBytes, nowMs);
      return adopted;
    });
  }

  // Layout version 1 (a file per block): what the migration into packs reads and changes.

  /** Rows whose bytes are still a loose file of layout version 1 (LOOSE_PACK). */
  looseRows(limit: number): BlockRow[] {
    return (this.statement('SELECT * FROM blocks WHERE pack = ? ORDER BY digest LIMIT ?').all(LOOSE_PACK, limit) as unknown as RawBlockRow[]).map(toBlockRow);
  }

  /** Layout version 1's journal of digests whose file and row might disagree, if the store still has it. */
  versionOneJournal(): { readonly digest: Uint8Array; readonly operation: string }[] | undefined {
    const table = this.statement("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'unsettled'").get();
    if (table === undefined) return undefined;
    return this.database.prepare('SELECT digest, operation FROM unsettled').all() as unknown as { digest: Uint8Array; operation: string }[];
  }

  /** Once its digests are settled: the journal goes, and links of parents that never got a row with it. */
  dropVersionOneJournal(digests: readonly Uint8Array[]): void {
    const drop = this.statement('DELETE FROM links WHERE parent = ?1 AND NOT EXISTS (SELECT 1 FROM blocks WHERE digest = ?1)');
    this.transaction(true, () => {
      for (const digest of digests) drop.run(digest);
      this.database.exec('DROP TABLE unsettled');
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

  pin(pin: PinRequest, nowMs: number): void {
    this.transaction(true, () => this.pinInTransaction(pin, nowMs));
  }

  private pinInTransaction(pin: PinRequest, nowMs: number): void {
    this.statement(
      'INSERT INTO pins (digest, name, recursive, cid, pinned_at_ms) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (digest, name) DO UPDATE SET recursive = excluded.recursive, cid = excluded.cid',
    ).run(pin.digest, pin.name, pin.recursive ? 1 : 0, pin.cid, nowMs);
  }

  /**
   * Removes the pin of that name from each of `digests`, or every pin of theirs if `name` is
   * undefined, in one transaction (one fsync of the log, not one a block); returns how many.
   */
  unpinMany(digests: readonly Uint8Array[], name: string | undefined): number {
    return this.transaction(true, () => {
      const remove = name === undefined
        ? this.statement('DELETE FROM pins WHERE digest = ?')
        : this.statement('DELETE FROM pins WHERE digest = ? AND name = ?');
      let removed = 0;
      for (const digest of digests) removed += Number((name === undefined ? remove.run(digest) : remove.run(digest, name)).changes);
      return removed;
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
   * Returns the swept digests (their rows gone) and the packs left with nothing live.
   */
  sweep(nowMs: number, protectedSinceMs: number): { readonly digests: Uint8Array[]; readonly bytes: number; readonly live: number; readonly emptied: number[] } {
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
      const { bytes, emptied } = this.dropRowsInTransaction(digests);
      this.statement('DELETE FROM temp.gc_live').run();
      return { digests, bytes, live, emptied };
    });
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

  private statement(sql: string): StatementSync {
    return this.statements.get(sql);
  }
}

function toBlockRow(raw: RawBlockRow): BlockRow {
  return { digest: raw.digest, codec: raw.codec, size: raw.size, owner: raw.owner, addedAtMs: raw.added_at_ms, accessedAtMs: raw.accessed_at_ms, pack: raw.pack, offset: raw.offset };
}

function toPackRow(raw: RawPackRow): PackRow {
  return { id: raw.id, state: raw.state, bytes: raw.bytes, liveBlocks: raw.live_blocks, liveBytes: raw.live_bytes };
}
