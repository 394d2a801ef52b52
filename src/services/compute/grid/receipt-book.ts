/**
 * A job's receipts as its coordinator keeps them (issue 5, item 7; receipts.ts): one list in the
 * order they were issued — what copies are sent from where they are —, indexed by worker (a worker
 * asks from the count it holds, so a lost answer loses no receipt: it is handed out again) and by
 * unit (who did the work, for the results and the submitter's ledger).
 */
import type { Receipt } from './receipts.ts';

export class ReceiptBook {
  private readonly log: Receipt[] = [];
  private readonly byWorker = new Map<string, Receipt[]>();
  private readonly byUnit = new Map<number, Receipt[]>();

  /** Receipts issued so far. */
  get count(): number {
    return this.log.length;
  }

  issue(receipt: Receipt): void {
    this.log.push(receipt);
    // One per unit a worker ran, and a few per unit: both bounded by the job's units.
    const ofWorker = this.byWorker.get(receipt.worker);
    if (ofWorker === undefined) this.byWorker.set(receipt.worker, [receipt]);
    else ofWorker.push(receipt);
    const ofUnit = this.byUnit.get(receipt.unit);
    if (ofUnit === undefined) this.byUnit.set(receipt.unit, [receipt]);
    else ofUnit.push(receipt);
  }

  /** A worker's receipts from the `from`-th it holds, `max` at most. */
  ofWorker(worker: string, from: number, max: number): Receipt[] {
    return (this.byWorker.get(worker) ?? []).slice(from, from + max);
  }

  /** The receipts for work on a unit, in the order issued. */
  ofUnit(unit: number): readonly Receipt[] {
    return this.byUnit.get(unit) ?? [];
  }

  /** The receipts issued after the first `from`. */
  since(from: number): Receipt[] {
    return this.log.slice(from);
  }
}
