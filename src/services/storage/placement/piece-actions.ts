/**
 * What the repairer of a key does this round — which nodes get a new piece, which holders are asked
 * to drop theirs — shared by the two schemes (copy-actions.ts, fragment-actions.ts).
 */
import { compareDistance, idToHex, type Id } from '../../../core/id.ts';
import type { PeerRef } from '../../../core/peer.ts';
import type { HolderState } from '../durability/repair-plan.ts';
import type { PieceCounts, RepairAction } from '../durability/repair-policy.ts';
import type { PieceHolder } from './holder-record.ts';

/** A new piece to create: on `peer`; fragment `fragmentIndex` (null: a whole copy). */
export interface StoreOn {
  readonly peer: PeerRef;
  readonly fragmentIndex: number | null;
  /**
   * Where the piece comes from. Null: the repairer has it (a copy) or rebuilds it (a fragment: fetch
   * any K fragments, decode, re-encode). A peer: a hand-off of the fragment that peer holds, copied
   * as it is (no rebuild needed).
   */
  readonly copyFrom: PeerRef | null;
}

export interface PieceActions {
  readonly action: RepairAction;
  /** Pieces as the decision counted them (for erasure: distinct fragment indexes). */
  readonly counts: PieceCounts;
  readonly storeOn: readonly StoreOn[];
  readonly drop: readonly PeerRef[];
  /** Pieces the decision wanted but no known node could take (fewer nodes known than needed). */
  readonly unplacedPieces: number;
}

/** What the repairer knows this round, closest-first where it is a list. */
export interface RoundView {
  readonly key: Id;
  readonly self: PeerRef;
  /** The record after this round: forgotten holders gone, presumed-gone flags current. */
  readonly holders: readonly HolderState<PieceHolder>[];
  /** Closest nodes from the lookup that hold nothing, closest first: where new pieces go. */
  readonly nonHolders: readonly PeerRef[];
  /**
   * Hex ids of the target-many (R, or K+M) closest of the lookup's nodes, ourselves and the counted
   * holders: where the pieces belong.
   */
  readonly targetSet: ReadonlySet<string>;
}

export function isReachable(state: HolderState<PieceHolder>): boolean {
  return state.answeredLatestCheck;
}

/** Counted (Carbonite): reachable, or silent for less than the grace period. */
export function isCounted(state: HolderState<PieceHolder>): boolean {
  return state.answeredLatestCheck || !state.presumedGone;
}

export function inTargetSet(view: RoundView, peer: PeerRef): boolean {
  return view.targetSet.has(idToHex(peer));
}

/** Farthest from the key first. */
export function farthestFirst(key: Id, peers: PeerRef[]): PeerRef[] {
  return peers.sort((a, b) => compareDistance(key, b, a));
}
