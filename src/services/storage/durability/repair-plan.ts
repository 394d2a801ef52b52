/**
 * The repair policy as a real node will run it for each object it is responsible for: after a round
 * of checks, it hands the object's holder record (who holds a piece, when each last answered, whether
 * each answered this round, and what the previous plan concluded about each) and the time, and gets
 * back what to do and the record to keep. Plain values in, plain values out; no IO, no clock.
 *
 * Decisions:
 * - `create`: so many new pieces, on nodes not in the record (placement is the caller's: the nodes
 *   closest to the key that hold nothing yet). Add each to the record once it is stored.
 * - `reintegrate`: holders presumed gone that answered again — counted again, their pieces kept.
 * - `presumeGone`: holders silent past the grace period, newly no longer counted.
 * - `forget`: holders removed from the record (silent past forgetAfterMs, or evicted to make room
 *   for new pieces); if one returns, it should delete its piece.
 * - `drop`: reachable holders whose pieces are surplus; ask them to delete.
 * - `nextCheckAtMs`: when to run the plan again even if nothing is heard (a grace period ends, a
 *   blocked repair's retry), as a kernel node's `nextWakeAtMs`.
 */
import { RepairPlanner, type HolderTable } from './repair-planner.ts';
import { RepairAction, type PieceCounts, type RepairPolicy } from './repair-policy.ts';
import type { Redundancy } from './redundancy.ts';

export interface HolderState<Holder> {
  readonly holder: Holder;
  /** When it last answered a check (if it answered the latest one, that check's time). */
  readonly lastSeenAtMs: number;
  readonly answeredLatestCheck: boolean;
  /** What the previous plan concluded; false for a new holder. */
  readonly presumedGone: boolean;
}

export interface RepairPlan<Holder> {
  readonly action: RepairAction;
  /** New pieces to create on nodes outside the record. */
  readonly create: number;
  readonly reintegrate: readonly Holder[];
  readonly presumeGone: readonly Holder[];
  readonly forget: readonly Holder[];
  readonly drop: readonly Holder[];
  readonly counts: PieceCounts;
  readonly nextCheckAtMs: number;
  /** The record to keep: without the forgotten and dropped holders, each marked presumed gone or not. */
  readonly record: readonly HolderState<Holder>[];
}

class ArrayTable<Holder> implements HolderTable {
  private readonly holders: readonly HolderState<Holder>[];
  constructor(holders: readonly HolderState<Holder>[]) {
    this.holders = holders;
  }
  holderCount(): number {
    return this.holders.length;
  }
  answered(index: number): boolean {
    return this.holders[index].answeredLatestCheck;
  }
  lastSeenAtMs(index: number): number {
    return this.holders[index].lastSeenAtMs;
  }
}

export function planRepair<Holder>(
  redundancy: Redundancy, policy: RepairPolicy, holders: readonly HolderState<Holder>[], nowMs: number,
): RepairPlan<Holder> {
  const planner = new RepairPlanner(redundancy, policy);
  planner.plan(new ArrayTable(holders), nowMs);
  const removed = new Set<number>();
  const forget: Holder[] = [];
  for (let k = 0; k < planner.forgetCount; k++) {
    removed.add(planner.forget[k]);
    forget.push(holders[planner.forget[k]].holder);
  }
  const drop: Holder[] = [];
  for (let k = 0; k < planner.dropCount; k++) {
    removed.add(planner.drop[k]);
    drop.push(holders[planner.drop[k]].holder);
  }
  const reintegrate: Holder[] = [];
  const presumeGone: Holder[] = [];
  const record: HolderState<Holder>[] = [];
  for (let i = 0; i < holders.length; i++) {
    if (removed.has(i)) continue;
    const state = holders[i];
    const gone = !state.answeredLatestCheck && nowMs - state.lastSeenAtMs >= policy.graceMs;
    if (state.presumedGone && !gone) reintegrate.push(state.holder);
    if (!state.presumedGone && gone) presumeGone.push(state.holder);
    record.push(state.presumedGone === gone ? state : { ...state, presumedGone: gone });
  }
  return {
    action: planner.action,
    create: planner.action === RepairAction.repair ? planner.pieces : 0,
    reintegrate,
    presumeGone,
    forget,
    drop,
    counts: { reachable: planner.reachable, suspect: planner.suspect, presumedGone: planner.presumedGone },
    nextCheckAtMs: planner.nextCheckAtMs,
    record,
  };
}
