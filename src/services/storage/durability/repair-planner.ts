/**
 * The repair policy run over one object's holder record: which holders to forget, how many pieces to
 * create (and which presumed-gone holders to evict to make room in the record), which reachable
 * holders to ask to drop a surplus piece, and when to look at the object again.
 *
 * `RepairPlanner` is the allocation-free form: it reads holders through a `HolderTable` and leaves
 * its answer in its own fields, so the simulator can run it for millions of objects; `planRepair`
 * (repair-plan.ts) wraps it in plain values for a real node. Both are the same code.
 */
import { classifyHolder, checkRepairPolicy, decideFromCounts, HolderStatus, RepairAction, RECORDED_PIECES_LIMIT, type RepairPolicy } from './repair-policy.ts';
import { piecesNeeded, type Redundancy } from './redundancy.ts';

/** One object's holder record, as the planner reads it: index i in [0, holderCount()). */
export interface HolderTable {
  holderCount(): number;
  /** Whether holder i answered the latest check. */
  answered(index: number): boolean;
  /** When holder i last answered (for a holder that answered the latest check: that check's time). */
  lastSeenAtMs(index: number): number;
}

export class RepairPlanner {
  readonly redundancy: Redundancy;
  readonly policy: RepairPolicy;
  /** Counts after forgetting (kept forgettable holders count as presumed gone). */
  reachable = 0;
  suspect = 0;
  presumedGone = 0;
  action: RepairAction = RepairAction.none;
  /** Pieces to create (repair) or drop (surplus); 0 otherwise. */
  pieces = 0;
  /** Holder indices to remove from the record: silent past forgetAfterMs, or evicted to make room. Ascending. */
  readonly forget: Int32Array;
  forgetCount = 0;
  /** Reachable holder indices asked to delete their piece (surplus). Ascending. */
  readonly drop: Int32Array;
  dropCount = 0;
  /** When the record should be looked at again even if no holder changes (Infinity: no need). */
  nextCheckAtMs = Infinity;
  /** Scratch: each holder's status in this plan. */
  private readonly status: Uint8Array;
  private readonly needed: number;
  /** The counts handed to decideFromCounts, reused so that a plan allocates nothing. */
  private readonly counts = { reachable: 0, suspect: 0, presumedGone: 0 };

  constructor(redundancy: Redundancy, policy: RepairPolicy) {
    const problems = checkRepairPolicy(redundancy, policy);
    if (problems.length > 0) throw new RangeError(`bad repair policy: ${problems.join('; ')}`);
    this.redundancy = redundancy;
    this.policy = policy;
    this.needed = piecesNeeded(redundancy);
    this.forget = new Int32Array(RECORDED_PIECES_LIMIT);
    this.drop = new Int32Array(RECORDED_PIECES_LIMIT);
    this.status = new Uint8Array(RECORDED_PIECES_LIMIT);
  }

  /** Plans for one record at nowMs. The record must hold at most RECORDED_PIECES_LIMIT holders. */
  plan(table: HolderTable, nowMs: number): void {
    const count = table.holderCount();
    if (count > RECORDED_PIECES_LIMIT) throw new RangeError(`a holder record of ${count} exceeds ${RECORDED_PIECES_LIMIT}`);
    const policy = this.policy;
    const status = this.status;
    let reachable = 0;
    let suspect = 0;
    let presumedGone = 0;
    let forgettable = 0;
    let nextCheckAtMs = Infinity;
    for (let i = 0; i < count; i++) {
      const answered = table.answered(i);
      const lastSeenAtMs = answered ? nowMs : table.lastSeenAtMs(i);
      const s = classifyHolder(policy, answered, lastSeenAtMs, nowMs);
      status[i] = s;
      if (s === HolderStatus.reachable) {
        reachable++;
      } else if (s === HolderStatus.suspect) {
        suspect++;
        nextCheckAtMs = Math.min(nextCheckAtMs, lastSeenAtMs + policy.graceMs);
      } else if (s === HolderStatus.presumedGone) {
        presumedGone++;
        nextCheckAtMs = Math.min(nextCheckAtMs, lastSeenAtMs + policy.forgetAfterMs);
      } else {
        forgettable++;
      }
    }

    // Forget the long silent, but never below `needed` recorded pieces: the last pieces of an object
    // are worth waiting for however long their holders are away. The most recently seen are kept.
    this.forgetCount = 0;
    if (forgettable > 0) {
      const kept = Math.max(0, Math.min(forgettable, this.needed - (reachable + suspect + presumedGone)));
      if (kept > 0) this.keepMostRecent(table, kept);
      for (let i = 0; i < count; i++) if (status[i] === HolderStatus.forgettable) this.forget[this.forgetCount++] = i;
      presumedGone += kept;
    }

    const counts = this.counts;
    counts.reachable = reachable;
    counts.suspect = suspect;
    counts.presumedGone = presumedGone;
    const decision = decideFromCounts(this.redundancy, policy, counts);
    this.action = decision.action;
    this.pieces = decision.pieces;
    this.dropCount = 0;
    if (decision.action === RepairAction.repair) {
      // Make room for the new pieces by evicting the longest-silent presumed-gone holders.
      const recordedAfter = count - this.forgetCount + decision.pieces;
      const evict = Math.min(presumedGone, recordedAfter - policy.recordedPiecesMax);
      if (evict > 0) {
        this.evictLongestSilent(table, evict);
        presumedGone -= evict;
      }
    } else if (decision.action === RepairAction.blocked) {
      nextCheckAtMs = Math.min(nextCheckAtMs, nowMs + policy.retryIntervalMs);
    } else if (decision.action === RepairAction.surplus) {
      // Keep the oldest holders: a node that has held a piece longer is likelier to stay (seed paper §4.2:
      // storage should favour longevity). The record is in creation order, so drop from the end.
      for (let i = count - 1; i >= 0 && this.dropCount < decision.pieces; i--) {
        if (status[i] === HolderStatus.reachable) this.drop[this.dropCount++] = i;
      }
      this.drop.subarray(0, this.dropCount).reverse();
    }
    this.reachable = reachable;
    this.suspect = suspect;
    this.presumedGone = presumedGone;
    this.nextCheckAtMs = nextCheckAtMs;
  }

  /** Keeps the `keep` most recently seen forgettable holders, as presumed gone. */
  private keepMostRecent(table: HolderTable, keep: number): void {
    const status = this.status;
    const count = table.holderCount();
    for (let k = 0; k < keep; k++) {
      let best = -1;
      for (let i = 0; i < count; i++) {
        if (status[i] === HolderStatus.forgettable && (best < 0 || table.lastSeenAtMs(i) > table.lastSeenAtMs(best))) best = i;
      }
      status[best] = HolderStatus.presumedGone;
    }
  }

  /** Adds the `evict` longest-silent presumed-gone holders to the forget list (kept ascending). */
  private evictLongestSilent(table: HolderTable, evict: number): void {
    const status = this.status;
    const count = table.holderCount();
    for (let k = 0; k < evict; k++) {
      let oldest = -1;
      for (let i = 0; i < count; i++) {
        if (status[i] === HolderStatus.presumedGone && (oldest < 0 || table.lastSeenAtMs(i) < table.lastSeenAtMs(oldest))) oldest = i;
      }
      status[oldest] = HolderStatus.forgettable;
    }
    this.forgetCount = 0;
    for (let i = 0; i < count; i++) if (status[i] === HolderStatus.forgettable) this.forget[this.forgetCount++] = i;
  }
}
