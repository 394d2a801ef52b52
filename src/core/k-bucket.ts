/**
 * One k-bucket of the routing table (Kademlia §2.2): up to k contacts whose ids share the bucket's
 * prefix, least recently seen first, and a cache of newcomers waiting for a place (§4.1).
 *
 * Storage is laid out for a simulator that holds 10^5 tables in one process and is bound by memory:
 * the peers in one array, and everything numeric about them — the id's first 32 bits, when last
 * seen, consecutive failures and whether proven, RTT estimates — in one array of unboxed doubles,
 * k rows per column, allocated once. A scan for a peer reads k contiguous numbers; a bucket costs
 * one array instead of an object (and boxed doubles) per contact or a growable array per field.
 */
import { idEquals, type Id } from './id.ts';
import type { PeerRef } from './peer.ts';
import { addRttSample, type RttSample } from './rtt-estimator.ts';
import type { VivaldiCoordinate } from './vivaldi.ts';

/** A copy of what the table knows about one contact, for status reports and tests. */
export interface ContactInfo extends RttSample {
  readonly peer: PeerRef;
  readonly lastSeenMs: number;
  readonly failures: number;
  readonly verified: boolean;
  /** Its Vivaldi coordinate, as it last sent it (with proximity on); null when unknown. */
  readonly coordinate: VivaldiCoordinate | null;
}

const NO_PEERS: readonly PeerRef[] = Object.freeze([]);
const NO_TIMES: readonly number[] = Object.freeze([]);

/** One all-zero array of doubles per length, copied for each bucket (see doubleColumns). */
const zeroColumns = new Map<number, number[]>();

/**
 * A packed array of unboxed doubles on the JS heap, all zero. Not a Float64Array: each of those
 * keeps its bytes outside the heap with an ArrayBuffer to track them, and at 10^5 tables the
 * millions of them made V8 run its full collections far more often (measured: docs/BENCHMARKS.md).
 * The template is filled with a fraction first, which fixes its element kind as double, so it never
 * holds boxes; a copy by slice() keeps that kind and is exactly as long (an array grown by push
 * keeps up to half again as much room).
 */
function doubleColumns(length: number): number[] {
  let template = zeroColumns.get(length);
  if (template === undefined) {
    template = [];
    for (let i = 0; i < length; i++) template.push(0.5);
    for (let i = 0; i < length; i++) template[i] = 0;
    zeroColumns.set(length, template);
  }
  return template.slice();
}

/**
 * Column offsets, in units of k rows. `status` packs consecutive failures and whether the contact
 * proved alive as failures × 2 + verified: one column fewer is a sixth less memory per bucket.
 */
const Column = { head: 0, lastSeenMs: 1, status: 2, srttMs: 3, rttVarMs: 4 } as const;
const COLUMNS = 5;

export class KBucket {
  readonly leaf = true as const;
  readonly depth: number;
  /** An id whose first `depth` bits are the bucket's prefix (the rest are zero). */
  readonly prefix: Id;
  /** Whether the bucket's range contains our own id. */
  readonly onOwnPath: boolean;
  /** Least recently seen first; row i of every column belongs to peers[i]. */
  readonly peers: PeerRef[] = [];
  private readonly capacity: number;
  private readonly columns: number[];
  /**
   * Contacts that missed their last request or were never heard from: the first to make room for
   * a newcomer that has just proved alive (§4.1), without the liveness check a proven contact gets.
   */
  weakCount = 0;
  /**
   * The replacement cache, oldest first, with when each was seen; the newest is promoted when a
   * contact is evicted. Null until the first newcomer waits: most buckets never cache anyone, and
   * at 10^5 tables two empty arrays per bucket were millions of objects for every full GC to mark.
   */
  private replacements: { readonly peers: PeerRef[]; readonly seenMs: number[] } | null = null;
  /** When a lookup last targeted this bucket's range; refresh is due an interval later (§2.3). */
  lastTouchedMs: number;
  /** The contact being pinged on behalf of a newcomer, if any. */
  checking: PeerRef | null = null;
  /**
   * With proximity on, each contact's Vivaldi coordinate as it last sent it (null when unknown),
   * parallel to `peers`; null otherwise, so a table without proximity costs nothing. Coordinates
   * are immutable and shared with the messages that carried them, so keeping one allocates nothing.
   */
  private readonly coordinates: (VivaldiCoordinate | null)[] | null;

  constructor(depth: number, prefix: Id, onOwnPath: boolean, lastTouchedMs: number, capacity: number, withCoordinates = false) {
    this.depth = depth;
    this.prefix = prefix;
    this.onOwnPath = onOwnPath;
    this.lastTouchedMs = lastTouchedMs;
    this.capacity = capacity;
    this.columns = doubleColumns(capacity * COLUMNS);
    this.coordinates = withCoordinates ? [] : null;
  }

  get withCoordinates(): boolean {
    return this.coordinates !== null;
  }

  coordinateAt(index: number): VivaldiCoordinate | null {
    return this.coordinates === null ? null : this.coordinates[index] ?? null;
  }

  /** Remembers a contact's coordinate (null forgets it); a no-op without proximity. */
  setCoordinate(index: number, coordinate: VivaldiCoordinate | null): void {
    if (this.coordinates !== null) this.coordinates[index] = coordinate;
  }

  get size(): number {
    return this.peers.length;
  }

  head(index: number): number {
    return this.columns[index];
  }

  lastSeenMsAt(index: number): number {
    return this.columns[Column.lastSeenMs * this.capacity + index];
  }

  failuresAt(index: number): number {
    return this.columns[Column.status * this.capacity + index] >> 1;
  }

  isVerified(index: number): boolean {
    return (this.columns[Column.status * this.capacity + index] & 1) === 1;
  }

  srttMsAt(index: number): number {
    return this.columns[Column.srttMs * this.capacity + index];
  }

  rttVarMsAt(index: number): number {
    return this.columns[Column.rttVarMs * this.capacity + index];
  }

  indexOf(id: Id): number {
    const columns = this.columns;
    const head = id.head;
    const size = this.peers.length;
    for (let i = 0; i < size; i++) {
      if (columns[i] === head && idEquals(this.peers[i], id)) return i;
    }
    return -1;
  }

  /** Adds a contact at `index` (the end, as most recently seen, by default). The bucket must have room. */
  insert(
    peer: PeerRef, lastSeenMs: number, verified: boolean, index = this.peers.length,
    failures = 0, srttMs = 0, rttVarMs = 0, coordinate: VivaldiCoordinate | null = null,
  ): void {
    const size = this.peers.length;
    if (size >= this.capacity) throw new RangeError('the bucket is full');
    this.peers.push(peer);
    for (let at = size; at > index; at--) this.peers[at] = this.peers[at - 1];
    this.peers[index] = peer;
    const coordinates = this.coordinates;
    if (coordinates !== null) {
      coordinates.length = size;
      coordinates.splice(index, 0, coordinate);
    }
    this.shiftRows(index, size, 1);
    this.setRow(index, peer.head, lastSeenMs, failures, verified ? 1 : 0, srttMs, rttVarMs);
    if (failures > 0 || !verified) this.weakCount++;
  }

  removeAt(index: number): void {
    if (this.isWeak(index)) this.weakCount--;
    const last = this.peers.length - 1;
    for (let at = index; at < last; at++) this.peers[at] = this.peers[at + 1];
    this.peers.pop();
    this.coordinates?.splice(index, 1);
    this.shiftRows(index + 1, last + 1, -1);
  }

  /** Moves the contact at `index` to the split child `into`, keeping its state. */
  moveTo(index: number, into: KBucket): void {
    into.insert(
      this.peers[index], this.lastSeenMsAt(index), this.isVerified(index), into.size,
      this.failuresAt(index), this.srttMsAt(index), this.rttVarMsAt(index), this.coordinateAt(index),
    );
  }

  /** The contact sent us something: it is proven, not failing, and the most recently seen. */
  markSeen(index: number, nowMs: number): void {
    if (this.isWeak(index)) this.weakCount--;
    const k = this.capacity;
    const columns = this.columns;
    const peer = this.peers[index];
    const srttMs = columns[Column.srttMs * k + index];
    const rttVarMs = columns[Column.rttVarMs * k + index];
    const last = this.peers.length - 1;
    for (let at = index; at < last; at++) this.peers[at] = this.peers[at + 1];
    this.peers[last] = peer;
    const coordinates = this.coordinates;
    if (coordinates !== null) {
      coordinates.length = last + 1;
      const [coordinate] = coordinates.splice(index, 1);
      coordinates.push(coordinate ?? null);
    }
    this.shiftRows(index + 1, last + 1, -1);
    this.setRow(last, peer.head, nowMs, 0, 1, srttMs, rttVarMs);
  }

  /** The transport authenticated a contact at a new address: remember the new one. */
  updatePeer(index: number, peer: PeerRef): void {
    this.peers[index] = peer;
  }

  /** Counts a missed request; returns the contact's consecutive failures. */
  recordFailure(index: number): number {
    if (!this.isWeak(index)) this.weakCount++;
    const at = Column.status * this.capacity + index;
    this.columns[at] += 2;
    return this.columns[at] >> 1;
  }

  recordRtt(index: number, sampleMs: number): void {
    const k = this.capacity;
    const estimate: RttSample = { srttMs: this.columns[Column.srttMs * k + index], rttVarMs: this.columns[Column.rttVarMs * k + index] };
    addRttSample(estimate, sampleMs);
    this.columns[Column.srttMs * k + index] = estimate.srttMs;
    this.columns[Column.rttVarMs * k + index] = estimate.rttVarMs;
  }

  /** The index of the first contact that missed a request or was never heard from, or -1. */
  firstWeakIndex(): number {
    if (this.weakCount === 0) return -1;
    for (let i = 0; i < this.peers.length; i++) if (this.isWeak(i)) return i;
    return -1;
  }

  info(index: number): ContactInfo {
    return {
      peer: this.peers[index], lastSeenMs: this.lastSeenMsAt(index), failures: this.failuresAt(index),
      verified: this.isVerified(index), srttMs: this.srttMsAt(index), rttVarMs: this.rttVarMsAt(index),
      coordinate: this.coordinateAt(index),
    };
  }

  get replacementCount(): number {
    return this.replacements === null ? 0 : this.replacements.peers.length;
  }

  /** The cached newcomers, oldest first. */
  get replacementPeers(): readonly PeerRef[] {
    return this.replacements === null ? NO_PEERS : this.replacements.peers;
  }

  /** When each cached newcomer was seen, parallel to replacementPeers. */
  get replacementSeenMs(): readonly number[] {
    return this.replacements === null ? NO_TIMES : this.replacements.seenMs;
  }

  addReplacement(peer: PeerRef, seenMs: number, replacementsMax: number): void {
    this.removeReplacement(peer);
    const replacements = this.replacements ?? (this.replacements = { peers: [], seenMs: [] });
    replacements.peers.push(peer);
    replacements.seenMs.push(seenMs);
    if (replacements.peers.length > replacementsMax) {
      replacements.peers.shift();
      replacements.seenMs.shift();
    }
  }

  removeReplacement(id: Id): void {
    if (this.replacements === null) return;
    const peers = this.replacements.peers;
    for (let i = 0; i < peers.length; i++) {
      if (peers[i].head === id.head && idEquals(peers[i], id)) {
        peers.splice(i, 1);
        this.replacements.seenMs.splice(i, 1);
        return;
      }
    }
  }

  /** Removes and returns the newest replacement, or undefined. */
  popNewestReplacement(): { peer: PeerRef; seenMs: number } | undefined {
    const peer = this.replacements?.peers.pop();
    if (peer === undefined) return undefined;
    return { peer, seenMs: (this.replacements as { seenMs: number[] }).seenMs.pop() as number };
  }

  private isWeak(index: number): boolean {
    return this.failuresAt(index) > 0 || !this.isVerified(index);
  }

  private setRow(index: number, head: number, lastSeenMs: number, failures: number, verified: number, srttMs: number, rttVarMs: number): void {
    const k = this.capacity;
    const columns = this.columns;
    columns[index] = head;
    columns[Column.lastSeenMs * k + index] = lastSeenMs;
    columns[Column.status * k + index] = failures * 2 + verified;
    columns[Column.srttMs * k + index] = srttMs;
    columns[Column.rttVarMs * k + index] = rttVarMs;
  }

  /** Moves rows [from, to) by `by` (+1 opens a gap at `from`, −1 closes the gap before `from`) in every column. */
  private shiftRows(from: number, to: number, by: 1 | -1): void {
    const k = this.capacity;
    const columns = this.columns;
    for (let column = 0; column < COLUMNS; column++) {
      const base = column * k;
      if (by === 1) for (let at = to; at > from; at--) columns[base + at] = columns[base + at - 1];
      else for (let at = from; at < to; at++) columns[base + at - 1] = columns[base + at];
    }
  }
}
