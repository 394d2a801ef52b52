/**
 * Last-access times of reads, kept in memory and written in one transaction at most once per
 * interval (or when many are pending), so that a read costs no write of its own. A crash loses at
 * most one interval of access times, which only feed eviction and gc's grace period.
 * No timer: the flush happens on the next read after the interval, and on gc, fsck and close.
 */
export interface PendingAccess {
  readonly digest: Uint8Array;
  readonly atMs: number;
}

export interface AccessRecorderConfig {
  readonly flushIntervalMs: number;
  readonly pendingMax: number;
}

export class AccessRecorder {
  private readonly config: AccessRecorderConfig;
  private readonly write: (pending: ReadonlyMap<string, PendingAccess>) => void;
  private pending = new Map<string, PendingAccess>();
  private lastFlushAtMs: number;

  constructor(config: AccessRecorderConfig, write: (pending: ReadonlyMap<string, PendingAccess>) => void, nowMs: number) {
    this.config = config;
    this.write = write;
    this.lastFlushAtMs = nowMs;
  }

  record(hex: string, digest: Uint8Array, nowMs: number): void {
    this.pending.set(hex, { digest, atMs: nowMs });
    if (this.pending.size >= this.config.pendingMax || nowMs - this.lastFlushAtMs >= this.config.flushIntervalMs) this.flush(nowMs);
  }

  /** The access time not yet written for a block, if any. */
  pendingAtMs(hex: string): number | undefined {
    return this.pending.get(hex)?.atMs;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  flush(nowMs: number): void {
    this.lastFlushAtMs = nowMs;
    if (this.pending.size === 0) return;
    const pending = this.pending;
    this.pending = new Map();
    this.write(pending);
  }
}
