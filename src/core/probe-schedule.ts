/**
 * When to probe our neighbourhood next. Probing keeps the k closest contacts — what we tell lookups
 * near our own id — live under churn (the neighbour probing of Chord's successor list, Pastry's
 * leaf set and Bamboo; Rhea et al., USENIX 2004). The pace adapts as an adaptive keep-alive does:
 * a round in which every neighbour answered doubles the interval, up to BACKOFF_MAX times the
 * configured one, and a neighbour found silent brings the next round forward to one configured
 * interval from then. A quiet network is probed rarely, a churning one as often as configured.
 */

/** How far the interval may back off in a quiet network, as a multiple of the configured one. */
const BACKOFF_MAX = 16;

export class ProbeSchedule {
  /** The configured interval: the fastest pace, and the silence that makes a contact worth a probe. */
  readonly minimumIntervalMs: number;
  /** When the next round is due; a timer for any other time is stale. */
  nextRoundAtMs = Infinity;
  private intervalMs: number;
  private silentSinceLastRound = true;

  constructor(minimumIntervalMs: number) {
    this.minimumIntervalMs = minimumIntervalMs;
    this.intervalMs = minimumIntervalMs;
  }

  /** Schedules the first round; returns its time. */
  start(atMs: number): number {
    return this.setNext(atMs);
  }

  /** A round begins now: returns when the one after it is due. */
  beginRound(nowMs: number): number {
    this.intervalMs = this.silentSinceLastRound ? this.minimumIntervalMs : Math.min(2 * this.intervalMs, BACKOFF_MAX * this.minimumIntervalMs);
    this.silentSinceLastRound = false;
    return this.setNext(nowMs + this.intervalMs);
  }

  /** A neighbour did not answer: returns the time of a round brought forward, or null if one is due sooner anyway. */
  onSilent(nowMs: number): number | null {
    this.silentSinceLastRound = true;
    const soonMs = nowMs + this.minimumIntervalMs;
    return this.nextRoundAtMs > soonMs ? this.setNext(soonMs) : null;
  }

  private setNext(atMs: number): number {
    this.nextRoundAtMs = Math.ceil(atMs);
    return this.nextRoundAtMs;
  }
}
