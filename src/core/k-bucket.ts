/**
 * One k-bucket of the routing table (Kademlia §2.2): up to k contacts whose ids share the bucket's
 * prefix, least recently seen first, and a cache of newcomers waiting for a place (§4.1).
 *
 * The contacts are stored as parallel arrays — peer, the id's first 32 bits, when last seen,
 * consecutive failures, whether proven, and RTT estimates — rather than as one object each.
 * A simulator holding 10^5 tables is bound by memory: per-contact objects (and the boxed doubles
 * V8 gives their fractional fields) cost about three times the memory, and every scan would chase
 * a pointer per contact. Here a scan reads a few dense arrays.
 */
import {
  insertNumberAt, insertObjectAt, moveNumberToEnd, moveObjectToEnd, removeNumberAt, removeObjectAt,
} from './array-moves.ts';
import { idEquals, type Id } from './id.ts';
import type { PeerRef } from './peer.ts';
import { addRttSample, type RttSample } from './rtt-estimator.ts';

/** A copy of what the table knows about one contact, for status reports and tests. */
export interface ContactInfo extends RttSample {
  readonly peer: PeerRef;
  readonly lastSeenMs: number;
  readonly failures: number;
  readonly verified: boolean;
}

export class KBucket {
  readonly leaf = true as const;
  readonly depth: number;
  /** An id whose first `depth` bits are the bucket's prefix (the rest are zero). */
  readonly prefix: Id;
  /** Whether the bucket's range contains our own id. */
  readonly onOwnPath: boolean;
  /** Least recently seen first; the arrays below are parallel to this one. */
  readonly peers: PeerRef[] = [];
  readonly heads: number[] = [];
  readonly lastSeenMs: number[] = [];
  /** Consecutive requests the contact did not answer. */
  readonly failures: number[] = [];
  /** 1 once the contact has sent us something; 0 for contacts others named (they fill only spare room). */
  readonly verified: number[] = [];
  /** Smoothed RTT and its variation (RFC 6298); srttMs 0 means no sample yet. */
  readonly srttMs: number[] = [];
  readonly rttVarMs: number[] = [];
  /**
   * Contacts that missed their last request or were never heard from: the first to make room for
   * a newcomer that has just proved alive (§4.1), without the liveness check a proven contact gets.
   */
  weakCount = 0;
  /** The replacement cache, oldest first; the newest is promoted when a contact is evicted. */
  readonly replacementPeers: PeerRef[] = [];
  readonly replacementHeads: number[] = [];
  readonly replacementSeenMs: number[] = [];
  /** When a lookup last targeted this bucket's range; refresh is due an interval later (§2.3). */
  lastTouchedMs: number;
  /** The contact being pinged on behalf of a newcomer, if any. */
  checking: PeerRef | null = null;

  constructor(depth: number, prefix: Id, onOwnPath: boolean, lastTouchedMs: number) {
    this.depth = depth;
    this.prefix = prefix;
    this.onOwnPath = onOwnPath;
    this.lastTouchedMs = lastTouchedMs;
  }

  get size(): number {
    return this.peers.length;
  }

  indexOf(id: Id): number {
    const heads = this.heads;
    const head = id.head;
    for (let i = 0; i < heads.length; i++) {
      if (heads[i] === head && idEquals(this.peers[i], id)) return i;
    }
    return -1;
  }

  /** Adds a contact at `index` (the end, as most recently seen, by default). */
  insert(
    peer: PeerRef, lastSeenMs: number, verified: boolean, index = this.peers.length,
    failures = 0, srttMs = 0, rttVarMs = 0,
  ): void {
    insertObjectAt(this.peers, index, peer);
    insertNumberAt(this.heads, index, peer.head);
    insertNumberAt(this.lastSeenMs, index, lastSeenMs);
    insertNumberAt(this.failures, index, failures);
    insertNumberAt(this.verified, index, verified ? 1 : 0);
    insertNumberAt(this.srttMs, index, srttMs);
    insertNumberAt(this.rttVarMs, index, rttVarMs);
    if (failures > 0 || !verified) this.weakCount++;
  }

  removeAt(index: number): void {
    if (this.isWeak(index)) this.weakCount--;
    removeObjectAt(this.peers, index);
    removeNumberAt(this.heads, index);
    removeNumberAt(this.lastSeenMs, index);
    removeNumberAt(this.failures, index);
    removeNumberAt(this.verified, index);
    removeNumberAt(this.srttMs, index);
    removeNumberAt(this.rttVarMs, index);
  }

  /** Moves the contact at `index` to the split child `into`, keeping its state. */
  moveTo(index: number, into: KBucket): void {
    into.insert(
      this.peers[index], this.lastSeenMs[index], this.verified[index] === 1, into.size,
      this.failures[index], this.srttMs[index], this.rttVarMs[index],
    );
  }

  /** The contact sent us something: it is proven, not failing, and the most recently seen. */
  markSeen(index: number, nowMs: number): void {
    if (this.isWeak(index)) this.weakCount--;
    this.failures[index] = 0;
    this.verified[index] = 1;
    this.lastSeenMs[index] = nowMs;
    moveObjectToEnd(this.peers, index);
    moveNumberToEnd(this.heads, index);
    moveNumberToEnd(this.lastSeenMs, index);
    moveNumberToEnd(this.failures, index);
    moveNumberToEnd(this.verified, index);
    moveNumberToEnd(this.srttMs, index);
    moveNumberToEnd(this.rttVarMs, index);
  }

  /** The transport authenticated a contact at a new address: remember the new one. */
  updatePeer(index: number, peer: PeerRef): void {
    this.peers[index] = peer;
  }

  /** Counts a missed request; returns the contact's consecutive failures. */
  recordFailure(index: number): number {
    if (!this.isWeak(index)) this.weakCount++;
    return ++this.failures[index];
  }

  recordRtt(index: number, sampleMs: number): void {
    const estimate: RttSample = { srttMs: this.srttMs[index], rttVarMs: this.rttVarMs[index] };
    addRttSample(estimate, sampleMs);
    this.srttMs[index] = estimate.srttMs;
    this.rttVarMs[index] = estimate.rttVarMs;
  }

  /** The index of the first contact that missed a request or was never heard from, or -1. */
  firstWeakIndex(): number {
    if (this.weakCount === 0) return -1;
    for (let i = 0; i < this.peers.length; i++) if (this.isWeak(i)) return i;
    return -1;
  }

  info(index: number): ContactInfo {
    return {
      peer: this.peers[index], lastSeenMs: this.lastSeenMs[index], failures: this.failures[index],
      verified: this.verified[index] === 1, srttMs: this.srttMs[index], rttVarMs: this.rttVarMs[index],
    };
  }

  get replacementCount(): number {
    return this.replacementPeers.length;
  }

  addReplacement(peer: PeerRef, seenMs: number, replacementsMax: number): void {
    this.removeReplacement(peer);
    this.replacementPeers.push(peer);
    this.replacementHeads.push(peer.head);
    this.replacementSeenMs.push(seenMs);
    if (this.replacementPeers.length > replacementsMax) this.removeReplacementAt(0);
  }

  removeReplacement(id: Id): void {
    const heads = this.replacementHeads;
    for (let i = 0; i < heads.length; i++) {
      if (heads[i] === id.head && idEquals(this.replacementPeers[i], id)) {
        this.removeReplacementAt(i);
        return;
      }
    }
  }

  /** Removes and returns the newest replacement, or undefined. */
  popNewestReplacement(): { peer: PeerRef; seenMs: number } | undefined {
    const last = this.replacementPeers.length - 1;
    if (last < 0) return undefined;
    const taken = { peer: this.replacementPeers[last], seenMs: this.replacementSeenMs[last] };
    this.removeReplacementAt(last);
    return taken;
  }

  private isWeak(index: number): boolean {
    return this.failures[index] > 0 || this.verified[index] === 0;
  }

  private removeReplacementAt(index: number): void {
    removeObjectAt(this.replacementPeers, index);
    removeNumberAt(this.replacementHeads, index);
    removeNumberAt(this.replacementSeenMs, index);
  }
}
