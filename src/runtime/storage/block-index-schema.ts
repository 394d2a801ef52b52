/**
 * Opening the index (`index.sqlite`): its settings, its schema, and the lock that keeps a second
 * process out.
 *
 * WAL mode: a commit appends to the log instead of rewriting pages, and readers never block the
 * writer. `synchronous` is NORMAL on the connection and raised to FULL for the transactions whose
 * loss would lose a promise made to a caller (block-index.ts, `transaction`): in WAL mode NORMAL
 * commits survive any process crash (the log is in the OS page cache) and never leave the database
 * inconsistent after a power loss — only the last commits may be lost — while FULL fsyncs the log
 * at each commit. The blockstore asks for FULL when a put's durability mode promises the block
 * survives a power loss, and for pins, unpins and deletions.
 *
 * The lock: `locking_mode=EXCLUSIVE` makes the connection hold SQLite's exclusive file lock from
 * its first transaction until it closes. A second opener — another process, or another store in
 * this process — gets SQLITE_BUSY at once (busy timeout 0), which becomes a BlockstoreLockedError;
 * it never touches the files. The kernel drops the lock when the holder dies, even by SIGKILL, so
 * there is no stale lock file to take over and no pid to be reused. (The lock is advisory fcntl
 * locking: a network file system without working locks is not supported, as for SQLite itself.)
 */
import { DatabaseSync } from 'node:sqlite';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { BlockstoreFormatError, BlockstoreLockedError } from './blockstore-errors.ts';
import { LayoutNames } from './block-layout.ts';

/** 'PGBS' (peergrid blockstore), so that a foreign SQLite file is refused rather than altered. */
const APPLICATION_ID = 0x50474253;
export const SCHEMA_VERSION = 2;

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_NOTADB = 26;

const PACKS_TABLE = `
CREATE TABLE packs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  state TEXT NOT NULL CHECK (state IN ('writing', 'live', 'removing')),
  bytes INTEGER NOT NULL,
  live_blocks INTEGER NOT NULL,
  live_bytes INTEGER NOT NULL,
  since_ms INTEGER NOT NULL
);
CREATE INDEX packs_by_state ON packs (state);
`;

/**
 * blocks    one row per stored block: the facts quotas and eviction need, and where its bytes are
 *           (`pack`, and `offset`, where the bytes start in that pack's file). accessed_at_ms is
 *           the last put or read (reads are written in batches).
 * links     parent → child edges, as the DAG layer declared them at put (facts about the parent's
 *           bytes, so they never change); gc follows them from recursive pins.
 * pins      named pins; a block may carry several (one per user or contract). recursive = 1
 *           keeps everything reachable through links.
 * packs     one row per pack file. 'writing': a put allocated it and may have renamed its file
 *           into place, but has not committed its blocks; 'live': its blocks are indexed;
 *           'removing': nothing live is left in it and its file is being removed. live_blocks and
 *           live_bytes count the rows that point into it, so gc knows which packs are mostly dead
 *           and worth compacting. Recovery at open visits exactly the rows that are not 'live'
 *           (docs/storage-blockstore.md, "Crash consistency"). AUTOINCREMENT: an id, and so a
 *           file name, is never used twice.
 * Reference counts are not stored: references() derives them from links and pins, so there is
 * one truth and nothing to drift.
 */
const SCHEMA = `
CREATE TABLE blocks (
  digest BLOB PRIMARY KEY NOT NULL,
  codec INTEGER NOT NULL,
  size INTEGER NOT NULL,
  owner TEXT NOT NULL,
  added_at_ms INTEGER NOT NULL,
  accessed_at_ms INTEGER NOT NULL,
  pack INTEGER NOT NULL,
  offset INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX blocks_by_owner ON blocks (owner, size);
CREATE INDEX blocks_by_pack ON blocks (pack);
CREATE TABLE links (
  parent BLOB NOT NULL,
  child BLOB NOT NULL,
  PRIMARY KEY (parent, child)
) WITHOUT ROWID;
CREATE INDEX links_by_child ON links (child, parent);
CREATE TABLE pins (
  digest BLOB NOT NULL,
  name TEXT NOT NULL,
  recursive INTEGER NOT NULL,
  cid TEXT NOT NULL,
  pinned_at_ms INTEGER NOT NULL,
  PRIMARY KEY (digest, name)
) WITHOUT ROWID;
${PACKS_TABLE}
`;

/**
 * Layout version 1 kept one file per block, named by its digest, and an `unsettled` journal of
 * digests whose file and row might disagree. The upgrade gives the blocks table its location
 * columns (pack 0: still a loose file, until migrateLooseBlocks moves it into a pack) and adds
 * the packs table; the journal's digests are settled first by the migration (it reads every
 * loose file it indexes, and removes the files of rows that are gone).
 */
const UPGRADE_FROM_1 = `
ALTER TABLE blocks ADD COLUMN pack INTEGER NOT NULL DEFAULT 0;
ALTER TABLE blocks ADD COLUMN offset INTEGER NOT NULL DEFAULT 0;
CREATE INDEX blocks_by_pack ON blocks (pack);
${PACKS_TABLE}
`;

/**
 * Sessions live in TEMP tables: they belong to this connection and vanish with it, which is
 * right — a session protects the writes of a process that is still running, and once the store is
 * open again the process that held it is gone.
 */
const TEMPORARY_SCHEMA = `
CREATE TEMP TABLE sessions (id INTEGER PRIMARY KEY, expires_at_ms INTEGER NOT NULL);
CREATE TEMP TABLE session_blocks (session INTEGER NOT NULL, digest BLOB NOT NULL, PRIMARY KEY (session, digest)) WITHOUT ROWID;
CREATE TEMP TABLE gc_live (digest BLOB PRIMARY KEY NOT NULL) WITHOUT ROWID;
`;

/** Opens (creating if needed) the index of the store at `root` and takes its lock. */
export async function openIndexDatabase(root: string): Promise<DatabaseSync> {
  const path = join(root, LayoutNames.index);
  let database: DatabaseSync;
  try {
    database = new DatabaseSync(path, { timeout: 0 });
  } catch (error) {
    throw new BlockstoreFormatError(root, `index.sqlite: ${(error as Error).message}`);
  }
  try {
    database.exec('PRAGMA locking_mode = EXCLUSIVE');
    // Takes the exclusive lock now, not at the first write, and keeps it until close; and checks
    // whose file this is before changing anything in it (a foreign database is not switched to WAL).
    database.exec('BEGIN EXCLUSIVE');
    try {
      createOrCheckSchema(database, root);
      database.exec('COMMIT');
    } catch (error) {
      if (database.isTransaction) database.exec('ROLLBACK');
      throw error;
    }
    database.exec('PRAGMA journal_mode = WAL');
    database.exec('PRAGMA synchronous = NORMAL');
    database.exec(TEMPORARY_SCHEMA);
  } catch (error) {
    database.close();
    const code = (error as { errcode?: number }).errcode;
    if (code === SQLITE_BUSY || code === SQLITE_LOCKED) throw new BlockstoreLockedError(root, await readHolder(root));
    if (code === SQLITE_NOTADB) throw new BlockstoreFormatError(root, 'index.sqlite is not an SQLite database');
    // Damaged or cut short ("database disk image is malformed"): SQLite's message alone names no file.
    if ((error as { code?: unknown }).code === 'ERR_SQLITE_ERROR') throw new BlockstoreFormatError(root, `index.sqlite: ${(error as Error).message}`);
    throw error;
  }
  await writeFile(join(root, LayoutNames.holder), `pid ${process.pid} on ${hostname()}\n`).catch(() => undefined);
  return database;
}

function createOrCheckSchema(database: DatabaseSync, root: string): void {
  const applicationId = pragmaNumber(database, 'application_id');
  const version = pragmaNumber(database, 'user_version');
  const tables = database.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number };
  if (applicationId === 0 && version === 0 && tables.n === 0) {
    database.exec(SCHEMA);
    database.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    database.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    return;
  }
  if (applicationId !== APPLICATION_ID) throw new BlockstoreFormatError(root, 'index.sqlite belongs to another program');
  if (version === 1) {
    database.exec(UPGRADE_FROM_1);
    database.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    return;
  }
  if (version !== SCHEMA_VERSION) throw new BlockstoreFormatError(root, `index.sqlite has schema version ${version}; this code knows 1 and ${SCHEMA_VERSION}`);
}

function pragmaNumber(database: DatabaseSync, name: string): number {
  const row = database.prepare(`PRAGMA ${name}`).get() as Record<string, number>;
  return Number(row[name]);
}

async function readHolder(root: string): Promise<string> {
  const text = await readFile(join(root, LayoutNames.holder), 'utf8').catch(() => '');
  return text.trim().slice(0, 200);
}
