/**
 * Pushes cache copies of hot blocks (hot-blocks.ts decides which) to the closest node to the
 * block's key that does not hold it — the node every reader's lookup reaches just before the
 * holders, as Kademlia caches at "the closest node observed that did not return the value" (§2.3;
 * seed §3.2.3). Repeated as demand lasts, copies spread outward from the key; each receiver bounds
 * its cache (block-cache.ts).
 *
 * Best effort and bounded: a short queue (a push that does not fit is dropped, the block is still
 * served), one push at a time, a handful of candidates asked with `have` before the bytes are sent.
 */
import { idEquals } from '../../core/id.ts';
import type { PeerRef } from '../../core/peer.ts';
import type { CID } from '../../services/storage/dag/cids.ts';
import { blockKeyOf } from '../../services/storage/placement/block-key.ts';
import { byDistanceTo } from '../../services/storage/placement/placement.ts';
import type { Blockstore } from '../storage/blockstore.ts';
import { peerIdTextOf, type ExchangeClient } from './exchange-client.ts';
import type { ClosestNodes } from './holder-discovery.ts';

export const CachePushLimits = {
  /** Hot blocks waiting to be pushed; more are dropped (they turn hot again later if still asked for). */
  queueMax: 64,
  /** The closest nodes asked whether they hold the block; the first that does not gets the copy. */
  candidatesMax: 8,
} as const;

export interface CachePusherParts {
  readonly store: Blockstore;
  readonly client: ExchangeClient;
  readonly closestNodes: ClosestNodes;
  readonly self: PeerRef;
  readonly log: (record: Record<string, unknown>) => void;
}

export interface CachePushStats {
  readonly pushed: number;
  /** Every candidate held the block already, or refused it. */
  readonly nobodyToTake: number;
  readonly failed: number;
  readonly dropped: number;
}

export class CachePusher {
  private readonly parts: CachePusherParts;
  private readonly queue: { readonly cid: CID; readonly readers: ReadonlySet<string> }[] = [];
  private readonly queued = new Set<string>();
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly counts = { pushed: 0, nobodyToTake: 0, failed: 0, dropped: 0 };

  constructor(parts: CachePusherParts) {
    this.parts = parts;
  }

  /**
   * Queues a push of a hot block we hold; `readers` (peer ids) were just served it and will hold it
   * themselves, so they are passed over even if they do not have it yet.
   */
  push(cid: CID, readers: readonly string[] = []): void {
    const key = cid.toString();
    if (this.stopped || this.queued.has(key)) return;
    if (this.queue.length >= CachePushLimits.queueMax) {
      this.counts.dropped++;
      return;
    }
    this.queue.push({ cid, readers: new Set(readers) });
    this.queued.add(key);
    this.running ??= this.drain().finally(() => (this.running = null));
  }

  stats(): CachePushStats {
    return { ...this.counts };
  }

  /** Drops what is queued and waits for the push in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    this.queued.clear();
    await this.running;
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next !== undefined && !this.stopped; next = this.queue.shift()) {
      const { cid, readers } = next;
      this.queued.delete(cid.toString());
      try {
        const target = await this.pushOne(cid, readers);
        this.parts.log({ level: 'debug', event: 'cachePush', block: cid.toString(), target });
      } catch (error) {
        this.counts.failed++;
        this.parts.log({ level: 'debug', event: 'cachePushFailed', block: cid.toString(), error: String(error) });
      }
    }
  }

  /** The address the copy went to, or null when no candidate took it. */
  private async pushOne(cid: CID, readers: ReadonlySet<string>): Promise<string | null> {
    const key = blockKeyOf(cid);
    if (key === null || !this.parts.store.has(cid)) return null;
    const candidates = byDistanceTo(key, await this.parts.closestNodes(key))
      .filter((peer) => !idEquals(peer, this.parts.self) && !readers.has(peerIdTextOf(peer) ?? ''))
      .slice(0, CachePushLimits.candidatesMax);
    const answers = await Promise.all(candidates.map((peer) => this.parts.client.have(peer, [cid]).catch(() => null)));
    const lacking = candidates.filter((_, index) => {
      const answer = answers[index];
      return answer !== null && answer.kind === 'haves' && !answer.entries[0].block;
    });
    const bytes = await this.parts.store.get(cid);
    for (const peer of lacking) {
      const answer = await this.parts.client.cacheBlock(peer, cid, bytes).catch(() => null);
      if (answer?.kind === 'stored') {
        this.counts.pushed++;
        return peer.address;
      }
    }
    this.counts.nobodyToTake++;
    return null;
  }
}
