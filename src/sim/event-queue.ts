/**
 * The simulator's event queue: a calendar queue (Brown, CACM 1988) with one slot per millisecond.
 * Simulated time is in whole milliseconds, most events fall within the next minute, and a binary
 * heap over 10^5 pending events spends its time on cache misses; here an event goes into the slot
 * of its millisecond and comes out in O(1).
 *
 * Order is (time, sequence) exactly as with a heap: a slot is kept sorted by sequence (events are
 * inserted in place, and rarely far from the end: a millisecond holds a handful of events), an event
 * beyond the ring's span waits in an overflow heap until it comes into range, and the next event
 * taken is always the least of those present. Sequences need not grow with insertion: the
 * simulator's are keyed by the event's origin (world.ts), so that the order does not depend on
 * which partition of a parallel run queued an event first.
 */
import { MinHeap, type Scheduled } from '../core/min-heap.ts';

/** 2^16 one-millisecond slots: a 65.5-second window, enough for message delays and most timers. */
const SLOT_BITS = 16;
const SLOTS = 1 << SLOT_BITS;
const SLOT_MASK = SLOTS - 1;

export class EventQueue<T extends Scheduled> {
  private readonly slots: T[][] = [];
  /** Events in the ring (not in overflow). */
  private ringCount = 0;
  /** The earliest time that may still hold events; every event in the ring is at or after it. */
  private cursorMs = 0;
  /** Position within the cursor's slot: events before it have been taken. */
  private taken = 0;
  /** The time of the last event taken: nothing may be pushed before it. */
  private lastTakenMs = -Infinity;
  private readonly overflow = new MinHeap<T>();
  /**
   * Events pushed for a time the cursor has already passed while looking ahead (the cursor may run
   * ahead of the simulated clock when `popNotAfter` finds nothing before its limit). Rare, so a heap.
   */
  private readonly early = new MinHeap<T>();

  constructor() {
    for (let i = 0; i < SLOTS; i++) this.slots.push([]);
  }

  get size(): number {
    return this.ringCount + this.overflow.size + this.early.size;
  }

  /** Adds an event; its time must not be before the time of the last event taken. */
  push(event: T): void {
    const atMs = event.atMs;
    if (atMs < this.lastTakenMs) throw new RangeError(`event at ${atMs} ms is before the last event taken (${this.lastTakenMs} ms)`);
    if (atMs < this.cursorMs) {
      this.early.push(event);
    } else if (atMs - this.cursorMs < SLOTS) {
      this.insert(event);
    } else {
      this.overflow.push(event);
    }
  }

  /** Takes the next event if it is due at or before `limitMs`; the queue never looks past the limit. */
  popNotAfter(limitMs: number): T | undefined {
    let event: T | undefined;
    const early = this.early.peek();
    if (early !== undefined) {
      // Anything in the ring is at or after the cursor, hence later than every early event.
      if (early.atMs > limitMs) return undefined;
      event = this.early.pop();
    } else {
      if (!this.seekNext(limitMs)) return undefined;
      const slot = this.slots[this.cursorMs & SLOT_MASK];
      event = slot[this.taken++];
      this.ringCount--;
      if (this.taken === slot.length) {
        slot.length = 0;
        this.taken = 0;
      }
    }
    this.lastTakenMs = (event as T).atMs;
    return event;
  }

  /** Moves the cursor to the slot of the next event, never past `limitMs`; false when there is none by then. */
  private seekNext(limitMs: number): boolean {
    if (this.ringCount === 0) {
      const next = this.overflow.peek();
      if (next === undefined || next.atMs > limitMs) return false;
      this.advanceTo(next.atMs);
    }
    let slot = this.slots[this.cursorMs & SLOT_MASK];
    while (this.taken >= slot.length) {
      if (this.cursorMs + 1 > limitMs) return false;
      // This slot is done: step to the next millisecond, pulling in overflow events that come into range.
      slot.length = 0;
      this.taken = 0;
      this.advanceTo(this.cursorMs + 1);
      slot = this.slots[this.cursorMs & SLOT_MASK];
    }
    return true;
  }

  /**
   * Sets the cursor to `timeMs` and moves every overflow event that is now within the ring's span
   * into its slot. They were inserted before anything that can still be inserted directly into
   * those slots (which needs the cursor to have come this far), so slot order stays insertion order.
   */
  private advanceTo(timeMs: number): void {
    this.cursorMs = timeMs;
    const limitMs = timeMs + SLOTS;
    for (;;) {
      const next = this.overflow.peek();
      if (next === undefined || next.atMs >= limitMs) return;
      this.overflow.pop();
      this.insert(next);
    }
  }

  /**
   * Puts an event into its slot in sequence order. In the slot being taken from, it goes among the
   * events not yet taken, so an event queued now with a low sequence still comes out next.
   */
  private insert(event: T): void {
    const slot = this.slots[event.atMs & SLOT_MASK];
    const first = event.atMs === this.cursorMs ? this.taken : 0;
    let at = slot.length;
    slot.push(event);
    const sequence = event.sequence;
    while (at > first && slot[at - 1].sequence > sequence) {
      slot[at] = slot[at - 1];
      at--;
    }
    slot[at] = event;
    this.ringCount++;
  }
}
