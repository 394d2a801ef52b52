/**
 * Paces the lookups that storage makes — a census, a placement, a fetch's discovery, maintenance
 * — so that together they stay under what other nodes let one peer send them.
 *
 * Every node limits each peer to 200 DHT messages a second (a burst of 400;
 * transport/peer-guard.ts) and refuses the rest. On a small grid a lookup sends about one message
 * to every other node, so a census of a thousand blocks, 16 lookups at a time, sent each node
 * several hundred a second. The refused requests timed out, the checking node evicted those
 * contacts from its routing table, and its census stopped asking them: `peergrid check` of a
 * 256 MiB file on a 5-node devnet found 172–210 of its ~890 blocks "lost" right after a complete
 * placement, and a second check at once 359–423, with none healthy (2026-11-28). At most
 * `perSecond` lookups now start each second; on a large grid a lookup reaches a few of many nodes,
 * so the cap costs nothing there.
 *
 * On a small grid the pace itself became the cost: a put's placement asks for the nodes closest
 * to each block's key, and 226 blocks of a 64 MiB file took 1.9 s of turns alone, 900 blocks of
 * 256 MiB 7.5 s. But when a lookup, with every contact of the routing table added, names fewer
 * than `smallGridNodesMax` nodes (Kademlia's k: a lookup stops at the k closest, so fewer means
 * it found every node it could reach), the node knows the whole grid, and the nodes closest to any
 * other key are among those same nodes: for `smallGridMemoryMs` after such a lookup, the next calls
 * are answered with them at once, without a lookup (the callers sort by distance themselves). A
 * node that joins meanwhile is missed for that long, as a lookup in flight would miss it; hand-off
 * brings it its pieces (docs/storage-network.md).
 */
import { idToHex, type Id } from '../../core/id.ts';
import type { PeerRef } from '../../core/peer.ts';
import type { ClosestNodes } from './holder-discovery.ts';

export interface LookupPace {
  readonly perSecond: number;
  /** Lookups that may start at once after a quiet spell. */
  readonly burst: number;
  /** A lookup naming fewer distinct nodes than this found the whole grid (the kernel's k); 0 never. */
  readonly smallGridNodesMax: number;
  /** How long such a lookup's nodes answer for any key. */
  readonly smallGridMemoryMs: number;
}

/** Below the peer guard's 200 messages a second per peer, with room for the node's other traffic. */
export const STORAGE_LOOKUP_PACE: LookupPace = { perSecond: 120, burst: 60, smallGridNodesMax: 20, smallGridMemoryMs: 10_000 };

/** `closestNodes`, with each call waiting for its turn under `pace` (a token bucket). */
export function pacedLookups(closestNodes: ClosestNodes, pace: LookupPace, nowMs: () => number = () => performance.now()): ClosestNodes {
  let tokens = pace.burst;
  let refilledAtMs = nowMs();
  let queue: Promise<void> = Promise.resolve();
  const turn = async (): Promise<void> => {
    for (;;) {
      const now = nowMs();
      tokens = Math.min(pace.burst, tokens + ((now - refilledAtMs) * pace.perSecond) / 1000);
      refilledAtMs = now;
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(((1 - tokens) * 1000) / pace.perSecond)));
    }
  };
  let smallGrid: { readonly peers: readonly PeerRef[]; readonly atMs: number } | null = null;
  const knownWhole = (): readonly PeerRef[] | null => (smallGrid !== null && nowMs() - smallGrid.atMs < pace.smallGridMemoryMs ? smallGrid.peers : null);
  return async (key: Id) => {
    const whole = knownWhole();
    if (whole !== null) return whole;
    // Turns are taken in call order: a chain, so no caller waits while later ones pass it.
    const mine = queue.then(turn);
    queue = mine;
    await mine;
    // A lookup that ran while this one waited its turn may have found the whole grid.
    const meanwhile = knownWhole();
    if (meanwhile !== null) return meanwhile;
    const found = await closestNodes(key);
    const distinct = distinctPeers(found);
    smallGrid = distinct.length < pace.smallGridNodesMax ? { peers: distinct, atMs: nowMs() } : null;
    return found;
  };
}

function distinctPeers(peers: readonly PeerRef[]): PeerRef[] {
  const seen = new Set<string>();
  const out: PeerRef[] = [];
  for (const peer of peers) {
    const id = idToHex(peer);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(peer);
  }
  return out;
}
