/**
 * Joining again through the bootstrap list while the routing table is empty. A node joins through
 * "some already participating node" (Kademlia §2.3); when every bootstrap peer it was given was
 * down as it started — a lab's first machine rebooting, a site's gateway not up yet — its join
 * finds nobody, the unanswered contacts are dropped, and nothing else would ever bring it a
 * contact: it would stay alone until restarted (mDNS only helps on one LAN). So while the table is
 * empty it joins through the list again, after 30 s, then at doubling intervals up to 10 minutes;
 * a contact resets the wait. A node given no bootstrap peers is the first of its network and waits
 * to be found.
 *
 * The decision is a pure function of the clock and the table's size (`check`), so it is tested
 * without timers; the runtime calls it every few seconds.
 */
export const BootstrapRetryTimes = {
  firstDelayMs: 30_000,
  delayMaxMs: 10 * 60_000,
  /** How often the runtime asks; the delays above are what matter. */
  checkIntervalMs: 5_000,
} as const;

export interface BootstrapRetryParts {
  readonly bootstrapPeers: number;
  readonly tableSize: () => number;
  /** Joins through the bootstrap list; settles when the join is done (or failed). */
  readonly rejoin: () => Promise<unknown>;
  readonly log: (record: Record<string, unknown>) => void;
}

export class BootstrapRetry {
  private readonly parts: BootstrapRetryParts;
  private delayMs: number = BootstrapRetryTimes.firstDelayMs;
  /** When the next join may start, counted from when the table was first seen empty; null while it is not. */
  private nextAtMs: number | null = null;
  private joining = false;
  private attempts = 0;

  constructor(parts: BootstrapRetryParts) {
    this.parts = parts;
  }

  /** Rejoins started so far (for tests and status). */
  get rejoins(): number {
    return this.attempts;
  }

  /** Starts a join through the bootstrap list if the table is empty and the wait is over. */
  check(nowMs: number): void {
    if (this.parts.bootstrapPeers === 0 || this.joining) return;
    if (this.parts.tableSize() > 0) {
      this.nextAtMs = null;
      this.delayMs = BootstrapRetryTimes.firstDelayMs;
      return;
    }
    if (this.nextAtMs === null) {
      this.nextAtMs = nowMs + this.delayMs;
      return;
    }
    if (nowMs < this.nextAtMs) return;
    this.attempts++;
    this.joining = true;
    this.delayMs = Math.min(this.delayMs * 2, BootstrapRetryTimes.delayMaxMs);
    this.parts.log({ level: 'info', event: 'bootstrapRetry', attempt: this.attempts, note: 'the routing table is empty: joining through the bootstrap list again', nextDelayMs: this.delayMs });
    const settled = (): void => {
      this.joining = false;
      // The wait for the next one runs from the end of this one.
      this.nextAtMs = null;
    };
    this.parts.rejoin().then(settled, settled);
  }
}
