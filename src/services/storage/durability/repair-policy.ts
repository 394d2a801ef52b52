/**
 * The repair policy's parameters, and how it judges one holder and one object's piece counts.
 *
 * The policy is Carbonite's (B.-G. Chun, F. Dabek, A. Haeberlen, E. Sit, H. Weatherspoon, M. F.
 * Kaashoek, J. Kubiatowicz, R. Morris, "Efficient Replica Maintenance for Distributed Storage
 * Systems", NSDI 2006), with a timeout:
 *
 * - A repair threshold r_L (`repairBelowPieces`): nothing is created while at least r_L pieces are
 *   *counted*; below it, enough pieces are created to get back to the scheme's target (R copies, or
 *   K+M fragments). For erasure a threshold below K+M makes repair lazy: it waits until several
 *   fragments are missing and rebuilds them all from one read of K fragments.
 * - A grace period (`graceMs`): a holder that has not answered is still counted until it has been
 *   silent this long, so a short transient failure costs nothing. Beyond it the holder is *presumed
 *   gone* — the policy cannot tell a departed node from a long absence, and must not wait for ever.
 * - Re-integration: a presumed-gone holder that answers again counts again. The pieces created in
 *   its absence stay, so an object collects extra pieces exactly when its holders are often away,
 *   and those extras absorb the next transient failures without repair ("remember what you have
 *   created": Carbonite's answer to transient failures). `extraPiecesMax` bounds the extras: beyond
 *   target + extraPiecesMax, reachable surplus pieces are dropped.
 * - Forgetting: a holder silent for `forgetAfterMs` is removed from the record (its piece no longer
 *   counts even if it returns, and the node deletes it), and the record keeps at most
 *   `recordedPiecesMax` holders, so a record's size is bounded.
 *
 * All of this is pure: time is an argument (nowMs), and the caller supplies what each holder last did.
 */
import { piecesNeeded, piecesTarget, type Redundancy } from './redundancy.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface RepairPolicy {
  /** r_L: create pieces when fewer than this many are counted; 0 never repairs (for experiments). */
  readonly repairBelowPieces: number;
  /** Counted pieces kept beyond the target; reachable pieces beyond target + this are dropped. */
  readonly extraPiecesMax: number;
  /** Holders one record remembers at most, counted or presumed gone; the longest silent are forgotten first. */
  readonly recordedPiecesMax: number;
  /** A holder silent this long is presumed gone: no longer counted, so the object may be repaired. */
  readonly graceMs: number;
  /** A holder silent this long is forgotten: removed from the record, its piece no longer counted if it returns. */
  readonly forgetAfterMs: number;
  /** A repair that cannot proceed (too few reachable pieces to read from) is tried again after this long. */
  readonly retryIntervalMs: number;
}

/**
 * The defaults, chosen by measurement in the durability simulation (docs/storage-durability.md has
 * the runs): a year of 10^6 objects, 10% of nodes leaving for good each month, 30% transient downtime.
 */
export const RepairPolicyDefaults = Object.freeze({
  /**
   * Three days. Transient downtimes are heavy-tailed (a night, a weekend, a holiday), and every one
   * longer than the grace period may cost a repair; every day of grace is also a day a departed
   * holder still counts, which is when objects come close to loss. Measured over a year (50,000
   * objects, replicate:6): one day of grace costs 2.35× the permanent-only repair bytes, three days
   * 1.33×, five 1.14×, seven 1.05×; the objects whose live copies fell to three or fewer were 0, 65, 391
   * and 1,169. docs/storage-durability.md has the sweep.
   */
  graceMs: 3 * DAY_MS,
  /** Sixty days: far beyond any transient absence worth waiting for; bounds what a record keeps. */
  forgetAfterMs: 60 * DAY_MS,
  /** One hour: a blocked repair waits for enough holders to come back; a check every hour is cheap. */
  retryIntervalMs: HOUR_MS,
  /**
   * Replication: extras kept beyond R. Re-integration leaves about one extra copy per object on
   * average, so 3 rarely binds; a cap of 1 throws away extras that would have absorbed later
   * transient failures (replicate:6: 1.68× the permanent-only bytes, against 1.33× with 3).
   */
  replicateExtraPiecesMax: 3,
  /** Erasure: extras kept beyond K + M (8+8: about one extra fragment per object on average). */
  erasureExtraPiecesMax: 4,
});

/** The default policy for a scheme: eager for copies (r_L = R), lazy by one fragment for erasure. */
export function defaultRepairPolicy(redundancy: Redundancy): RepairPolicy {
  const target = piecesTarget(redundancy);
  const extraPiecesMax = redundancy.kind === 'replicate' ? RepairPolicyDefaults.replicateExtraPiecesMax : RepairPolicyDefaults.erasureExtraPiecesMax;
  return {
    repairBelowPieces: redundancy.kind === 'replicate' ? target : Math.max(piecesNeeded(redundancy) + 1, target - 1),
    extraPiecesMax,
    recordedPiecesMax: 2 * target + extraPiecesMax,
    graceMs: RepairPolicyDefaults.graceMs,
    forgetAfterMs: RepairPolicyDefaults.forgetAfterMs,
    retryIntervalMs: RepairPolicyDefaults.retryIntervalMs,
  };
}

/** The record's capacity is also a bound on the simulator's per-object arrays. */
export const RECORDED_PIECES_LIMIT = 128;

/** What is wrong with a policy for this scheme; empty when nothing is. */
export function checkRepairPolicy(redundancy: Redundancy, policy: RepairPolicy): string[] {
  const problems: string[] = [];
  const target = piecesTarget(redundancy);
  const integerIn = (name: keyof RepairPolicy, min: number, max: number): void => {
    const value = policy[name];
    if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  };
  integerIn('repairBelowPieces', 0, target);
  integerIn('extraPiecesMax', 0, RECORDED_PIECES_LIMIT - target);
  integerIn('recordedPiecesMax', target + Math.max(0, policy.extraPiecesMax), RECORDED_PIECES_LIMIT);
  if (!(policy.graceMs >= 0) || !Number.isFinite(policy.graceMs)) problems.push(`graceMs must be a finite number >= 0, got ${policy.graceMs}`);
  if (!(policy.forgetAfterMs >= policy.graceMs) || !Number.isFinite(policy.forgetAfterMs)) {
    problems.push(`forgetAfterMs must be finite and >= graceMs, got ${policy.forgetAfterMs}`);
  }
  if (!(policy.retryIntervalMs > 0) || !Number.isFinite(policy.retryIntervalMs)) {
    problems.push(`retryIntervalMs must be a finite number > 0, got ${policy.retryIntervalMs}`);
  }
  return problems;
}

/** How the record sees one holder now. */
export const HolderStatus = Object.freeze({
  /** Answered the latest check: counted, and can be read from. */
  reachable: 0,
  /** Silent for less than the grace period: still counted (probably a transient failure). */
  suspect: 1,
  /** Silent for the grace period or longer: not counted; counted again if it answers. */
  presumedGone: 2,
  /** Silent for forgetAfterMs or longer: to be removed from the record. */
  forgettable: 3,
} as const);
export type HolderStatus = (typeof HolderStatus)[keyof typeof HolderStatus];

/** Classifies one holder from whether it answered the latest check and when it was last seen. */
export function classifyHolder(policy: RepairPolicy, answered: boolean, lastSeenAtMs: number, nowMs: number): HolderStatus {
  if (answered) return HolderStatus.reachable;
  const silentMs = nowMs - lastSeenAtMs;
  if (silentMs < policy.graceMs) return HolderStatus.suspect;
  if (silentMs < policy.forgetAfterMs) return HolderStatus.presumedGone;
  return HolderStatus.forgettable;
}

/** One object's holders, counted by status (after forgetting: kept forgettable holders count as presumed gone). */
export interface PieceCounts {
  readonly reachable: number;
  readonly suspect: number;
  readonly presumedGone: number;
}

export const RepairAction = Object.freeze({
  /** Enough pieces are counted, and not too many. */
  none: 'none',
  /** Create `create` new pieces on new nodes. */
  repair: 'repair',
  /** Below the threshold, but fewer pieces are reachable than a rebuild reads: try again later. */
  blocked: 'blocked',
  /** More pieces counted than target + extras: ask `drop` reachable holders to delete theirs. */
  surplus: 'surplus',
} as const);
export type RepairAction = (typeof RepairAction)[keyof typeof RepairAction];

export interface CountDecision {
  readonly action: RepairAction;
  /** Pieces to create (repair), to drop (surplus), or 0. */
  readonly pieces: number;
}

const NONE: CountDecision = Object.freeze({ action: RepairAction.none, pieces: 0 });
const BLOCKED: CountDecision = Object.freeze({ action: RepairAction.blocked, pieces: 0 });

/**
 * The decision from the counts alone. Counted = reachable + suspect. Below r_L: create up to the
 * target, if at least `needed` pieces are reachable to read from; otherwise blocked. Above target +
 * extras: drop the reachable surplus (only a reachable holder can be told to delete).
 */
export function decideFromCounts(redundancy: Redundancy, policy: RepairPolicy, counts: PieceCounts): CountDecision {
  const counted = counts.reachable + counts.suspect;
  const target = piecesTarget(redundancy);
  if (counted < policy.repairBelowPieces) {
    if (counts.reachable < piecesNeeded(redundancy)) return BLOCKED;
    return { action: RepairAction.repair, pieces: target - counted };
  }
  const keptMax = target + policy.extraPiecesMax;
  if (counted > keptMax && counts.reachable > 0) {
    return { action: RepairAction.surplus, pieces: Math.min(counts.reachable, counted - keptMax) };
  }
  return NONE;
}
