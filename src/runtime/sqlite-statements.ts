/** Prepared statements of one node:sqlite connection, prepared once per SQL text and reused. */
import { DatabaseSync, type StatementSync } from 'node:sqlite';

/**
 * Opens (or creates) a node's SQLite file as its small stores use it: write-ahead log, syncing
 * at checkpoints (a crash loses at most the last transactions, never the file), and `schema`
 * applied (CREATE … IF NOT EXISTS), then the store's own `migrate`; a file SQLite cannot use is a
 * SqliteFileError naming it, and the connection is closed.
 */
export function openWalDatabase(path: string, schema: string, migrate?: (database: DatabaseSync) => void): DatabaseSync {
  return namingSqliteFile(path, () => {
    const database = new DatabaseSync(path);
    try {
      database.exec('PRAGMA journal_mode = WAL');
      database.exec('PRAGMA synchronous = NORMAL');
      database.exec(schema);
      migrate?.(database);
    } catch (error) {
      database.close();
      throw error;
    }
    return database;
  });
}

/**
 * A node's SQLite file that SQLite cannot use (damaged, cut short, not a database, a directory).
 * SQLite's own message ("database disk image is malformed") does not say which of the data
 * directory's files it is; this one does, and what to do.
 */
export class SqliteFileError extends Error {
  readonly path: string;
  constructor(path: string, cause: Error) {
    super(`${path} cannot be used: ${cause.message} (move it away to start with an empty one)`, { cause });
    this.name = 'SqliteFileError';
    this.path = path;
  }
}

/** Runs `work` on the SQLite file at `path`; an error of SQLite's becomes a SqliteFileError naming the file. */
export function namingSqliteFile<T>(path: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_SQLITE_ERROR') throw new SqliteFileError(path, error as Error);
    throw error;
  }
}

export class PreparedStatements {
  private readonly database: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  constructor(database: DatabaseSync) {
    this.database = database;
  }

  get(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.database.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
