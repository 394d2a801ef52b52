/**
 * The repairer's actions for a replicated key (R whole copies on the R closest nodes).
 *
 * - Repair: when planRepair says so (counted copies below r_L, after the grace period), new copies
 *   go to the closest nodes that hold nothing, in distance order.
 * - Hand-off: a node among the R closest live nodes that holds nothing gets a copy even when the
 *   count is met, so a newly joined closer node comes to hold the key (Kademlia §2.5: a node
 *   "stores values on the new node" when one joins closer to a key) and lookups find it there first.
 * - Surplus: once more copies are counted than R + extraPiecesMax (re-integrated holders and
 *   handed-off copies both add some), the farthest reachable holders outside the R closest are asked
 *   to drop theirs — never the repairer, never one of the R closest. Only counted holders are
 *   weighed, never this round's stores: a copy is dropped only once its replacement answered.
 *   (planRepair would drop the newest holders; with hand-off the farthest are the right ones.)
 */
import { idEquals } from '../../../core/id.ts';
import type { PeerRef } from '../../../core/peer.ts';
import type { RepairPlan } from '../durability/repair-plan.ts';
import { RepairAction, type RepairPolicy } from '../durability/repair-policy.ts';
import { piecesTarget, type Redundancy } from '../durability/redundancy.ts';
import type { PieceHolder } from './holder-record.ts';
import { farthestFirst, inTargetSet, isCounted, isReachable, type PieceActions, type RoundView } from './piece-actions.ts';

export function planCopies(redundancy: Redundancy, policy: RepairPolicy, view: RoundView, repair: RepairPlan<PieceHolder>): PieceActions {
  const create = repair.action === RepairAction.repair ? repair.create : 0;
  const handOffs = view.nonHolders.filter((peer) => inTargetSet(view, peer)).length;
  // The nodes in the target set are the closest of the non-holders, so one prefix covers both.
  const wanted = Math.max(create, handOffs);
  const storeOn = view.nonHolders.slice(0, wanted).map((peer) => ({ peer, fragmentIndex: null, copyFrom: null }));

  const counted = view.holders.filter(isCounted).length;
  const surplus = counted - (piecesTarget(redundancy) + policy.extraPiecesMax);
  let drop: PeerRef[] = [];
  if (surplus > 0) {
    const droppable = view.holders
      .filter((state) => isReachable(state) && !idEquals(state.holder.peer, view.self) && !inTargetSet(view, state.holder.peer))
      .map((state) => state.holder.peer);
    drop = farthestFirst(view.key, droppable).slice(0, surplus);
  }
  const action = drop.length > 0 ? RepairAction.surplus : repair.action === RepairAction.surplus ? RepairAction.none : repair.action;
  return { action, counts: repair.counts, storeOn, drop, unplacedPieces: wanted - storeOn.length };
}
