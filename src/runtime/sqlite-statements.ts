/** Prepared statements of one node:sqlite connection, prepared once per SQL text and reused. */
import { DatabaseSync, type StatementSync } from 'node:sqlite';

/**
 * Opens (or creates) a node's SQLite file as its small stores use it: write-ahead log, syncing
 * at checkpoints (a crash loses at most the last transactions, never the file), and `schema`
 * applied (CREATE … IF NOT EXISTS).
 */
export function openWalDatabase(path: string, schema: string): DatabaseSync {
  const database = new DatabaseSync(path);
  database.exec('PRAGMA journal_mode = WAL');
  database.exec('PRAGMA synchronous = NORMAL');
  database.exec(schema);
  return database;
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
