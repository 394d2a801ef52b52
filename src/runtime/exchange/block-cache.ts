/**
 * Cache copies of hot blocks that other holders pushed here (`cacheBlock`, seed §3.2.3; the pushing
 * side is cache-pusher.ts). Bounded by `storage.cacheBytesMax`; the least recently served copy is
 * dropped first. A cached block is answered in `have` as held but not kept, so readers fetch from
 * it and maintenance never counts it towards a key's R.
 *
 * No table of its own: a cached block is a blockstore block owned by CACHE_OWNER (charged to no
 * peer's quota) and pinned as `cache` (so gc leaves it until the cache drops it); the list is
 * rebuilt from those pins at start, oldest access first. Cached blocks are written without fsync
 * (durability 'none'): after a power loss one may read as corrupt, which the blockstore catches and
 * quarantines, and the block is fetched again from its holders.
 *
 * A peer may push only so much (CacheLimits.bytesPerPeerPerWindow per window): pushes are rare
 * (a holder pushes a hot block once per 10 minutes), so a peer pushing more is flooding the cache
 * to evict what others put there, and is refused.
 */
import type { CID } from '../../services/storage/dag/cids.ts';
import type { Blockstore } from '../storage/blockstore.ts';
import { BlockPinnedError } from '../storage/blockstore-errors.ts';
import { CACHE_OWNER, CACHE_PIN } from '../storage/blockstore-limits.ts';

export { CACHE_PIN };

export const CacheLimits: { readonly bytesPerPeerPerWindow: number; readonly windowMs: number; readonly peersTrackedMax: number } = {
  /** What one peer may push into the cache per window: a few dozen hot blocks. */
  bytesPerPeerPerWindow: 64 * 1024 * 1024,
  windowMs: 10 * 60_000,
  /** Peers whose pushes are counted at once; the oldest window is forgotten first. */
  peersTrackedMax: 4096,
} as const;

export type CacheAdmission = 'cached' | 'alreadyHere' | 'disabled' | 'tooLarge' | 'tooMuchFromPeer';

export interface BlockCacheStats {
  readonly blocks: number;
  readonly bytes: number;
  readonly bytesMax: number;
  readonly admitted: number;
  readonly evicted: number;
  readonly refused: number;
}

export class BlockCache {
  private readonly store: Blockstore;
  private readonly bytesMax: number;
  /** By CID text, least recently served first. */
  private readonly entries = new Map<string, { readonly cid: CID; readonly bytes: number }>();
  private bytes = 0;
  private admitted = 0;
  private evicted = 0;
  private refused = 0;
  private readonly nowMs: () => number;
  private readonly limits: typeof CacheLimits;
  /** Bytes pushed per peer in its current window, in order of the window's start. */
  private readonly pushedBy = new Map<string, { readonly sinceMs: number; bytes: number }>();

  private constructor(store: Blockstore, bytesMax: number, nowMs: () => number, limits: typeof CacheLimits) {
    this.store = store;
    this.bytesMax = bytesMax;
    this.nowMs = nowMs;
    this.limits = limits;
  }

  /** The cache as the store's `cache` pins left it, oldest access first. */
  static load(store: Blockstore, bytesMax: number, nowMs: () => number = () => performance.now(), limits: typeof CacheLimits = CacheLimits): BlockCache {
    const cache = new BlockCache(store, bytesMax, nowMs, limits);
    const found: { cid: CID; bytes: number; accessedAtMs: number }[] = [];
    for (const pin of store.listPins({ name: CACHE_PIN })) {
      const stat = store.stat(pin.cid);
      if (stat === undefined) store.unpin(pin.cid, { name: CACHE_PIN });
      else found.push({ cid: pin.cid, bytes: stat.size, accessedAtMs: stat.accessedAtMs });
    }
    found.sort((a, b) => a.accessedAtMs - b.accessedAtMs);
    for (const entry of found) cache.remember(entry.cid, entry.bytes);
    return cache;
  }

  /** Stores a copy `peer` pushed (the bytes are checked against the CID by the store), making room first. */
  async admit(cid: CID, bytes: Uint8Array, peer: string): Promise<CacheAdmission> {
    if (this.bytesMax === 0) return this.refuse('disabled');
    if (bytes.length > this.bytesMax) return this.refuse('tooLarge');
    if (this.store.has(cid)) return 'alreadyHere';
    if (!this.withinPeerBudget(peer, bytes.length)) return this.refuse('tooMuchFromPeer');
    await this.evictUntil(this.bytesMax - bytes.length);
    // Throws BlockMismatchError for bytes that are not the block: the caller penalises the sender.
    await this.store.put(cid, bytes, { owner: CACHE_OWNER, durability: 'none' });
    this.store.pin(cid, { name: CACHE_PIN, recursive: false });
    this.remember(cid, bytes.length);
    this.admitted++;
    return 'cached';
  }

  /** The block was served: it is the last to be dropped. */
  touch(cid: CID): void {
    const key = cid.toString();
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  /** The block is now kept for the grid (a storeBlock): no longer the cache's to drop. */
  release(cid: CID): void {
    const key = cid.toString();
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
    this.store.unpin(cid, { name: CACHE_PIN });
  }

  stats(): BlockCacheStats {
    return { blocks: this.entries.size, bytes: this.bytes, bytesMax: this.bytesMax, admitted: this.admitted, evicted: this.evicted, refused: this.refused };
  }

  private remember(cid: CID, bytes: number): void {
    this.entries.set(cid.toString(), { cid, bytes });
    this.bytes += bytes;
  }

  /** Counts `bytes` against the peer's window; false (and nothing counted) beyond its budget. */
  private withinPeerBudget(peer: string, bytes: number): boolean {
    const nowMs = this.nowMs();
    let entry = this.pushedBy.get(peer);
    if (entry === undefined || nowMs - entry.sinceMs >= this.limits.windowMs) {
      this.pushedBy.delete(peer);
      if (this.pushedBy.size >= this.limits.peersTrackedMax) this.pushedBy.delete(this.pushedBy.keys().next().value as string);
      entry = { sinceMs: nowMs, bytes: 0 };
      this.pushedBy.set(peer, entry);
    }
    if (entry.bytes + bytes > this.limits.bytesPerPeerPerWindow) return false;
    entry.bytes += bytes;
    return true;
  }

  private refuse(reason: CacheAdmission): CacheAdmission {
    this.refused++;
    return reason;
  }

  /**
   * Drops the least recently served copies until the cache holds at most `bytesLimit`. A dropped
   * block is deleted unless something else keeps it (another pin, a recursive pin above it).
   */
  private async evictUntil(bytesLimit: number): Promise<void> {
    while (this.bytes > bytesLimit && this.entries.size > 0) {
      const [key, entry] = this.entries.entries().next().value as [string, { cid: CID; bytes: number }];
      this.entries.delete(key);
      this.bytes -= entry.bytes;
      this.evicted++;
      this.store.unpin(entry.cid, { name: CACHE_PIN });
      if (this.store.references(entry.cid).pins > 0) continue;
      try {
        await this.store.delete(entry.cid);
      } catch (error) {
        if (!(error instanceof BlockPinnedError)) throw error;
      }
    }
  }
}
