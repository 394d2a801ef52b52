/**
 * The Kademlia routing table as a binary tree of k-buckets (Kademlia §2.4), with b bits per digit
 * (§4.2, accelerated lookups) and relaxed splitting for unbalanced trees (§2.4).
 *
 * Each leaf covers the ids that share its prefix. A full leaf is split when
 *   - its range contains our own id (the paper's basic rule), or
 *   - its depth is not a multiple of b, so each digit of b bits gets 2^b − 1 sibling buckets (§4.2), or
 *   - (relaxed) the newcomer would be one of our k closest contacts, so we know all of our
 *     neighbourhood even when it lies outside the subtree of our own id (§2.4, "highly unbalanced trees").
 * A full leaf that may not split keeps its contacts: the least-recently-seen one is replaced only
 * after it fails a liveness check, because long-lived contacts are the likeliest to stay (§2.2;
 * seed paper §4.2). Newcomers wait in a per-bucket replacement cache (§4.1).
 *
 * The tree's nodes along our own id's path (the spine) are indexed by depth, so finding the leaf
 * of an id starts at the spine node where the id leaves our path, a few steps from its leaf.
 *
 * With proximity on (issue 6, survey §4.5), a full bucket also practises proximity neighbour
 * selection: a newcomer that has just answered us in at most half the RTT of the bucket's farthest
 * contact (measured, or predicted by coordinates) takes that contact's place, and the far one waits
 * in the replacement cache. Any contact of a bucket's range serves a lookup equally well, so nearer
 * ones make every hop through the bucket faster (Castro et al., "Exploiting network proximity in
 * peer-to-peer overlay networks", 2002; Kaune et al. measured it for Kademlia, 2008). Our own
 * neighbourhood is never chosen by proximity: those contacts are the ones that must be exact.
 *
 * The table does no IO: when it wants a contact pinged it says so in its return value.
 */
import { bitAt, commonPrefixLength, compareDistance, idEquals, ID_BITS, idFromBytes, type Id } from './id.ts';
import { KBucket, type ContactInfo } from './k-bucket.ts';
import type { PeerRef } from './peer.ts';
import { retransmissionTimeoutMs } from './rtt-estimator.ts';
import type { VivaldiCoordinate } from './vivaldi.ts';
import type { EvictionPolicy } from './config.ts';

export type { ContactInfo } from './k-bucket.ts';

/** lastSeenMs of a contact never heard from: long ago, and a small integer, unlike -Infinity, so V8 need not box it. */
const NEVER_SEEN_MS = -(2 ** 30);
export type Bucket = KBucket;

interface Branch {
  readonly leaf: false;
  readonly depth: number;
  zero: Tree;
  one: Tree;
}

type Tree = KBucket | Branch;

export interface RoutingTableConfig {
  readonly k: number;
  readonly bitsPerDigit: number;
  readonly relaxedSplitting: boolean;
  readonly failuresToEvict: number;
  readonly livenessCheckAfterMs: number;
  readonly replacementsMax: number;
  /** Keep contacts' coordinates and choose near contacts for full buckets (see above); false by default. */
  readonly proximity?: boolean;
  /** `lru` evicts a full bucket's least-recently-seen contact for a newcomer at once (config.ts); ping-first by default. */
  readonly eviction?: EvictionPolicy;
}

/**
 * How far a contact is, in predicted or measured RTT, for proximity neighbour selection: given the
 * coordinate it sent and our smoothed RTT to it (0 when never measured), NaN when unknown.
 */
export type ProximityEstimate = (coordinate: VivaldiCoordinate | null, srttMs: number) => number;

/** fullNeighbourhoodDepth's value while it must be recounted. */
const UNKNOWN_DEPTH = -2;

/** A newcomer replaces a bucket's farthest contact when it is predicted this much nearer (a ratio of RTTs). */
const PNS_REPLACE_RATIO = 0.5;

/**
 * What observing a contact did: `added` a new contact, `proven` one that others had named and that
 * has now been heard from itself, `updated` a known one, `cached` a newcomer waiting for room.
 * `check` asks the caller to ping `peer` and report the result.
 */
export type ObserveOutcome = 'self' | 'updated' | 'proven' | 'added' | 'cached' | { readonly check: PeerRef };

export class RoutingTable {
  readonly self: Id;
  private readonly config: RoutingTableConfig;
  /** spine[d] is the tree node at depth d on our own id's path; the last one is the leaf holding our id. */
  private readonly spine: Tree[];
  private entryCount = 0;
  /**
   * The deepest spine depth whose subtree (the contacts sharing at least that many leading bits
   * with us) holds k or more contacts; -1 when none does, UNKNOWN_DEPTH after any change. The relaxed
   * split test asks this for nearly every contact offered to a full bucket, and the table changes
   * far less often than it is asked.
   */
  private fullNeighbourhoodDepth = UNKNOWN_DEPTH;
  /** Set by the node when proximity is on; without it a full bucket keeps its contacts (§2.2). */
  estimate: ProximityEstimate | null = null;
  /**
   * What a contact whose distance is unknown counts as when a newcomer's is known: a typical RTT
   * (the node's median), so a newcomer known to be near may replace a contact we know nothing of.
   * NaN (the default) keeps unknown contacts.
   */
  unknownContactRttMs = Number.NaN;

  constructor(self: Id, config: RoutingTableConfig, nowMs: number) {
    this.self = self;
    this.config = config;
    this.spine = [new KBucket(0, idFromBytes(new Uint8Array(32)), true, nowMs, config.k, config.proximity === true)];
  }

  get size(): number {
    return this.entryCount;
  }

  /**
   * Records that `peer` was heard from directly (a request or reply it sent us). Contacts we only
   * heard of from third parties are never passed here, so nobody can fill our table with others.
   */
  observe(peer: PeerRef, nowMs: number, rttSampleMs?: number, coordinate?: VivaldiCoordinate): ObserveOutcome {
    if (idEquals(peer, this.self)) return 'self';
    for (;;) {
      const bucket = this.leafFor(peer);
      const index = bucket.indexOf(peer);
      if (index >= 0) {
        if (rttSampleMs !== undefined) bucket.recordRtt(index, rttSampleMs);
        if (coordinate !== undefined) bucket.setCoordinate(index, coordinate);
        // The transport authenticated this peer, so its current address replaces what we had.
        if (bucket.peers[index].address !== peer.address) bucket.updatePeer(index, peer);
        const wasProven = bucket.isVerified(index);
        bucket.markSeen(index, nowMs);
        return wasProven ? 'updated' : 'proven';
      }
      if (bucket.size < this.config.k) {
        this.insert(bucket, peer, nowMs, true, rttSampleMs, coordinate);
        bucket.removeReplacement(peer);
        return 'added';
      }
      if (this.maySplit(bucket, peer)) {
        this.split(bucket);
        continue;
      }
      return this.offerToFullBucket(bucket, peer, nowMs, rttSampleMs, coordinate);
    }
  }

  /**
   * Adds a contact we have not heard from ourselves — a bootstrap address, a restored snapshot, a
   * peer named in a lookup reply — but only into spare room: it never displaces a contact, and it
   * is the first to give way to one that proves alive. Filling room this way brings a new node's
   * table close to a full one without a message per contact; a contact that turns out dead fails
   * its first request and is dropped (Kademlia §2.2 admits only senders; we trade that for table
   * fill, and the trust layer will bound what any one referrer may add).
   */
  addUnverified(peer: PeerRef, nowMs: number, coordinate: VivaldiCoordinate | null = null): boolean {
    if (idEquals(peer, this.self)) return false;
    for (;;) {
      const bucket = this.leafFor(peer);
      // A full bucket that may not split is the common case once the table has filled: it says
      // no before the scan for the peer, which reads every contact's id.
      const full = bucket.size >= this.config.k;
      if (full && this.surelyMayNotSplit(bucket, peer)) return false;
      if (bucket.indexOf(peer) >= 0) return false;
      if (!full) {
        bucket.insert(peer, NEVER_SEEN_MS, false, 0, 0, 0, 0, coordinate);
        bucket.removeReplacement(peer);
        this.countChanged(1);
        return true;
      }
      if (!this.maySplit(bucket, peer)) return false;
      this.split(bucket);
    }
  }

  /**
   * The result of a liveness check that `observe` asked for. An answer needs nothing more here:
   * the answer itself was observed, which marked the contact as seen. Silence evicts it.
   */
  onLivenessResult(peer: PeerRef, alive: boolean): void {
    const bucket = this.leafFor(peer);
    if (bucket.checking && idEquals(bucket.checking, peer)) bucket.checking = null;
    if (!alive) this.remove(peer);
  }

  /** Counts an unanswered request; evicts the contact once it has failed too often. Returns whether it was evicted. */
  recordFailure(peer: Id): boolean {
    const bucket = this.leafFor(peer);
    const index = bucket.indexOf(peer);
    if (index < 0) return false;
    if (bucket.recordFailure(index) < this.config.failuresToEvict) return false;
    this.remove(peer);
    return true;
  }

  /** Drops a contact and promotes the newest replacement into its bucket. */
  remove(peer: Id): boolean {
    const bucket = this.leafFor(peer);
    const index = bucket.indexOf(peer);
    if (index < 0) {
      bucket.removeReplacement(peer);
      return false;
    }
    bucket.removeAt(index);
    this.countChanged(-1);
    if (bucket.checking && idEquals(bucket.checking, peer)) bucket.checking = null;
    const promoted = bucket.popNewestReplacement();
    if (promoted) {
      // Keep least-recently-seen order: the promoted contact was last seen at promoted.seenMs.
      let at = bucket.size;
      while (at > 0 && bucket.lastSeenMsAt(at - 1) > promoted.seenMs) at--;
      bucket.insert(promoted.peer, promoted.seenMs, true, at);
      this.countChanged(1);
    }
    return true;
  }

  has(peer: Id): boolean {
    return this.leafFor(peer).indexOf(peer) >= 0;
  }

  /** A copy of what we know about a contact, or undefined. */
  find(peer: Id): ContactInfo | undefined {
    const bucket = this.leafFor(peer);
    const index = bucket.indexOf(peer);
    return index >= 0 ? bucket.info(index) : undefined;
  }

  /**
   * Whether `peer`, which we have only heard of (with the coordinate a third party gave), might
   * take a contact's place by proximity: worth a ping, whose measured RTT decides (dht-node.ts).
   */
  wouldTakePlaceByProximity(peer: PeerRef, coordinate: VivaldiCoordinate): boolean {
    if (this.estimate === null || idEquals(peer, this.self)) return false;
    const bucket = this.leafFor(peer);
    if (bucket.size < this.config.k || bucket.indexOf(peer) >= 0) return false;
    // The cheap test first: maySplit may have to gather our neighbourhood.
    return this.fartherContact(bucket, 0, coordinate) >= 0 && !this.maySplit(bucket, peer);
  }

  /**
   * How far `peer` is by `estimate`: its measured RTT if it is a contact that has answered us, else
   * what `given` (a coordinate a reply named it with) or its kept coordinate predicts; NaN without
   * proximity or when unknown. Allocates nothing: lookups ask it for every candidate.
   */
  estimateFor(peer: Id, given: VivaldiCoordinate | null): number {
    const estimate = this.estimate;
    if (estimate === null) return Number.NaN;
    const bucket = this.leafFor(peer);
    const index = bucket.indexOf(peer);
    if (index < 0) return estimate(given, 0);
    return estimate(given ?? bucket.coordinateAt(index), bucket.srttMsAt(index));
  }

  /** The coordinate a contact last sent us, or null (unknown, or proximity off). */
  coordinateOf(peer: Id): VivaldiCoordinate | null {
    const bucket = this.leafFor(peer);
    const index = bucket.indexOf(peer);
    return index >= 0 ? bucket.coordinateAt(index) : null;
  }

  /** Whether we have measured a round trip to `peer` (it is a contact that has answered us). */
  hasRttSample(peer: Id): boolean {
    const bucket = this.leafFor(peer);
    const index = bucket.indexOf(peer);
    return index >= 0 && bucket.srttMsAt(index) !== 0;
  }

  /** The retransmission timeout for a contact from its own RTT samples, or `fallbackMs` without them. */
  retransmissionTimeoutMs(peer: Id, fallbackMs: number, minMs: number, maxMs: number): number {
    const bucket = this.leafFor(peer);
    const index = bucket.indexOf(peer);
    if (index < 0 || bucket.srttMsAt(index) === 0) return Math.min(maxMs, Math.max(minMs, fallbackMs));
    return retransmissionTimeoutMs({ srttMs: bucket.srttMsAt(index), rttVarMs: bucket.rttVarMsAt(index) }, fallbackMs, minMs, maxMs);
  }

  /**
   * The `count` contacts closest to `target`, closest first, leaving out `excluded`.
   * Walks the tree towards the target and then outwards: every contact in the subtree on the
   * target's side of a branch is closer than every contact on the other side, so only the buckets
   * that can hold the answer are read.
   */
  closest(target: Id, count: number, excluded?: Id): PeerRef[] {
    const nearest = new NearestPeers(target, count, excluded);
    collectTowards(this.spine[0], target, nearest);
    return nearest.sorted();
  }

  /** Whether the bucket covering `target` is at least `depth` deep and holds k contacts: nothing to learn for it. */
  isFullDownTo(target: Id, depth: number): boolean {
    const bucket = this.leafFor(target);
    return bucket.depth >= depth && bucket.size >= this.config.k;
  }

  /** Marks the bucket covering `target` as recently looked up, postponing its refresh. */
  touch(target: Id, nowMs: number): void {
    this.leafFor(target).lastTouchedMs = nowMs;
  }

  buckets(): Bucket[] {
    const out: Bucket[] = [];
    const visit = (tree: Tree): void => {
      if (tree.leaf) out.push(tree);
      else {
        visit(tree.zero);
        visit(tree.one);
      }
    };
    visit(this.spine[0]);
    return out;
  }

  /** Every contact, least recently seen first within each bucket. */
  peers(): PeerRef[] {
    const out: PeerRef[] = [];
    for (const bucket of this.buckets()) out.push(...bucket.peers);
    return out;
  }

  private leafFor(id: Id): KBucket {
    const spine = this.spine;
    let tree = spine[Math.min(commonPrefixLength(id, this.self), spine.length - 1)];
    while (!tree.leaf) tree = bitAt(id, tree.depth) === 0 ? tree.zero : tree.one;
    return tree;
  }

  private insert(bucket: KBucket, peer: PeerRef, nowMs: number, verified: boolean, rttSampleMs: number | undefined, coordinate?: VivaldiCoordinate): void {
    bucket.insert(peer, nowMs, verified, bucket.size, 0, 0, 0, coordinate ?? null);
    if (rttSampleMs !== undefined) bucket.recordRtt(bucket.size - 1, rttSampleMs);
    this.countChanged(1);
  }

  private maySplit(bucket: KBucket, newcomer: PeerRef): boolean {
    if (this.surelyMayNotSplit(bucket, newcomer)) return false;
    if (bucket.onOwnPath || bucket.depth % this.config.bitsPerDigit !== 0) return true;
    // Off our path at a digit boundary, with relaxed splitting and a newcomer near enough to ask.
    return this.wouldBeAmongClosestToSelf(newcomer);
  }

  /**
   * maySplit's answer when it is no and cheap to give: the depth limit, or a bucket off our path at
   * a digit boundary whose newcomer is too far for relaxed splitting (contacts sharing more leading
   * bits with us than it does already number k). False when maySplit must look further.
   */
  private surelyMayNotSplit(bucket: KBucket, newcomer: PeerRef): boolean {
    if (bucket.depth >= ID_BITS - 1) return true;
    if (bucket.onOwnPath || bucket.depth % this.config.bitsPerDigit !== 0) return false;
    return !this.config.relaxedSplitting || commonPrefixLength(newcomer, this.self) + 1 <= this.neighbourhoodDepth();
  }

  /** Whether fewer than k contacts are closer to our own id than `peer` is. */
  private wouldBeAmongClosestToSelf(peer: PeerRef): boolean {
    const k = this.config.k;
    const nearest = this.closest(this.self, k);
    return nearest.length < k || compareDistance(this.self, peer, nearest[k - 1]) < 0;
  }

  private countChanged(delta: number): void {
    this.entryCount += delta;
    this.fullNeighbourhoodDepth = UNKNOWN_DEPTH;
  }

  /** See fullNeighbourhoodDepth. Subtrees along the spine are nested, so their counts only fall with depth. */
  private neighbourhoodDepth(): number {
    if (this.fullNeighbourhoodDepth === UNKNOWN_DEPTH) {
      const k = this.config.k;
      let depth = this.spine.length - 1;
      while (depth >= 0 && countUpTo(this.spine[depth], k) < k) depth--;
      this.fullNeighbourhoodDepth = depth;
    }
    return this.fullNeighbourhoodDepth;
  }

  private split(bucket: KBucket): void {
    this.fullNeighbourhoodDepth = UNKNOWN_DEPTH;
    const depth = bucket.depth;
    const onePrefixBytes = bucket.prefix.bytes.slice();
    onePrefixBytes[depth >> 3] |= 1 << (7 - (depth & 7));
    const selfBit = bitAt(this.self, depth);
    const withCoordinates = bucket.withCoordinates;
    const zero = new KBucket(depth + 1, bucket.prefix, bucket.onOwnPath && selfBit === 0, bucket.lastTouchedMs, this.config.k, withCoordinates);
    const one = new KBucket(depth + 1, idFromBytes(onePrefixBytes), bucket.onOwnPath && selfBit === 1, bucket.lastTouchedMs, this.config.k, withCoordinates);
    for (let i = 0; i < bucket.size; i++) bucket.moveTo(i, bitAt(bucket.peers[i], depth) === 0 ? zero : one);
    for (let i = 0; i < bucket.replacementCount; i++) {
      const peer = bucket.replacementPeers[i];
      (bitAt(peer, depth) === 0 ? zero : one).addReplacement(peer, bucket.replacementSeenMs[i], this.config.replacementsMax);
    }
    if (bucket.checking) (bitAt(bucket.checking, depth) === 0 ? zero : one).checking = bucket.checking;
    // A child with room takes its newest waiting newcomers at once, rather than leaving them cached.
    for (const child of [zero, one]) {
      while (child.size < this.config.k && child.replacementCount > 0) {
        const promoted = child.popNewestReplacement() as { peer: PeerRef; seenMs: number };
        let at = child.size;
        while (at > 0 && child.lastSeenMsAt(at - 1) > promoted.seenMs) at--;
        child.insert(promoted.peer, promoted.seenMs, true, at);
        this.countChanged(1);
      }
    }
    const branch: Branch = { leaf: false, depth, zero, one };
    if (bucket.onOwnPath) {
      this.spine[depth] = branch;
      this.spine.push(selfBit === 0 ? zero : one);
    }
    if (depth > 0) {
      // The parent sits on the spine where the bucket's prefix leaves our path, or below it.
      let parent = this.spine[Math.min(commonPrefixLength(bucket.prefix, this.self), depth - 1)] as Branch;
      for (;;) {
        const side = bitAt(bucket.prefix, parent.depth);
        const child = side === 0 ? parent.zero : parent.one;
        if (child === bucket) {
          if (side === 0) parent.zero = branch;
          else parent.one = branch;
          break;
        }
        parent = child as Branch;
      }
    }
  }

  private offerToFullBucket(bucket: KBucket, peer: PeerRef, nowMs: number, rttSampleMs: number | undefined, coordinate?: VivaldiCoordinate): ObserveOutcome {
    // A contact that missed a request, or never proved alive, gives way to one that just did (§4.1).
    const weak = bucket.firstWeakIndex();
    if (weak >= 0) {
      bucket.removeAt(weak);
      this.countChanged(-1);
      this.insert(bucket, peer, nowMs, true, rttSampleMs, coordinate);
      bucket.removeReplacement(peer);
      return 'added';
    }
    // Only a measured RTT lets a newcomer in by proximity: a coordinate is the peer's own claim,
    // and a peer claiming to be near must not be able to push contacts out of our table.
    const farther = rttSampleMs === undefined ? -1 : this.fartherContact(bucket, rttSampleMs, null);
    if (farther >= 0) {
      bucket.addReplacement(bucket.peers[farther], bucket.lastSeenMsAt(farther), this.config.replacementsMax);
      bucket.removeAt(farther);
      this.countChanged(-1);
      this.insert(bucket, peer, nowMs, true, rttSampleMs, coordinate);
      bucket.removeReplacement(peer);
      return 'added';
    }
    if (this.config.eviction === 'lru') {
      // Plain LRU, for comparison only: the least recently seen goes, alive or not.
      bucket.removeAt(0);
      this.countChanged(-1);
      this.insert(bucket, peer, nowMs, true, rttSampleMs, coordinate);
      bucket.removeReplacement(peer);
      return 'added';
    }
    bucket.addReplacement(peer, nowMs, this.config.replacementsMax);
    if (bucket.checking === null && nowMs - bucket.lastSeenMsAt(0) >= this.config.livenessCheckAfterMs) {
      bucket.checking = bucket.peers[0];
      return { check: bucket.peers[0] };
    }
    return 'cached';
  }

  /**
   * Proximity neighbour selection: the bucket's farthest contact if a newcomer predicted
   * `PNS_REPLACE_RATIO` times as far or nearer should take its place, else -1. Never one of our k
   * closest contacts, nor for a newcomer whose distance is unknown.
   */
  private fartherContact(bucket: KBucket, srttMs: number, coordinate: VivaldiCoordinate | null): number {
    const estimate = this.estimate;
    if (estimate === null) return -1;
    const newcomerMs = estimate(coordinate, srttMs);
    if (!(newcomerMs > 0)) return -1;
    let farthest = -1;
    let farthestMs = newcomerMs / PNS_REPLACE_RATIO;
    for (let i = 0; i < bucket.size; i++) {
      let contactMs = estimate(bucket.coordinateAt(i), bucket.srttMsAt(i));
      if (Number.isNaN(contactMs)) contactMs = this.unknownContactRttMs;
      if (contactMs > farthestMs) {
        farthest = i;
        farthestMs = contactMs;
      }
    }
    // Our neighbourhood is never chosen by proximity: a bucket beside our own path may hold some
    // of our k closest, which must stay whatever their RTT.
    if (farthest >= 0 && this.isAmongClosestToSelf(bucket.peers[farthest])) return -1;
    return farthest;
  }

  private isAmongClosestToSelf(peer: PeerRef): boolean {
    const nearest = this.closest(this.self, this.config.k);
    return nearest.length < this.config.k || compareDistance(this.self, peer, nearest[nearest.length - 1]) <= 0;
  }
}

/**
 * Gathers the contacts of the buckets nearest a target into reusable scratch arrays, then sorts
 * just those by distance. The 32-bit distance heads settle nearly every comparison without
 * touching the peers; the arrays are reused because this runs for every FIND_NODE served. The
 * protocol code is synchronous and single-threaded, so one scratch area per process is safe.
 */
class NearestPeers {
  private static readonly gatheredPeers: PeerRef[] = [];
  private static distanceHeads = new Float64Array(256);
  private static order = new Int32Array(256);
  private readonly target: Id;
  private readonly count: number;
  private readonly excluded: Id | undefined;
  private gathered = 0;

  constructor(target: Id, count: number, excluded: Id | undefined) {
    this.target = target;
    this.count = count;
    this.excluded = excluded;
  }

  get full(): boolean {
    return this.gathered >= this.count;
  }

  gatherBucket(bucket: KBucket): void {
    const size = bucket.size;
    const excluded = this.excluded;
    const targetHead = this.target.head;
    if (NearestPeers.distanceHeads.length < this.gathered + size) NearestPeers.grow(this.gathered + size);
    const peers = NearestPeers.gatheredPeers;
    const distances = NearestPeers.distanceHeads;
    for (let i = 0; i < size; i++) {
      const head = bucket.head(i);
      if (excluded !== undefined && head === excluded.head && idEquals(bucket.peers[i], excluded)) continue;
      peers[this.gathered] = bucket.peers[i];
      distances[this.gathered] = (head ^ targetHead) >>> 0;
      this.gathered++;
    }
  }

  /** The gathered contacts, closest first, at most `count` of them. */
  sorted(): PeerRef[] {
    const peers = NearestPeers.gatheredPeers;
    const distances = NearestPeers.distanceHeads;
    const order = NearestPeers.order;
    const n = this.gathered;
    for (let i = 0; i < n; i++) {
      let at = i;
      const distance = distances[i];
      while (at > 0) {
        const before = order[at - 1];
        const earlier = distances[before];
        if (earlier < distance || (earlier === distance && compareDistance(this.target, peers[before], peers[i]) < 0)) break;
        order[at] = before;
        at--;
      }
      order[at] = i;
    }
    const out: PeerRef[] = new Array(Math.min(n, this.count));
    for (let i = 0; i < out.length; i++) out[i] = peers[order[i]];
    peers.length = 0;
    return out;
  }

  private static grow(size: number): void {
    const capacity = Math.max(size, NearestPeers.distanceHeads.length * 2);
    NearestPeers.distanceHeads = new Float64Array(capacity);
    NearestPeers.order = new Int32Array(capacity);
  }
}

function collectTowards(tree: Tree, target: Id, nearest: NearestPeers): void {
  if (tree.leaf) {
    nearest.gatherBucket(tree);
    return;
  }
  const nearSideIsZero = bitAt(target, tree.depth) === 0;
  collectTowards(nearSideIsZero ? tree.zero : tree.one, target, nearest);
  if (!nearest.full) collectTowards(nearSideIsZero ? tree.one : tree.zero, target, nearest);
}

function countUpTo(tree: Tree, cap: number): number {
  if (tree.leaf) return tree.size;
  const first = countUpTo(tree.zero, cap);
  return first >= cap ? first : first + countUpTo(tree.one, cap - first);
}
