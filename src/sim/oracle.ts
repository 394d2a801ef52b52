/**
 * The simulator's omniscient judge: it knows every live node and answers, exactly, which are the
 * k closest to a key. A lookup is judged against it when the lookup finishes (seed §3.1.2 asks
 * for measured, not assumed, routing).
 *
 * Live ids are kept sorted as big-endian integers. The ids sharing the first L bits with a target
 * form one contiguous run of that order, and every id in that run is closer to the target than
 * every id outside it; so the k closest lie in the run for the largest L whose run still holds k
 * ids, and only that short run is sorted by XOR distance.
 */
import { compareDistance, compareIds, idEquals, ID_BYTES, idFromBytes, type Id } from '../core/id.ts';
import type { PeerRef } from '../core/peer.ts';

export class Oracle {
  private readonly live: PeerRef[] = [];

  get size(): number {
    return this.live.length;
  }

  add(peer: PeerRef): void {
    const at = this.lowerBound(peer);
    if (at < this.live.length && idEquals(this.live[at], peer)) return;
    this.live.splice(at, 0, peer);
  }

  remove(peer: Id): void {
    const at = this.lowerBound(peer);
    if (at < this.live.length && idEquals(this.live[at], peer)) this.live.splice(at, 1);
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
    for (let prefixBits = 1; prefixBits <= ID_BYTES * 8 && high - low > wanted; prefixBits++) {
      const start = this.lowerBound(prefixBound(target, prefixBits, 0));
      const end = this.lowerBound(prefixBound(target, prefixBits, 1), true);
      if (end - start < wanted) break;
      low = start;
      high = end;
    }
    const run = this.live.slice(low, high).filter((peer) => !(excluded && idEquals(peer, excluded)));
    run.sort((a, b) => compareDistance(target, a, b));
    return run.slice(0, count);
  }

  /** Index of the first live id ≥ id (or > id when `strict`). */
  private lowerBound(id: Id, strict = false): number {
    let low = 0;
    let high = this.live.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      const order = compareIds(this.live[middle], id);
      if (order < 0 || (strict && order === 0)) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** The smallest (fill 0) or largest (fill 1) id sharing the first `prefixBits` bits with `target`. */
function prefixBound(target: Id, prefixBits: number, fill: 0 | 1): Id {
  const bytes = target.bytes.slice();
  for (let bit = prefixBits; bit < ID_BYTES * 8; bit++) {
    const mask = 1 << (7 - (bit & 7));
    if (fill === 1) bytes[bit >> 3] |= mask;
    else bytes[bit >> 3] &= ~mask;
  }
  return idFromBytes(bytes);
}
