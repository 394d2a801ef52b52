/**
 * The blocks waiting to be requested, rarest first (BitTorrent's piece selection: B. Cohen,
 * "Incentives Build Robustness in BitTorrent", 2003, "Rarest First"), ties in the order the
 * blocks were wanted, so a file arrives roughly front to back when its blocks are equally common.
 *
 * A sorted array read from a moving head: the scheduler reads it front to back on every call and
 * stops at the first blocks it can place, so the common case touches a few entries near the front,
 * and taking one of those moves only the entries before it (the head advances) rather than the
 * thousands after it. An insertion is a binary search and one move of the shorter side. An entry's
 * key must not change while it is queued: the owner removes it, updates it, inserts it.
 */

export interface RarityKeyed {
  /** Usable holders when the block was queued: fewer is rarer, and goes first. */
  rarity: number;
  /** When the block was first wanted: unique per block. */
  readonly order: number;
  /** Whether the block is in the queue; kept by the queue. */
  queued: boolean;
}

function before(a: RarityKeyed, b: RarityKeyed): boolean {
  return a.rarity < b.rarity || (a.rarity === b.rarity && a.order < b.order);
}

/** Slots before the head are reclaimed once there are this many and they are half the array. */
const HEAD_SLACK_MIN = 1024;

export class RarityQueue<T extends RarityKeyed> {
  /** Entries from `head` on, sorted; the slots before `head` are spent. */
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  at(index: number): T {
    return this.items[this.head + index] as T;
  }

  insert(item: T): void {
    if (item.queued) return;
    const items = this.items;
    const at = this.lowerBound(item);
    if (this.head > 0 && at - this.head < items.length - at) {
      // Nearer the front, with a spent slot before it: move the front part one step forward.
      items.copyWithin(this.head - 1, this.head, at);
      this.head--;
      items[at - 1] = item;
    } else {
      items.splice(at, 0, item);
    }
    item.queued = true;
  }

  remove(item: T): void {
    if (!item.queued) return;
    const at = this.lowerBound(item);
    if (this.items[at] !== item) throw new Error('rarity queue: an entry changed its key while queued');
    this.removeSlot(at);
  }

  removeAt(index: number): T {
    const item = this.at(index);
    this.removeSlot(this.head + index);
    return item;
  }

  /** Takes out the entry in slot `at`, moving whichever side of it is shorter. */
  private removeSlot(at: number): void {
    const items = this.items;
    const item = items[at] as T;
    if (at - this.head < items.length - at) {
      items.copyWithin(this.head + 1, this.head, at);
      items[this.head] = undefined;
      this.head++;
      if (this.head >= HEAD_SLACK_MIN && this.head * 2 >= items.length) {
        items.splice(0, this.head);
        this.head = 0;
      }
    } else {
      items.splice(at, 1);
    }
    item.queued = false;
  }

  /**
   * Recomputes every entry's key with `rarityOf`; entries whose new rarity is 0 leave the queue and
   * are handed to `onEmptied`. Used when a peer stops or starts counting for many blocks at once.
   */
  rekey(rarityOf: (item: T) => number, onEmptied: (item: T) => void): void {
    const kept: T[] = [];
    for (let index = this.head; index < this.items.length; index++) {
      const item = this.items[index] as T;
      item.rarity = rarityOf(item);
      if (item.rarity === 0) {
        item.queued = false;
        onEmptied(item);
      } else {
        kept.push(item);
      }
    }
    kept.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    this.items = kept;
    this.head = 0;
  }

  /** The slot of the first entry not before `item`. */
  private lowerBound(item: T): number {
    const items = this.items;
    let low = this.head;
    let high = items.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (before(items[middle] as T, item)) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
