/**
 * Which nodes hold a block (issue 4): in replication mode the R nodes closest to its key, in erasure
 * mode K+M *distinct* nodes, fragment i on the i-th closest (so any node that knows the closest
 * nodes can tell where each fragment should be, without a directory).
 *
 * The closest nodes come from a lookup, which may list us, may list a node twice (under two
 * addresses) and whose order we do not trust: a hostile peer's reply can reorder it. So the list is
 * re-sorted here by XOR distance to the key (Kademlia §2.1) and de-duplicated by node id; of two
 * entries with one id the first given is kept (its address is the one the lookup saw first).
 *
 * Knowing fewer nodes than the scheme needs is an expected condition in a small or young network,
 * not a bug: the result says how many were wanted and whether it got them, and never places two
 * pieces on one node to make up the count — two fragments on one node fail together, which is what
 * K+M distinct nodes exist to prevent. The caller decides whether to store fewer pieces or wait.
 */
import { compareDistance, idEquals, type Id } from '../../../core/id.ts';
import type { PeerRef } from '../../../core/peer.ts';
import { TOTAL_SHARDS_MAX } from '../erasure/generator-matrix.ts';

/** Nodes considered at most: a lookup returns k (20); this bounds the work a hostile list can cause. */
export const PLACEMENT_CANDIDATES_MAX = 1024;

export interface Placement {
  /** The chosen nodes, closest first; in erasure mode fragment i goes to holders[i]. */
  readonly holders: readonly PeerRef[];
  /** How many the scheme wants: R, or K+M. */
  readonly wanted: number;
  /** Whether every wanted piece has a distinct node (holders.length === wanted). */
  readonly complete: boolean;
}

/**
 * The distinct nodes of `peers`, closest to `key` first. Only the first PLACEMENT_CANDIDATES_MAX
 * entries are looked at.
 */
export function byDistanceTo(key: Id, peers: readonly PeerRef[]): PeerRef[] {
  const sorted = peers.slice(0, PLACEMENT_CANDIDATES_MAX);
  // Array.prototype.sort is stable, so of two entries with one id the caller's first stays first.
  sorted.sort((a, b) => compareDistance(key, a, b));
  const distinct: PeerRef[] = [];
  for (const peer of sorted) {
    // Equal ids are at equal distance, so duplicates end up next to each other.
    if (distinct.length > 0 && idEquals(distinct[distinct.length - 1], peer)) continue;
    distinct.push(peer);
  }
  return distinct;
}

function placeOn(key: Id, closest: readonly PeerRef[], wanted: number): Placement {
  const holders = byDistanceTo(key, closest).slice(0, wanted);
  return { holders, wanted, complete: holders.length === wanted };
}

/** The `copies` distinct nodes closest to `key` (replication mode). */
export function replicaHolders(key: Id, closest: readonly PeerRef[], copies: number): Placement {
  if (!Number.isInteger(copies) || copies < 1) throw new RangeError(`replicaHolders: copies must be an integer >= 1, got ${copies}`);
  return placeOn(key, closest, copies);
}

/** The K+M distinct nodes closest to `key`, fragment i on holders[i] (erasure mode). */
export function fragmentHolders(key: Id, closest: readonly PeerRef[], dataFragments: number, parityFragments: number): Placement {
  if (!Number.isInteger(dataFragments) || dataFragments < 1) throw new RangeError(`fragmentHolders: dataFragments must be an integer >= 1, got ${dataFragments}`);
  if (!Number.isInteger(parityFragments) || parityFragments < 0) throw new RangeError(`fragmentHolders: parityFragments must be an integer >= 0, got ${parityFragments}`);
  if (dataFragments + parityFragments > TOTAL_SHARDS_MAX) {
    throw new RangeError(`fragmentHolders: dataFragments + parityFragments must be at most ${TOTAL_SHARDS_MAX}, got ${dataFragments + parityFragments}`);
  }
  return placeOn(key, closest, dataFragments + parityFragments);
}
