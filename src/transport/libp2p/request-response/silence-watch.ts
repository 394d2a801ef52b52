/**
 * Notices a server gone silent: `heard()` on every byte received costs only a timestamp, and one
 * timer, re-armed for what is left of the window when it fires early, says when nothing came for
 * `silenceMs` while `stillWaiting()` was true. Shared by the one-request stream
 * (request-exchange.ts) and the request channel (channel-client.ts).
 */
export class SilenceWatch {
  private readonly silenceMs: number;
  private readonly stillWaiting: () => boolean;
  private readonly onSilence: () => void;
  private lastHeardAtMs = performance.now();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(silenceMs: number, stillWaiting: () => boolean, onSilence: () => void) {
    this.silenceMs = silenceMs;
    this.stillWaiting = stillWaiting;
    this.onSilence = onSilence;
  }

  /** A byte came. */
  heard(): void {
    this.lastHeardAtMs = performance.now();
  }

  /** Starts (or restarts) the window now: from here on the other side owes us bytes. */
  start(): void {
    this.heard();
    this.arm(this.silenceMs);
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(delayMs: number): void {
    this.stop();
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stillWaiting()) return;
      const silentMs = performance.now() - this.lastHeardAtMs;
      if (silentMs >= this.silenceMs) this.onSilence();
      else this.arm(this.silenceMs - silentMs);
    }, Math.max(1, Math.ceil(delayMs)));
  }
}
