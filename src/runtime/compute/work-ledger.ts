/**
 * This node's ledger of work (issue 5, item 7; `peergrid ledger`): per peer, the work it did for
 * that peer's jobs (given: from receipts their coordinators countersigned) and the work that peer
 * did for this node's jobs (received: from the receipts in the results of jobs submitted here).
 * Units, fuel and wall time, summed; each receipt counted once (by job, unit and worker).
 *
 * Kept in <dataDir>/ledger.json, written whole and atomically at most every `saveDelayMs` (30 s) and
 * at shutdown; bounded:
 * the receipts remembered for de-duplication are the newest `receiptKeysMax`, and peers beyond
 * `peersMax` are merged away oldest first.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../data-dir.ts';
import { receiptKey, type Receipt } from '../../services/compute/grid/receipts.ts';

export interface WorkTotals {
  units: number;
  fuel: number;
  wallMs: number;
}

export interface LedgerEntry {
  readonly peer: string;
  readonly given: WorkTotals;
  readonly received: WorkTotals;
}

const FILE_NAME = 'ledger.json';

export const WorkLedgerLimits = {
  receiptKeysMax: 200_000,
  peersMax: 10_000,
  /** Written at most this often (and at shutdown): a crash loses at most this much of the ledger. */
  saveDelayMs: 30_000,
} as const;

export class WorkLedger {
  private readonly path: string;
  private readonly log: (record: Record<string, unknown>) => void;
  private readonly peers = new Map<string, { given: WorkTotals; received: WorkTotals }>();
  private readonly counted = new Set<string>();
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private saving: Promise<void> = Promise.resolve();

  private constructor(path: string, log: (record: Record<string, unknown>) => void) {
    this.path = path;
    this.log = log;
  }

  static async open(dataDir: string, log: (record: Record<string, unknown>) => void): Promise<WorkLedger> {
    const ledger = new WorkLedger(join(dataDir, FILE_NAME), log);
    try {
      const value = JSON.parse(await readFile(ledger.path, 'utf8')) as { peers?: unknown; counted?: unknown };
      if (Array.isArray(value.peers)) {
        for (const entry of value.peers) if (isEntry(entry)) ledger.peers.set(entry.peer, { given: { ...entry.given }, received: { ...entry.received } });
      }
      if (Array.isArray(value.counted)) for (const key of value.counted) if (typeof key === 'string') ledger.counted.add(key);
    } catch (error) {
      // None yet, or unreadable: the ledger starts empty rather than keep the node from starting
      // (an unreadable one said in the log, since its next save replaces it).
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        log({ level: 'warn', event: 'ledgerUnreadable', path: ledger.path, error: (error as Error).message, note: 'the ledger of work starts empty' });
      }
    }
    return ledger;
  }

  /** Work this node did for `peer`'s job. */
  given(peer: string, receipt: Receipt): void {
    this.add(peer, 'given', receipt);
  }

  /** Work `receipt.worker` did for a job of this node's. */
  received(receipt: Receipt): void {
    this.add(receipt.worker, 'received', receipt);
  }

  /** Every peer, most work exchanged first. */
  entries(): LedgerEntry[] {
    return [...this.peers.entries()]
      .map(([peer, totals]) => ({ peer, given: { ...totals.given }, received: { ...totals.received } }))
      .sort((a, b) => b.given.fuel + b.received.fuel - (a.given.fuel + a.received.fuel));
  }

  /** Writes what is pending now (at shutdown). */
  async flush(): Promise<void> {
    if (this.saveTimer !== null) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
      this.save();
    }
    await this.saving;
  }

  private add(peer: string, side: 'given' | 'received', receipt: Receipt): void {
    const key = `${side}/${receiptKey(receipt)}`;
    if (this.counted.has(key)) return;
    this.counted.add(key);
    if (this.counted.size > WorkLedgerLimits.receiptKeysMax) this.counted.delete(this.counted.values().next().value as string);
    let totals = this.peers.get(peer);
    if (totals === undefined) {
      if (this.peers.size >= WorkLedgerLimits.peersMax) this.peers.delete(this.peers.keys().next().value as string);
      this.peers.set(peer, totals = { given: { units: 0, fuel: 0, wallMs: 0 }, received: { units: 0, fuel: 0, wallMs: 0 } });
    }
    totals[side].units++;
    totals[side].fuel += receipt.fuel;
    totals[side].wallMs += receipt.wallMs;
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = null;
      this.save();
    }, WorkLedgerLimits.saveDelayMs);
    this.saveTimer.unref();
  }

  private save(): void {
    const text = JSON.stringify({ peers: this.entries(), counted: [...this.counted] });
    this.saving = this.saving.then(() => writeFileAtomically(this.path, text))
      .catch((error: Error) => this.log({ level: 'warn', event: 'ledgerNotSaved', path: this.path, error: error.message }));
  }
}

function isTotals(value: unknown): value is WorkTotals {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return [record.units, record.fuel, record.wallMs].every((field) => typeof field === 'number' && Number.isFinite(field) && field >= 0);
}

function isEntry(value: unknown): value is LedgerEntry {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.peer === 'string' && isTotals(record.given) && isTotals(record.received);
}
