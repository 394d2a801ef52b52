/**
 * What this node holds for the grid (`<data dir>/holdings.sqlite`): one row per *piece* — a whole
 * copy of a block, or one erasure fragment of it — with the scheme it was placed under, who sent
 * it, and the maintenance state (the holder record of the repair plan and when to check next).
 *
 * The bytes themselves live in the blockstore: a copy under the block's own CID, a fragment as the
 * raw block of its fragment record; both pinned under the name `grid` so gc keeps them, and
 * stored with the sender as owner so quotas can count them (blockstore `usage(owner)`). This table
 * is what maintenance walks (docs/storage-network.md): keys due for a check, oldest first.
 *
 * Each piece has a lease (services/storage/placement/lease-policy.ts): until when this node keeps
 * it unless someone renews it. A second table remembers, for content this node placed or pins, the
 * scheme it was placed under and when this node last renewed its leases (lease-keeper.ts).
 *
 * The index is small (a row per piece, not per byte) and its loss costs only maintenance state: a
 * node that lost it still serves its blocks, and re-learns what it holds when it is asked.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { join } from 'node:path';
import { openWalDatabase, PreparedStatements } from '../sqlite-statements.ts';

export const HOLDINGS_FILE = 'holdings.sqlite';

/** A whole copy, rather than a fragment index. */
export const WHOLE_COPY = -1;

export interface HoldingRow {
  /** The block the piece belongs to: its CID, the key it is placed under. */
  readonly block: string;
  /** WHOLE_COPY, or the fragment's index. */
  readonly fragment: number;
  /** The CID of what is stored: the block itself, or the fragment record. */
  readonly piece: string;
  /** `replicate:R` or `erasure:K+M` (redundancy.ts). */
  readonly redundancy: string;
  /** The peer id that sent it, or 'local'. */
  readonly origin: string;
  readonly bytes: number;
  readonly addedAtMs: number;
  readonly nextCheckAtMs: number;
  /** The holder record of the last plan, as JSON (holding-plan.ts); '[]' before the first check. */
  readonly record: string;
  /** Until when the piece is kept unless renewed (wall-clock ms); 0 for a row from before leases, until grantMissingLeases. */
  readonly leaseExpiresAtMs: number;
}

interface RawRow {
  block: string;
  fragment: number;
  piece: string;
  redundancy: string;
  origin: string;
  bytes: number;
  added_at_ms: number;
  next_check_at_ms: number;
  record: string;
  lease_expires_at_ms: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS holdings (
  block TEXT NOT NULL,
  fragment INTEGER NOT NULL,
  piece TEXT NOT NULL,
  redundancy TEXT NOT NULL,
  origin TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  added_at_ms INTEGER NOT NULL,
  next_check_at_ms INTEGER NOT NULL,
  record TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (block, fragment)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS holdings_due ON holdings (next_check_at_ms);
CREATE TABLE IF NOT EXISTS content_leases (
  root TEXT PRIMARY KEY,
  redundancy TEXT,
  renewed_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Added after the first release of the table: holdings files of earlier versions get it on open. */
const LEASE_COLUMN = 'lease_expires_at_ms';

export class Holdings {
  private readonly database: DatabaseSync;
  private readonly statements: PreparedStatements;

  private constructor(database: DatabaseSync) {
    this.database = database;
    this.statements = new PreparedStatements(database);
  }

  static open(dataDir: string): Holdings {
    const database = openWalDatabase(join(dataDir, HOLDINGS_FILE), SCHEMA, (opened) => {
      const columns = opened.prepare('PRAGMA table_info(holdings)').all() as { name: string }[];
      if (!columns.some((column) => column.name === LEASE_COLUMN)) {
        opened.exec(`ALTER TABLE holdings ADD COLUMN ${LEASE_COLUMN} INTEGER NOT NULL DEFAULT 0`);
      }
      opened.exec(`CREATE INDEX IF NOT EXISTS holdings_lease ON holdings (${LEASE_COLUMN})`);
    });
    return new Holdings(database);
  }

  /**
   * Records a piece (or refreshes its scheme and origin); a new row is due for a check at
   * `firstCheckAtMs`. A piece stored again keeps the longer of its lease and the new one.
   */
  upsert(row: Omit<HoldingRow, 'record' | 'nextCheckAtMs'>, firstCheckAtMs: number): void {
    this.statement(`INSERT INTO holdings (block, fragment, piece, redundancy, origin, bytes, added_at_ms, next_check_at_ms, lease_expires_at_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (block, fragment) DO UPDATE SET piece = excluded.piece, redundancy = excluded.redundancy, bytes = excluded.bytes,
        lease_expires_at_ms = max(lease_expires_at_ms, excluded.lease_expires_at_ms)`)
      .run(row.block, row.fragment, row.piece, row.redundancy, row.origin, row.bytes, row.addedAtMs, firstCheckAtMs, row.leaseExpiresAtMs);
  }

  /** Extends the lease of every piece held of `block` to at least `untilMs`; returns the pieces held. */
  renewLease(block: string, untilMs: number): number {
    return this.statement('UPDATE holdings SET lease_expires_at_ms = max(lease_expires_at_ms, ?) WHERE block = ?').run(untilMs, block).changes as number;
  }

  /** renewLease for many blocks in one transaction (a `renew` names up to 1,024): one commit, not one each. */
  renewLeases(blocks: readonly string[], untilMs: number): number {
    let pieces = 0;
    this.database.exec('BEGIN');
    try {
      for (const block of blocks) pieces += this.renewLease(block, untilMs);
      this.database.exec('COMMIT');
    } catch (error) {
      if (this.database.isTransaction) this.database.exec('ROLLBACK');
      throw error;
    }
    return pieces;
  }

  /** Pieces whose lease ran out by `nowMs`, the longest expired first. */
  expired(nowMs: number, limit: number): HoldingRow[] {
    return (this.statement('SELECT * FROM holdings WHERE lease_expires_at_ms <= ? ORDER BY lease_expires_at_ms LIMIT ?').all(nowMs, limit) as unknown as RawRow[]).map(toRow);
  }

  /** Gives the rows of a holdings file from before leases (lease 0) a lease until `untilMs`; returns how many. */
  grantMissingLeases(untilMs: number): number {
    return this.statement('UPDATE holdings SET lease_expires_at_ms = ? WHERE lease_expires_at_ms = 0').run(untilMs).changes as number;
  }

  /** Pieces held, and those whose lease runs out before `soonAtMs`. */
  leaseCounts(soonAtMs: number): { readonly pieces: number; readonly expiringSoon: number; readonly nextExpiryAtMs: number | null } {
    const row = this.statement('SELECT count(*) AS pieces, count(CASE WHEN lease_expires_at_ms < ? THEN 1 END) AS soon, min(lease_expires_at_ms) AS next FROM holdings')
      .get(soonAtMs) as { pieces: number; soon: number; next: number | null };
    return { pieces: row.pieces, expiringSoon: row.soon, nextExpiryAtMs: row.next };
  }

  /**
   * What this node knows of the leases of the content under `root`: the scheme it placed it under
   * (null when it only renewed it), and when it last renewed them.
   */
  contentLease(root: string): { readonly redundancy: string | null; readonly renewedAtMs: number } | undefined {
    const row = this.statement('SELECT redundancy, renewed_at_ms FROM content_leases WHERE root = ?').get(root) as { redundancy: string | null; renewed_at_ms: number } | undefined;
    return row === undefined ? undefined : { redundancy: row.redundancy, renewedAtMs: row.renewed_at_ms };
  }

  /** Records a renewal of the content's leases at `atMs`; with `redundancy`, the scheme it was (re)placed under too. */
  noteRenewed(root: string, atMs: number, redundancy?: string): void {
    this.statement(`INSERT INTO content_leases (root, redundancy, renewed_at_ms) VALUES (?, ?, ?)
      ON CONFLICT (root) DO UPDATE SET renewed_at_ms = excluded.renewed_at_ms, redundancy = coalesce(excluded.redundancy, redundancy)`)
      .run(root, redundancy ?? null, atMs);
  }

  get(block: string, fragment: number): HoldingRow | undefined {
    const raw = this.statement('SELECT * FROM holdings WHERE block = ? AND fragment = ?').get(block, fragment) as RawRow | undefined;
    return raw === undefined ? undefined : toRow(raw);
  }

  /** Every piece held of one block (a copy, or fragments). */
  piecesOf(block: string): HoldingRow[] {
    return (this.statement('SELECT * FROM holdings WHERE block = ? ORDER BY fragment').all(block) as unknown as RawRow[]).map(toRow);
  }

  /** Pieces whose check is due, the most overdue first. */
  due(nowMs: number, limit: number): HoldingRow[] {
    return (this.statement('SELECT * FROM holdings WHERE next_check_at_ms <= ? ORDER BY next_check_at_ms LIMIT ?').all(nowMs, limit) as unknown as RawRow[]).map(toRow);
  }

  /** When the next check is due (Infinity when nothing is held). */
  nextDueAtMs(): number {
    const row = this.statement('SELECT min(next_check_at_ms) AS at FROM holdings').get() as { at: number | null };
    return row.at ?? Number.POSITIVE_INFINITY;
  }

  setCheck(block: string, fragment: number, nextCheckAtMs: number, record: string): void {
    this.statement('UPDATE holdings SET next_check_at_ms = ?, record = ? WHERE block = ? AND fragment = ?').run(nextCheckAtMs, record, block, fragment);
  }

  remove(block: string, fragment: number): boolean {
    return this.statement('DELETE FROM holdings WHERE block = ? AND fragment = ?').run(block, fragment).changes > 0;
  }

  count(): { readonly pieces: number; readonly bytes: number } {
    const row = this.statement('SELECT count(*) AS pieces, coalesce(sum(bytes), 0) AS bytes FROM holdings').get() as { pieces: number; bytes: number };
    return { pieces: row.pieces, bytes: row.bytes };
  }

  close(): void {
    this.database.close();
  }

  private statement(sql: string): StatementSync {
    return this.statements.get(sql);
  }
}

function toRow(raw: RawRow): HoldingRow {
  return {
    block: raw.block, fragment: raw.fragment, piece: raw.piece, redundancy: raw.redundancy, origin: raw.origin,
    bytes: raw.bytes, addedAtMs: raw.added_at_ms, nextCheckAtMs: raw.next_check_at_ms, record: raw.record,
    leaseExpiresAtMs: raw.lease_expires_at_ms,
  };
}
