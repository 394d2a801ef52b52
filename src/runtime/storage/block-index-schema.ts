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
export const SCHEMA_VERSION = 1;

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_NOTADB = 26;

/**
 * blocks    one row per block whose file is in place: the facts quotas and eviction need.
 *           accessed_at_ms is the last put or read (reads are written in batches).
 * links     parent → child edges, as the DAG layer declared them at put (facts about the parent's
 *           bytes, so they never change); gc follows them from recursive pins.
 * pins      named pins; a block may carry several (one per user or contract). recursive = 1
 *           keeps everything reachable through links.
 * unsettled digests whose file and row may disagree while an operation runs: a put records its
 *           intent before renaming the file into place, a deletion in the transaction that drops
 *           the row. Recovery at open visits exactly these (docs/storage-blockstore.md).
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
  accessed_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX blocks_by_owner ON blocks (owner, size);
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
CREATE TABLE unsettled (
  digest BLOB PRIMARY KEY NOT NULL,
  operation TEXT NOT NULL CHECK (operation IN ('put', 'delete')),
  codec INTEGER NOT NULL,
  owner TEXT NOT NULL,
  since_ms INTEGER NOT NULL
) WITHOUT ROWID;
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
  if (version !== SCHEMA_VERSION) throw new BlockstoreFormatError(root, `index.sqlite has schema version ${version}; this code knows ${SCHEMA_VERSION}`);
}

function pragmaNumber(database: DatabaseSync, name: string): number {
  const row = database.prepare(`PRAGMA ${name}`).get() as Record<string, number>;
  return Number(row[name]);
}

async function readHolder(root: string): Promise<string> {
  const text = await readFile(join(root, LayoutNames.holder), 'utf8').catch(() => '');
  return text.trim().slice(0, 200);
}
