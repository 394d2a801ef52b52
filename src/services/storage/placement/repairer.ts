/**
 * Which holder of a key repairs it. Every holder runs the same check, and if each repaired what it
 * saw missing, R holders would push R copies of the same missing piece. So one acts and the others
 * only answer HAVE checks: the *closest reachable holder* to the key (ourselves included: we always
 * reach ourselves). It is a rule each holder applies alone, from what it already has — the record
 * and this round's answers — with no election and no extra message.
 *
 * Holders agree whenever they see the same reachable holders, which they do once the closest nodes
 * have been asked (every holder asks its record and the key's closest nodes: `peersToAsk`). When
 * views differ — a partition, a holder reachable from some and not others — two holders may both
 * act; the worst outcome is an extra piece, which the record keeps as a Carbonite extra or drops as
 * surplus. When the repairer leaves, the next closest reachable holder takes over at its next check.
 * Choosing by distance, not by age or id order, puts the work on the node the key's lookups reach
 * first, the one most likely to hear of a closer newcomer (Kademlia §2.5 gives the same job —
 * handing values to new closer nodes — to the nodes nearest the key).
 */
import { compareDistance, type Id } from '../../../core/id.ts';
import type { PeerRef } from '../../../core/peer.ts';

/** The reachable holder closest to `key`; null when there is none. */
export function chooseRepairer(key: Id, reachableHolders: readonly PeerRef[]): PeerRef | null {
  let best: PeerRef | null = null;
  for (const peer of reachableHolders) if (best === null || compareDistance(key, peer, best) < 0) best = peer;
  return best;
}
