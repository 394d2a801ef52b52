/**
 * Which blocks are hot: asked for by several distinct peers within a window. A holder that sees a
 * block turn hot pushes a cache copy of it to the closest node to its key that lacks it
 * (runtime/exchange/cache-pusher.ts), so popular content spreads to more holders near its key,
 * where every reader's lookup ends (seed §3.2.3; Kademlia §2.3 caches along the lookup path, CFS
 * and PAST cache on the route). One cold read costs nothing extra; a block read by many does not
 * rest on its R holders alone.
 *
 * Pure: time comes in as an argument. Memory is bounded: at most `blocksTrackedMax` blocks (the
 * least recently asked are forgotten first) and `requestersMin` requesters each.
 */

export interface HotBlocksConfig {
  /** Distinct requesters within `windowMs` that make a block hot. */
  readonly requestersMin: number;
  readonly windowMs: number;
  /** A block is pushed at most once per this interval from this node, however hot it stays. */
  readonly pushIntervalMs: number;
  readonly blocksTrackedMax: number;
}

export const HOT_BLOCKS_DEFAULTS: HotBlocksConfig = Object.freeze({
  requestersMin: 3,
  windowMs: 10 * 60_000,
  pushIntervalMs: 10 * 60_000,
  blocksTrackedMax: 4096,
});

interface Tracked {
  windowStartMs: number;
  readonly requesters: Set<string>;
  lastPushAtMs: number;
}

export class HotBlocks {
  private readonly config: HotBlocksConfig;
  /** In order of last request: the first is the one to forget. */
  private readonly tracked = new Map<string, Tracked>();

  constructor(config: HotBlocksConfig = HOT_BLOCKS_DEFAULTS) {
    if (!Number.isInteger(config.requestersMin) || config.requestersMin < 1) throw new RangeError('requestersMin must be an integer >= 1');
    if (!Number.isInteger(config.blocksTrackedMax) || config.blocksTrackedMax < 1) throw new RangeError('blocksTrackedMax must be an integer >= 1');
    if (!(config.windowMs > 0) || !(config.pushIntervalMs >= 0)) throw new RangeError('windowMs must be > 0 and pushIntervalMs >= 0');
    this.config = config;
  }

  /**
   * Notes that `requester` was served `block`. When the block should be pushed to a cache now, the
   * requesters that made it hot (they are about to hold it: no use pushing to them); else null.
   */
  served(block: string, requester: string, nowMs: number): readonly string[] | null {
    let entry = this.tracked.get(block);
    if (entry === undefined) {
      entry = { windowStartMs: nowMs, requesters: new Set(), lastPushAtMs: Number.NEGATIVE_INFINITY };
      if (this.tracked.size >= this.config.blocksTrackedMax) this.tracked.delete(this.tracked.keys().next().value as string);
    } else {
      this.tracked.delete(block);
    }
    this.tracked.set(block, entry);
    if (nowMs - entry.windowStartMs > this.config.windowMs) {
      entry.windowStartMs = nowMs;
      entry.requesters.clear();
    }
    if (entry.requesters.size < this.config.requestersMin) entry.requesters.add(requester);
    if (entry.requesters.size < this.config.requestersMin || nowMs - entry.lastPushAtMs < this.config.pushIntervalMs) return null;
    const requesters = [...entry.requesters];
    entry.lastPushAtMs = nowMs;
    entry.windowStartMs = nowMs;
    entry.requesters.clear();
    return requesters;
  }

  get trackedCount(): number {
    return this.tracked.size;
  }
}
