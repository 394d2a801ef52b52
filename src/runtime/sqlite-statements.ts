/** Prepared statements of one node:sqlite connection, prepared once per SQL text and reused. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';

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
