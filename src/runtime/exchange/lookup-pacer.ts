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
 */
import type { Id } from '../../core/id.ts';
import type { ClosestNodes } from './holder-discovery.ts';

export interface LookupPace {
  readonly perSecond: number;
  /** Lookups that may start at once after a quiet spell. */
  readonly burst: number;
}

/** Below the peer guard's 200 messages a second per peer, with room for the node's other traffic. */
export const STORAGE_LOOKUP_PACE: LookupPace = { perSecond: 120, burst: 60 };

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
  return (key: Id) => {
    // Turns are taken in call order: a chain, so no caller waits while later ones pass it.
    const mine = queue.then(turn);
    queue = mine;
    return mine.then(() => closestNodes(key));
  };
}
