/**
 * Who broke the protocol, how often, and the last reason: penalties from the transport (bad frames,
 * forged contacts) and from the kernel (wrong replies). Bounded, oldest offender forgotten first.
 * Today it only informs status; scoring and rate-limiting build on it (issue 3, later).
 */

export interface PenaltyRecord {
  readonly remote: string;
  count: number;
  lastReason: string;
  lastAtMs: number;
}

export class PenaltyBook {
  private readonly records = new Map<string, PenaltyRecord>();
  private readonly remotesMax: number;
  private total = 0;

  constructor(remotesMax: number) {
    this.remotesMax = remotesMax;
  }

  get totalCount(): number {
    return this.total;
  }

  record(remote: string, reason: string, nowMs: number): void {
    this.total++;
    const known = this.records.get(remote);
    if (known !== undefined) {
      this.records.delete(remote);
      known.count++;
      known.lastReason = reason;
      known.lastAtMs = nowMs;
      this.records.set(remote, known);
      return;
    }
    if (this.records.size >= this.remotesMax) this.records.delete(this.records.keys().next().value as string);
    this.records.set(remote, { remote, count: 1, lastReason: reason, lastAtMs: nowMs });
  }

  countOf(remote: string): number {
    return this.records.get(remote)?.count ?? 0;
  }

  /** The most recently penalised first, at most `limit`. */
  recent(limit: number): PenaltyRecord[] {
    return [...this.records.values()].reverse().slice(0, limit).map((record) => ({ ...record }));
  }
}
