/**
 * Contacts dropped for silence, kept for a second chance. A network partition evicts every contact
 * across the cut, and Kademlia has no way back but a re-join: without a retry, the two sides would
 * never find each other again once the cut heals. So a few evicted contacts are remembered and
 * pinged again, backing off, for an hour; one that answers is observed like any sender and so
 * returns to the routing table.
 */
import { idEquals } from './id.ts';
import type { PeerRef } from './peer.ts';

/** How many evicted contacts are remembered; the oldest is forgotten first. */
const REMEMBERED_MAX = 32;
/** The first retry comes this long after the eviction; each next one waits twice as long… */
const FIRST_RETRY_AFTER_MS = 60_000;
/** …but never longer than this: retries come at 1, 3, 7, 15, 30, 45 and 60 minutes. */
const RETRY_INTERVAL_MAX_MS = 15 * 60_000;
/** After this long without an answer, an evicted contact is forgotten. */
const GIVE_UP_AFTER_MS = 60 * 60_000;

interface Evicted {
  readonly peer: PeerRef;
  readonly evictedAtMs: number;
  nextTryAtMs: number;
  tries: number;
  inFlight: boolean;
}

export class EvictedContacts {
  private readonly entries: Evicted[] = [];

  get size(): number {
    return this.entries.length;
  }

  remember(peer: PeerRef, nowMs: number): void {
    if (this.entries.some((entry) => idEquals(entry.peer, peer))) return;
    if (this.entries.length >= REMEMBERED_MAX) this.entries.shift();
    this.entries.push({ peer, evictedAtMs: nowMs, nextTryAtMs: nowMs + FIRST_RETRY_AFTER_MS, tries: 0, inFlight: false });
  }

  /**
   * Up to `count` contacts due for a retry ping, marked as being tried. Those we know again
   * (`isKnown`) or have tried for too long are forgotten on the way.
   */
  due(nowMs: number, count: number, isKnown: (peer: PeerRef) => boolean): PeerRef[] {
    const out: PeerRef[] = [];
    for (let i = 0; i < this.entries.length && out.length < count; i++) {
      const entry = this.entries[i];
      if (entry.inFlight || entry.nextTryAtMs > nowMs) continue;
      if (isKnown(entry.peer) || nowMs - entry.evictedAtMs >= GIVE_UP_AFTER_MS) {
        this.entries.splice(i--, 1);
        continue;
      }
      entry.inFlight = true;
      out.push(entry.peer);
    }
    return out;
  }

  /** A retry ping was answered (the contact is back) or not (try later, or give up). */
  onResult(peer: PeerRef, alive: boolean, nowMs: number): void {
    const index = this.entries.findIndex((entry) => entry.peer === peer);
    if (index < 0) return;
    const entry = this.entries[index];
    entry.inFlight = false;
    if (alive || nowMs - entry.evictedAtMs >= GIVE_UP_AFTER_MS) {
      this.entries.splice(index, 1);
      return;
    }
    entry.tries++;
    entry.nextTryAtMs = nowMs + Math.min(FIRST_RETRY_AFTER_MS * 2 ** entry.tries, RETRY_INTERVAL_MAX_MS);
  }
}
