/**
 * The simulator's omniscient judge: it knows every live node and answers, exactly, which are the
 * k closest to a key. A lookup is judged against it when the lookup finishes (seed §3.1.2 asks
 * for measured, not assumed, routing).
 *
 * Live ids are kept sorted as big-endian integers. The ids sharing the first L bits with a target
 * form one contiguous run of that order, and every id in that run is closer to the target than
 * every id outside it; so the k closest lie in the run for the largest L whose run still holds k
 * ids, and only that short run is sorted by XOR distance. The runs are found among the ids' first
 * 32 bits (kept in a parallel array, so a binary search reads no id objects); a run that still
 * holds more than k ids sharing all 32 bits with the target is sorted whole, which is as exact.
 */
import { compareDistance, compareIds, idEquals, type Id } from '../core/id.ts';
import type { PeerRef } from '../core/peer.ts';

export class Oracle {
  private readonly live: PeerRef[] = [];
  /** live[i].head, unsigned, for each i. */
  private readonly heads: number[] = [];

  get size(): number {
    return this.live.length;
  }

  add(peer: PeerRef): void {
    const at = this.lowerBound(peer);
    if (at < this.live.length && idEquals(this.live[at], peer)) return;
    this.live.splice(at, 0, peer);
    this.heads.splice(at, 0, peer.head >>> 0);
  }

  remove(peer: Id): void {
    const at = this.lowerBound(peer);
    if (at < this.live.length && idEquals(this.live[at], peer)) {
      this.live.splice(at, 1);
      this.heads.splice(at, 1);
    }
  }

  has(peer: Id): boolean {
    const at = this.lowerBound(peer);
    return at < this.live.length && idEquals(this.live[at], peer);
  }

  /** The `count` live peers closest to `target`, closest first, leaving out `excluded`. */
  closest(target: Id, count: number, excluded?: Id): PeerRef[] {
    const wanted = count + (excluded && this.has(excluded) ? 1 : 0);
    let low = 0;
    let high = this.live.length;
    const targetHead = target.head >>> 0;
    for (let prefixBits = 1; prefixBits <= 32 && high - low > wanted; prefixBits++) {
      const first = prefixBits === 32 ? targetHead : (targetHead & ~(0xffffffff >>> prefixBits)) >>> 0;
      const last = prefixBits === 32 ? targetHead : (first | (0xffffffff >>> prefixBits)) >>> 0;
      const start = this.firstHeadAbove(first - 1, low, high);
      const end = this.firstHeadAbove(last, start, high);
      if (end - start < wanted) break;
      low = start;
      high = end;
    }
    const run = this.live.slice(low, high).filter((peer) => !(excluded && idEquals(peer, excluded)));
    // The first 32 bits of the distance decide almost every comparison; the whole ids only ties.
    run.sort((a, b) => {
      const byHead = ((a.head ^ targetHead) >>> 0) - ((b.head ^ targetHead) >>> 0);
      return byHead !== 0 ? byHead : compareDistance(target, a, b);
    });
    return run.slice(0, count);
  }

  /** Index of the first live id in [low, high) whose head is above `head` (or `high` when none is). */
  private firstHeadAbove(head: number, low: number, high: number): number {
    const heads = this.heads;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (heads[middle] <= head) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Index of the first live id ≥ id. */
  private lowerBound(id: Id): number {
    let low = 0;
    let high = this.live.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (compareIds(this.live[middle], id) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
