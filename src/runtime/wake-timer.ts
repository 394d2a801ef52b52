/**
 * The one timer of a running node. The kernel keeps its own timers and only says when it next
 * needs to be woken (`nextWakeAtMs`); this holds a single setTimeout for that moment, moving it
 * when the moment changes, so a node with thousands of pending requests has one timer, not thousands.
 */
import type { Clock } from './clock.ts';

/** setTimeout fires at once for delays over 2^31 − 1 ms; a far wake-up is re-armed on the way. */
const DELAY_MS_MAX = 2 ** 31 - 1;

export class WakeTimer {
  private readonly clock: Clock;
  private readonly onWake: (nowMs: number) => void;
  private handle: ReturnType<typeof setTimeout> | null = null;
  private armedAtMs = Infinity;
  private stopped = false;

  constructor(clock: Clock, onWake: (nowMs: number) => void) {
    this.clock = clock;
    this.onWake = onWake;
  }

  /** Wakes at `atMs` on the clock (Infinity: never), replacing any earlier request. */
  wakeAt(atMs: number): void {
    if (this.stopped || atMs === this.armedAtMs) return;
    this.cancel();
    if (atMs === Infinity) return;
    this.armedAtMs = atMs;
    const delayMs = Math.min(DELAY_MS_MAX, Math.max(0, atMs - this.clock.nowMs()));
    this.handle = setTimeout(() => this.fire(), delayMs);
    // Sockets keep a node's process alive; a pending wake-up alone should not.
    this.handle.unref();
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private fire(): void {
    this.handle = null;
    const atMs = this.armedAtMs;
    this.armedAtMs = Infinity;
    const nowMs = this.clock.nowMs();
    // A timer may fire a little early by our clock's rounding, or early on purpose for far wake-ups.
    if (nowMs < atMs) this.wakeAt(atMs);
    else this.onWake(nowMs);
  }

  private cancel(): void {
    if (this.handle !== null) clearTimeout(this.handle);
    this.handle = null;
    this.armedAtMs = Infinity;
  }
}
