/**
 * A node's timers: a min-heap by due time. Cancelling is lazy: the owner ignores a timer whose
 * subject is gone when it fires, which is cheaper than finding and removing it.
 */
import { MinHeap, type Scheduled } from './min-heap.ts';

interface Timer<T> extends Scheduled {
  readonly payload: T;
}

export class TimerQueue<T> {
  private readonly heap = new MinHeap<Timer<T>>();
  private sequence = 0;

  get size(): number {
    return this.heap.size;
  }

  /** When the earliest timer is due, Infinity when none is set. */
  nextAtMs(): number {
    const top = this.heap.peek();
    return top === undefined ? Infinity : top.atMs;
  }

  /**
   * Sets a timer. Timers have millisecond resolution: the time is rounded up to a whole
   * millisecond, which keeps it a small integer (cheap to store and compare) and never early.
   */
  add(atMs: number, payload: T): void {
    this.heap.push({ atMs: Math.ceil(atMs), sequence: this.sequence++, payload });
  }

  /** The earliest timer's payload, without removing it. */
  peekPayload(): T | undefined {
    return this.heap.peek()?.payload;
  }

  /** Removes the earliest timer. */
  dropEarliest(): void {
    this.heap.pop();
  }

  /** Removes and returns the earliest timer due at or before nowMs, or undefined. */
  popDue(nowMs: number): T | undefined {
    const top = this.heap.peek();
    if (top === undefined || top.atMs > nowMs) return undefined;
    this.heap.pop();
    return top.payload;
  }

  clear(): void {
    this.heap.clear();
  }
}
