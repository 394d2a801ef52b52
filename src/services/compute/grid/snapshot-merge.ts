/**
 * A copy's side of the sparse snapshots (issue 5, item 4; job-coordinator.ts): a coordinator sends
 * each copy the units settled and the receipts issued since that copy's last sync, with the rest of
 * its state whole; the copy appends them to what it holds and has the whole snapshot again, which
 * is what JobCoordinator.restore takes.
 *
 * Positions count in one coordinator's order of settling and issuing, so a snapshot names its `log`
 * (the coordinator's node and its turn at the job): a part from another log, or one that starts past
 * what the copy holds (a sync was lost), is not merged — the copy answers with what it holds, and
 * the coordinator sends from there.
 */

export interface HeldSnapshot {
  /** The whole snapshot: settledFrom and receiptsFrom are 0. */
  readonly value: Record<string, unknown>;
  readonly log: string;
  readonly settled: number;
  readonly receipts: number;
}

/** The whole snapshot; or a gap, with what the copy can be sent from (0 for another log); or what is wrong. */
export type MergedSnapshot = { readonly held: HeldSnapshot } | { readonly gap: { readonly settled: number; readonly receipts: number } } | { readonly problem: string };

/** How many settled units and receipts a whole snapshot of the job may hold (what JobCoordinator.restore accepts). */
export interface SnapshotBounds {
  readonly settledMax: number;
  readonly receiptsMax: number;
}

/**
 * The whole snapshot `part` makes with what is held, a gap, or what is wrong with its shape (its contents are restore's to check).
 * With `bounds`, a whole that would hold more than they allow is a problem: each part is bounded by its message, but parts
 * that follow on from each other would otherwise grow what a copy holds by a message's worth per sync, without end.
 */
export function mergeSnapshot(held: HeldSnapshot | undefined, part: unknown, bounds?: SnapshotBounds): MergedSnapshot {
  if (!isRecord(part) || !isRecord(part.state)) return { problem: 'snapshot: not an object with a state' };
  const { settledFrom, receiptsFrom, log } = part;
  const settled = part.state.settled;
  const receipts = part.receipts;
  if (!isCount(settledFrom) || !isCount(receiptsFrom)) return { problem: 'snapshot: settledFrom and receiptsFrom must be counts' };
  if (typeof log !== 'string' || log.length === 0 || log.length > 256) return { problem: 'snapshot.log: not a name' };
  if (!Array.isArray(settled) || !Array.isArray(receipts)) return { problem: 'snapshot: state.settled and receipts must be lists' };
  const tooMany = (settledCount: number, receiptCount: number): MergedSnapshot | null => bounds !== undefined && (settledCount > bounds.settledMax || receiptCount > bounds.receiptsMax)
    ? { problem: `snapshot: ${settledCount} settled units and ${receiptCount} receipts, over the job's ${bounds.settledMax} and ${bounds.receiptsMax}` } : null;
  if (settledFrom === 0 && receiptsFrom === 0) return tooMany(settled.length, receipts.length) ?? { held: { value: part, log, settled: settled.length, receipts: receipts.length } };
  if (held === undefined || held.log !== log) return { gap: { settled: 0, receipts: 0 } };
  if (settledFrom > held.settled || receiptsFrom > held.receipts) return { gap: { settled: held.settled, receipts: held.receipts } };
  const over = tooMany(settledFrom + settled.length, receiptsFrom + receipts.length);
  if (over !== null) return over;
  const before = held.value.state as { settled: readonly unknown[] };
  const wholeSettled = [...before.settled.slice(0, settledFrom), ...settled];
  const wholeReceipts = [...(held.value.receipts as readonly unknown[]).slice(0, receiptsFrom), ...receipts];
  const value = { ...part, settledFrom: 0, receiptsFrom: 0, state: { ...part.state, settled: wholeSettled }, receipts: wholeReceipts };
  return { held: { value, log, settled: wholeSettled.length, receipts: wholeReceipts.length } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
