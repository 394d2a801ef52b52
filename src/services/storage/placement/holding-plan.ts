/**
 * The maintenance a holder runs for each key it holds (issue 4: "holders check their keys' replica
 * sets and repair what is missing — after a grace period for transient failures, re-integrating
 * holders that come back (Carbonite, NSDI 2006) — and hand off to newly joined closer nodes").
 *
 * One round, as a pure function: the shell looks the key up, asks `peersToAsk` whether they hold it
 * (HAVE), and hands the answers here with the previous record and the time. Out come the record to
 * keep and, if this node is the key's repairer (repairer.ts: the closest reachable holder), the
 * actions — pieces to store on new nodes, holders to ask to drop theirs — and when to look again.
 * A holder that is not the repairer only keeps its record and answers HAVE checks.
 *
 * Carbonite's bookkeeping (grace period, re-integration, forgetting, the repair threshold) is
 * durability/repair-plan.ts's `planRepair`; this adds where pieces go (the closest nodes, by XOR
 * distance), who acts, hand-off to closer nodes, and, for erasure, which fragment indexes
 * (copy-actions.ts and fragment-actions.ts say how each scheme decides).
 */
import { idEquals, idToHex, type Id } from '../../../core/id.ts';
import type { PeerRef } from '../../../core/peer.ts';
import { planRepair, type HolderState } from '../durability/repair-plan.ts';
import { checkRepairPolicy, RECORDED_PIECES_LIMIT, RepairAction, type PieceCounts, type RepairPolicy } from '../durability/repair-policy.ts';
import { piecesTarget, type Redundancy } from '../durability/redundancy.ts';
import { planCopies } from './copy-actions.ts';
import { planFragments } from './fragment-actions.ts';
import { mergeHaveRound, pieceProblem, type HaveAnswer, type HolderRecord, type IgnoredAnswer, type PieceHolder } from './holder-record.ts';
import { isCounted, type RoundView, type StoreOn } from './piece-actions.ts';
import { byDistanceTo } from './placement.ts';
import { chooseRepairer } from './repairer.ts';

export const HoldingDefaults = Object.freeze({
  /**
   * One hour between checks when nothing is pending: a departed holder is noticed within the hour,
   * far inside the grace period (three days), and a key costs a lookup and a few HAVEs an hour.
   */
  checkIntervalMs: 3_600_000,
});

export interface HoldingInput {
  readonly redundancy: Redundancy;
  readonly policy: RepairPolicy;
  readonly key: Id;
  readonly self: PeerRef;
  /** The piece we hold: a fragment index (erasure), or null (a whole copy). */
  readonly ownFragmentIndex: number | null;
  /** The key's closest nodes from a fresh lookup, in any order, duplicates allowed, ourselves allowed. */
  readonly closest: readonly PeerRef[];
  /** The record the previous round returned (empty for a key just stored). */
  readonly record: HolderRecord;
  /** Peers that answered this round's HAVE check: they hold the key, and which piece. */
  readonly haves: readonly HaveAnswer[];
  /** Peers that answered that they do not hold it. */
  readonly lacks?: readonly PeerRef[];
  readonly nowMs: number;
  readonly checkIntervalMs?: number;
}

export interface HoldingPlan {
  /** The record to keep for the next round. */
  readonly record: readonly HolderState<PieceHolder>[];
  /** The holder that repairs this key (the closest reachable one), and whether that is us. */
  readonly repairer: PeerRef;
  readonly acting: boolean;
  /** The decision for the key (whoever acts on it). */
  readonly action: RepairAction;
  readonly counts: PieceCounts;
  /** Empty unless acting. Add each to the record (withStoredPiece) once its store succeeds. */
  readonly storeOn: readonly StoreOn[];
  /** Empty unless acting. Holders asked to delete their piece; already removed from the record. */
  readonly drop: readonly PeerRef[];
  /** Pieces wanted that no known node could take, or that the record had no room for (acting only). */
  readonly unplacedPieces: number;
  readonly reintegrated: readonly PeerRef[];
  readonly presumedGone: readonly PeerRef[];
  /** Holders removed from the record after a long silence: if one returns, it should delete its piece. */
  readonly forgotten: readonly PeerRef[];
  /** Holders that said they no longer hold the key. */
  readonly lost: readonly PeerRef[];
  /** HAVE answers not believed, with why (the caller may penalise their senders). */
  readonly ignoredAnswers: readonly IgnoredAnswer[];
  readonly nextCheckAtMs: number;
}

function checkInput(input: HoldingInput): void {
  const problems = checkRepairPolicy(input.redundancy, input.policy);
  if (problems.length > 0) throw new RangeError(`planHolding: bad repair policy: ${problems.join('; ')}`);
  const own = pieceProblem(input.redundancy, input.ownFragmentIndex);
  if (own !== null) throw new RangeError(`planHolding: our own piece: ${own}`);
  for (const state of input.record) {
    const problem = pieceProblem(input.redundancy, state.holder.fragmentIndex);
    if (problem !== null) throw new RangeError(`planHolding: the record does not fit the scheme: ${problem}`);
  }
  const checkIntervalMs = input.checkIntervalMs ?? HoldingDefaults.checkIntervalMs;
  if (!(checkIntervalMs > 0) || !Number.isFinite(checkIntervalMs)) throw new RangeError(`planHolding: checkIntervalMs must be a finite number > 0, got ${checkIntervalMs}`);
}

/**
 * Whom to ask HAVE this round: every holder in the record and the scheme's target-many closest
 * nodes (so that a closer node that already holds a piece is found, and one that holds none is
 * known to lack it), closest first, without ourselves.
 */
export function peersToAsk(redundancy: Redundancy, key: Id, self: PeerRef, record: HolderRecord, closest: readonly PeerRef[]): PeerRef[] {
  const nearest = byDistanceTo(key, closest).filter((peer) => !idEquals(peer, self)).slice(0, piecesTarget(redundancy));
  return byDistanceTo(key, [...nearest, ...record.map((state) => state.holder.peer)]).filter((peer) => !idEquals(peer, self));
}

export function planHolding(input: HoldingInput): HoldingPlan {
  checkInput(input);
  const { redundancy, policy, key, self, nowMs } = input;
  const candidates = byDistanceTo(key, input.closest);
  const round = mergeHaveRound({
    redundancy, self, ownFragmentIndex: input.ownFragmentIndex, record: input.record, haves: input.haves, lacks: input.lacks ?? [],
    admissible: new Set(candidates.map((peer) => idToHex(peer))), recordedMax: policy.recordedPiecesMax, nowMs,
  });
  if (round.holders.length > RECORDED_PIECES_LIMIT) throw new RangeError(`planHolding: a record of ${round.holders.length} holders exceeds ${RECORDED_PIECES_LIMIT}`);

  const repair = planRepair(redundancy, policy, round.holders, nowMs);
  const forgottenHolders = new Set<PieceHolder>(repair.forget);
  const holders: HolderState<PieceHolder>[] = [];
  const reintegrated: PeerRef[] = [];
  const presumedGone: PeerRef[] = [];
  for (const state of round.holders) {
    if (forgottenHolders.has(state.holder)) continue;
    // The same rule as planRepair's (it returns the flags only for the holders it keeps).
    const gone = !state.answeredLatestCheck && nowMs - state.lastSeenAtMs >= policy.graceMs;
    if (state.presumedGone && !gone) reintegrated.push(state.holder.peer);
    if (!state.presumedGone && gone) presumedGone.push(state.holder.peer);
    holders.push(state.presumedGone === gone ? state : { ...state, presumedGone: gone });
  }

  const reachable = holders.filter((state) => state.answeredLatestCheck).map((state) => state.holder.peer);
  const repairer = chooseRepairer(key, reachable) as PeerRef; // we are always reachable
  const acting = idEquals(repairer, self);
  // Where the pieces belong: the target-many closest of the lookup's nodes, ourselves and the counted
  // holders. A holder silent within its grace period keeps its place, or its transient absence would
  // trigger a hand-off that the grace period exists to avoid.
  const counted = holders.filter(isCounted).map((state) => state.holder.peer);
  const live = byDistanceTo(key, [...candidates, self, ...counted]);
  const holderIds = new Set(holders.map((state) => idToHex(state.holder.peer)));
  const view: RoundView = {
    key, self, holders,
    nonHolders: candidates.filter((peer) => !holderIds.has(idToHex(peer))),
    targetSet: new Set(live.slice(0, piecesTarget(redundancy)).map((peer) => idToHex(peer))),
  };
  const actions = redundancy.kind === 'replicate' ? planCopies(redundancy, policy, view, repair) : planFragments(redundancy, policy, view);

  const drop = acting ? actions.drop : [];
  const dropped = new Set(drop.map((peer) => idToHex(peer)));
  const forgotten = repair.forget.map((holder) => holder.peer);
  let record = holders.filter((state) => !dropped.has(idToHex(state.holder.peer)));
  let storeOn = acting ? actions.storeOn : [];
  let unplacedPieces = acting ? actions.unplacedPieces : 0;
  // Every store becomes a holder in the record, which must stay within recordedPiecesMax: make room
  // by forgetting the longest-silent presumed-gone holders (as planRepair does for its repairs), and
  // if that is not enough, store fewer pieces this round (repairs come first in storeOn, by distance).
  const over = record.length + storeOn.length - policy.recordedPiecesMax;
  if (over > 0 && storeOn.length > 0) {
    const evicted = new Set(record.filter((state) => !isCounted(state)).sort((a, b) => a.lastSeenAtMs - b.lastSeenAtMs).slice(0, over));
    record = record.filter((state) => !evicted.has(state));
    for (const state of evicted) forgotten.push(state.holder.peer);
    const cut = Math.min(storeOn.length, over - evicted.size);
    if (cut > 0) {
      storeOn = storeOn.slice(0, storeOn.length - cut);
      unplacedPieces += cut;
    }
  }
  let nextCheckAtMs = Math.min(repair.nextCheckAtMs, nowMs + (input.checkIntervalMs ?? HoldingDefaults.checkIntervalMs));
  if (actions.action === RepairAction.blocked) nextCheckAtMs = Math.min(nextCheckAtMs, nowMs + policy.retryIntervalMs);
  return {
    record,
    repairer,
    acting,
    action: actions.action,
    counts: actions.counts,
    storeOn,
    drop,
    unplacedPieces,
    reintegrated,
    presumedGone,
    forgotten,
    lost: round.lost,
    ignoredAnswers: round.ignored,
    nextCheckAtMs,
  };
}
