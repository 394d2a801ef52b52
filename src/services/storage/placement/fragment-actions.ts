/**
 * The repairer's actions for an erasure-coded key (fragments 0 … K+M−1 on K+M distinct nodes).
 *
 * Fragments are not interchangeable as copies are: two holders of fragment 3 are one distinct piece,
 * and only K *distinct* fragments rebuild the block. So pieces are counted per index — an index is
 * reachable if any holder of it answered, counted if any holder of it is reachable or within the
 * grace period — and the policy (decideFromCounts, Carbonite's threshold) is applied to those counts.
 *
 * - Repair: every index no longer counted is created again, on the closest nodes that hold nothing,
 *   lowest index first. The repairer fetches K fragments, rebuilds, re-encodes (copyFrom null).
 *   This re-creates the *missing* rows rather than fresh ones (durability/redundancy.ts suggests
 *   fresh rows K+M, K+M+1, … so that a returning holder adds a distinct piece): a fragment record
 *   carries the digests of rows 0 … K+M−1 (fragment-record.ts), which is what lets a reader check
 *   each fragment alone, and a fresh row would have no digest to be checked against. A returning
 *   holder of a re-created index is therefore a duplicate, not an extra.
 * - Hand-off: a node among the K+M closest live nodes that holds nothing takes over the fragment
 *   of the farthest reachable holder outside the K+M closest (copied from it: copyFrom), so fragments
 *   move towards the key as closer nodes join.
 * - Duplicates: of the reachable holders of one index, the closest is kept; the others outside the
 *   K+M closest are asked to drop theirs. That completes a hand-off in the round after the newcomer
 *   answers, and clears the duplicates a returning holder leaves. The repairer is never dropped: it
 *   is the closest reachable holder, so the one kept for its own index.
 */
import { compareDistance, idEquals } from '../../../core/id.ts';
import type { PeerRef } from '../../../core/peer.ts';
import { decideFromCounts, RepairAction, type RepairPolicy } from '../durability/repair-policy.ts';
import type { HolderState } from '../durability/repair-plan.ts';
import { piecesTarget, type Redundancy } from '../durability/redundancy.ts';
import type { PieceHolder } from './holder-record.ts';
import { farthestFirst, inTargetSet, isCounted, isReachable, type PieceActions, type RoundView, type StoreOn } from './piece-actions.ts';

const IndexStatus = { reachable: 0, suspect: 1, presumedGone: 2, missing: 3 } as const;
type IndexStatus = (typeof IndexStatus)[keyof typeof IndexStatus];

function statusOf(state: HolderState<PieceHolder>): IndexStatus {
  if (isReachable(state)) return IndexStatus.reachable;
  return isCounted(state) ? IndexStatus.suspect : IndexStatus.presumedGone;
}

export function planFragments(redundancy: Extract<Redundancy, { kind: 'erasure' }>, policy: RepairPolicy, view: RoundView): PieceActions {
  const total = piecesTarget(redundancy);
  const status: IndexStatus[] = new Array(total).fill(IndexStatus.missing);
  /** Reachable holders of each index, closest first once sorted below. */
  const reachableOf: HolderState<PieceHolder>[][] = Array.from({ length: total }, () => []);
  for (const state of view.holders) {
    const index = state.holder.fragmentIndex as number;
    status[index] = Math.min(status[index], statusOf(state)) as IndexStatus;
    if (isReachable(state)) reachableOf[index].push(state);
  }
  for (const holders of reachableOf) holders.sort((a, b) => compareDistance(view.key, a.holder.peer, b.holder.peer));
  const counts = {
    reachable: status.filter((s) => s === IndexStatus.reachable).length,
    suspect: status.filter((s) => s === IndexStatus.suspect).length,
    presumedGone: status.filter((s) => s === IndexStatus.presumedGone).length,
  };
  const decision = decideFromCounts(redundancy, policy, counts);

  const storeOn: StoreOn[] = [];
  const freeNodes = view.nonHolders.slice();
  let unplacedPieces = 0;
  if (decision.action === RepairAction.repair) {
    for (let index = 0; index < total; index++) {
      if (status[index] < IndexStatus.presumedGone) continue;
      const peer = freeNodes.shift();
      if (peer === undefined) unplacedPieces++;
      else storeOn.push({ peer, fragmentIndex: index, copyFrom: null });
    }
  }

  // Hand-off: donors are the reachable holders outside the target set whose index has no reachable
  // holder inside it, farthest first, one per index.
  const donors: HolderState<PieceHolder>[] = [];
  for (const holders of reachableOf) {
    if (holders.length === 0 || holders.some((state) => inTargetSet(view, state.holder.peer))) continue;
    donors.push(holders[holders.length - 1]);
  }
  donors.sort((a, b) => compareDistance(view.key, b.holder.peer, a.holder.peer));
  for (const peer of freeNodes) {
    if (donors.length === 0 || !inTargetSet(view, peer)) break;
    const donor = donors.shift() as HolderState<PieceHolder>;
    storeOn.push({ peer, fragmentIndex: donor.holder.fragmentIndex, copyFrom: donor.holder.peer });
  }

  const drop: PeerRef[] = [];
  for (const holders of reachableOf) {
    for (let i = 1; i < holders.length; i++) {
      const peer = holders[i].holder.peer;
      if (!inTargetSet(view, peer) && !idEquals(peer, view.self)) drop.push(peer);
    }
  }
  const action = decision.action === RepairAction.none && drop.length > 0 ? RepairAction.surplus : decision.action;
  return { action, counts, storeOn, drop: farthestFirst(view.key, drop), unplacedPieces };
}
