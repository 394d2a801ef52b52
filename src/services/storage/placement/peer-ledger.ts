/**
 * Per-peer storage accounting (issue 4, quotas: a node "counts the bytes it stores and serves per
 * peer"): for each peer, what this node has stored for it and served to it, how often it refused
 * the peer, and how many invalid blocks or fragments the peer sent. The counts are cumulative since
 * the ledger was made; they are evidence for the trust layer (a peer that takes much and gives
 * nothing, or sends bad data) and figures for status pages — not the quota's input, which is what
 * the blockstore holds now (storage-quota.ts).
 *
 * Bounded: the ledger keeps the `peersMax` most recently active peers (a Map in least-recently-used
 * order: each record moves its peer to the end, and the first is evicted), so a flood of fresh peer
 * ids costs at most peersMax entries. Peers are named by a string the caller chooses (the id's hex).
 */

export interface PeerCounters {
  readonly bytesStoredFor: number;
  readonly bytesServedTo: number;
  readonly blocksStoredFor: number;
  readonly blocksServedTo: number;
  /** Stores of theirs this node refused (quota). */
  readonly refusals: number;
  /** Blocks or fragments they sent that did not match their CID or digest. */
  readonly invalidBlocks: number;
}

export interface PeerLedgerEntry extends PeerCounters {
  readonly peer: string;
}

export interface PeerLedgerConfig {
  /** Peers remembered at most; the least recently active are forgotten first. */
  readonly peersMax: number;
}

export const PeerLedgerDefaults: PeerLedgerConfig = Object.freeze({
  /** 10,000: a few hundred bytes each, a few MiB in all; far more peers than one node deals with in a day. */
  peersMax: 10_000,
});

type MutableCounters = { -readonly [K in keyof PeerCounters]: PeerCounters[K] };

function zeroCounters(): MutableCounters {
  return { bytesStoredFor: 0, bytesServedTo: 0, blocksStoredFor: 0, blocksServedTo: 0, refusals: 0, invalidBlocks: 0 };
}

function checkByteCount(caller: string, bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`PeerLedger.${caller}: bytes must be a whole number >= 0, got ${bytes}`);
}

export class PeerLedger {
  private readonly peersMax: number;
  private readonly counters = new Map<string, MutableCounters>();

  constructor(config: PeerLedgerConfig = PeerLedgerDefaults) {
    if (!Number.isInteger(config.peersMax) || config.peersMax < 1) throw new RangeError(`PeerLedger: peersMax must be an integer >= 1, got ${config.peersMax}`);
    this.peersMax = config.peersMax;
  }

  /** How many peers the ledger holds now. */
  get size(): number {
    return this.counters.size;
  }

  /** This node stored a block (or fragment) of `bytes` for `peer`. */
  recordStored(peer: string, bytes: number): void {
    checkByteCount('recordStored', bytes);
    const entry = this.touch(peer);
    entry.bytesStoredFor += bytes;
    entry.blocksStoredFor++;
  }

  /** This node served a block (or fragment) of `bytes` to `peer`. */
  recordServed(peer: string, bytes: number): void {
    checkByteCount('recordServed', bytes);
    const entry = this.touch(peer);
    entry.bytesServedTo += bytes;
    entry.blocksServedTo++;
  }

  /** This node refused a store from `peer`. */
  recordRefusal(peer: string): void {
    this.touch(peer).refusals++;
  }

  /** `peer` sent a block or fragment that failed its check. */
  recordInvalidBlock(peer: string): void {
    this.touch(peer).invalidBlocks++;
  }

  /** A peer's counts (zeros for a peer not in the ledger); does not count as activity. */
  countersOf(peer: string): PeerCounters {
    const entry = this.counters.get(peer);
    return entry === undefined ? zeroCounters() : { ...entry };
  }

  /**
   * Every peer's counts, most bytes exchanged (stored + served) first, ties by peer name so the
   * order does not depend on activity; at most `limit` entries.
   */
  snapshot(limit = this.peersMax): PeerLedgerEntry[] {
    const entries: PeerLedgerEntry[] = [];
    for (const [peer, counters] of this.counters) entries.push({ peer, ...counters });
    entries.sort((a, b) => {
      const difference = (b.bytesStoredFor + b.bytesServedTo) - (a.bytesStoredFor + a.bytesServedTo);
      if (difference !== 0) return difference;
      return a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0;
    });
    return entries.slice(0, Math.max(0, limit));
  }

  /** The peer's counters, moved to the most-recently-active end; the least recently active is evicted if full. */
  private touch(peer: string): MutableCounters {
    let entry = this.counters.get(peer);
    if (entry !== undefined) {
      this.counters.delete(peer);
    } else {
      entry = zeroCounters();
      if (this.counters.size >= this.peersMax) {
        const oldest = this.counters.keys().next().value as string;
        this.counters.delete(oldest);
      }
    }
    this.counters.set(peer, entry);
    return entry;
  }
}
