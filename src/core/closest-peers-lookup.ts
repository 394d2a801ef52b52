/**
 * The iterative node lookup as a pure state machine (Kademlia §2.3; the shape follows
 * rust-libp2p's ClosestPeersIter, our own code).
 *
 * The lookup keeps the candidates it has heard of, sorted by distance to the target. `next(nowMs)`
 * names the next peer to ask, at most α at a time; `onSuccess`/`onFailure` feed answers back.
 * A peer silent past its soft deadline (one RTO) is presumed dead: it stops counting against α,
 * holding up the end, or appearing in the result, so a dead contact costs one RTO, not a full
 * request timeout; its late answer is still taken until the request finally fails.
 * When α answers in a row bring nobody closer, the lookup is stalled and asks all of the k closest
 * it has not asked yet, as the paper prescribes.
 *
 * It finishes when the closest candidates have answered: all k of them under the `strict` rule,
 * the closest q under the `confirmed` rule (config.ts explains both), or when its budget of
 * queries is spent and nothing is outstanding.
 *
 * With proximity (issue 6, survey §4.5) the lookup also knows each candidate's predicted RTT and
 * asks the nearest of equally good next hops first (proximity route selection): candidates whose
 * distance to the target shares its leading digit (b bits, Kademlia §4.2) make the same progress,
 * and so do all candidates already inside the target's neighbourhood (depth `neighbourhoodDepth`:
 * any of them knows the nodes closest to the target). Under the confirmed rule the lookup then also
 * takes its q confirmations from inside the neighbourhood, from the nearest candidates there rather
 * than the q closest (which are spread over the world, and waiting for the slowest of them is most
 * of a lookup's time): it finishes once the closest candidate itself and q candidates inside the
 * neighbourhood have answered. The strict rule is unchanged.
 *
 * Candidates live in parallel arrays (peer, distance head, state, hop, deadline) of fixed capacity,
 * the numeric ones typed, so the binary searches and scans on every answer read dense memory and
 * an insertion shifts a few dense arrays.
 */
import type { LookupFinishRule } from './config.ts';
import { compareDistance, idEquals, type Id } from './id.ts';
import type { PeerRef } from './peer.ts';

export const CandidateState = {
  fresh: 0,
  waiting: 1,
  unresponsive: 2,
  succeeded: 3,
  failed: 4,
} as const;

export type CandidateStateCode = (typeof CandidateState)[keyof typeof CandidateState];

export interface LookupConfig {
  readonly k: number;
  readonly alpha: number;
  readonly finish: LookupFinishRule;
  readonly queriesMax: number;
  readonly candidatesMax: number;
  /**
   * Proximity route selection (see above): the digit width b, and the depth (leading bits shared
   * with the target) from which a candidate is inside the target's neighbourhood. Absent: off.
   */
  readonly proximity?: { readonly bitsPerDigit: number; readonly neighbourhoodDepth: number };
}

/** A candidate's predicted RTT, by its place in the list `addPeers` was given; NaN when unknown. */
export type EstimateRtt = (index: number) => number;

export class ClosestPeersLookup {
  readonly target: Id;
  /** Our own id: peers name us as a contact, but we never ask ourselves. */
  private readonly self: Id;
  private readonly config: LookupConfig;
  /** Candidates sorted by distance to the target; the other arrays run parallel to this one. */
  private readonly peers: PeerRef[] = [];
  private count = 0;
  /** The first 32 bits of each candidate's XOR distance to the target: they decide almost every comparison. */
  private readonly distanceHeads: Float64Array;
  private readonly states: Uint8Array;
  /** Length of the referral chain that led to each candidate: 1 for our own contacts. */
  private readonly hops: Uint16Array;
  private readonly softDeadlinesMs: Float64Array;
  /** Each candidate's predicted RTT (NaN unknown); allocated with proximity only. */
  private readonly estimatesMs: Float32Array | null;
  /** With proximity: the digit width and the neighbourhood's depth (LookupConfig.proximity). */
  private readonly bitsPerDigit: number;
  private readonly neighbourhoodDepth: number;
  /** Candidates in state `waiting`: the ones that count against α. */
  private waitingCount = 0;
  private answersWithoutProgress = 0;
  private stalled = false;
  private finished = false;
  queriesSent = 0;
  answers = 0;
  failures = 0;

  constructor(target: Id, self: Id, seeds: readonly PeerRef[], config: LookupConfig, seedEstimates?: EstimateRtt) {
    this.target = target;
    this.self = self;
    this.config = config;
    // One spare slot: an insertion into a full list lands before the farthest is dropped.
    const capacity = config.candidatesMax + 1;
    this.distanceHeads = new Float64Array(capacity);
    this.states = new Uint8Array(capacity);
    this.hops = new Uint16Array(capacity);
    this.softDeadlinesMs = new Float64Array(capacity);
    this.estimatesMs = config.proximity ? new Float32Array(capacity) : null;
    this.bitsPerDigit = config.proximity?.bitsPerDigit ?? 1;
    this.neighbourhoodDepth = config.proximity?.neighbourhoodDepth ?? 0;
    this.addPeers(seeds, 1, undefined, seedEstimates);
  }

  isFinished(): boolean {
    return this.finished;
  }

  /**
   * Gives a lookup that ended with nobody answering a fresh start: the candidates that failed are
   * dropped (the caller remembers them) and `peers` become first-hop candidates. For a requester
   * whose closest contacts towards the target are all gone — a domain cut off from the rest keeps
   * contacts outside it that nobody has tried since — farther contacts may still lead there.
   * Returns whether there is anyone left to ask; a lookup that had an answer is left as it is.
   */
  reopen(peers: readonly PeerRef[], estimates?: EstimateRtt): boolean {
    if (this.answers > 0 || this.waitingCount > 0 || this.queriesSent >= this.config.queriesMax) return false;
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      if (this.states[i] === CandidateState.failed) continue;
      this.peers[kept] = this.peers[i];
      this.distanceHeads[kept] = this.distanceHeads[i];
      this.states[kept] = this.states[i];
      this.hops[kept] = this.hops[i];
      this.softDeadlinesMs[kept] = this.softDeadlinesMs[i];
      if (this.estimatesMs !== null) this.estimatesMs[kept] = this.estimatesMs[i];
      kept++;
    }
    this.count = kept;
    this.peers.length = kept;
    this.addPeers(peers, 1, undefined, estimates);
    for (let i = 0; i < this.count; i++) {
      if (this.states[i] === CandidateState.fresh) {
        this.finished = false;
        this.stalled = false;
        this.answersWithoutProgress = 0;
        return true;
      }
    }
    return false;
  }

  /** Ends the lookup now (a value was found, or the deadline passed). */
  finish(): void {
    this.finished = true;
  }

  /**
   * The next peer to ask, or null when none should be asked now. Call it until it returns null;
   * `timeoutFor` gives the soft deadline of a request to that peer (its RTO).
   */
  next(nowMs: number, timeoutFor: (peer: PeerRef) => number): PeerRef | null {
    if (this.finished) return null;
    this.expireSoftDeadlines(nowMs);
    const k = this.config.k;
    const confirmCount = this.config.finish === 'strict' ? k : this.config.finish;
    // The stalled burst serves the strict rule, which needs all k closest to answer; under the
    // confirmed rule only the closest q must, and α at a time reaches them without the burst.
    const parallelism = this.stalled && this.config.finish === 'strict' ? k : this.config.alpha;
    const states = this.states;
    // With proximity under the confirmed rule, the q confirmations may come from any candidates
    // inside the target's neighbourhood — the nearest, as route selection picks them — once the
    // closest candidate itself has answered (see the header).
    const confirmNear = this.estimatesMs !== null && this.config.finish !== 'strict';
    let considered = 0;
    let allAnsweredSoFar = true;
    let outstanding = this.waitingCount > 0;
    let closestAnswered = false;
    let neighbourhoodAnswers = 0;
    for (let i = 0; i < this.count; i++) {
      const state = states[i];
      // A peer silent past its soft deadline is presumed dead: it neither holds up the end of the
      // lookup nor takes a place among the results, though a late answer still brings it back.
      if (state === CandidateState.failed || state === CandidateState.unresponsive) continue;
      if (considered === k) break;
      considered++;
      if (state === CandidateState.succeeded) {
        if (confirmNear) {
          if (considered === 1) closestAnswered = true;
          if (closestAnswered && this.inNeighbourhood(i) && ++neighbourhoodAnswers >= confirmCount) {
            this.finished = true;
            return null;
          }
        } else if (allAnsweredSoFar && considered >= confirmCount) {
          this.finished = true;
          return null;
        }
      } else if (state === CandidateState.fresh) {
        allAnsweredSoFar = false;
        if (this.waitingCount < parallelism && this.queriesSent < this.config.queriesMax) {
          const mustAsk = confirmNear ? considered === 1 : considered <= confirmCount;
          const chosen = this.estimatesMs === null ? i : this.nearestEquivalent(i, mustAsk, k - considered);
          states[chosen] = CandidateState.waiting;
          this.softDeadlinesMs[chosen] = nowMs + timeoutFor(this.peers[chosen]);
          this.waitingCount++;
          this.queriesSent++;
          return this.peers[chosen];
        }
      } else {
        // Waiting: an answer may still come.
        allAnsweredSoFar = false;
        outstanding = true;
      }
    }
    // Every candidate among the closest has answered (there are fewer than the rule asks for),
    // or nothing is outstanding and nothing more may be asked: the lookup is over — unless nobody
    // has answered yet and a silent request may still be answered. Giving up at its soft deadline
    // would end the lookup empty-handed, although that peer (a slow first connection, a far host)
    // may answer before its request finally fails, which pumps the lookup again.
    if (allAnsweredSoFar || !outstanding) {
      if (this.answers === 0 && this.silentCount() > 0) return null;
      this.finished = true;
    }
    return null;
  }

  /**
   * Proximity route selection: of the fresh candidates as good as candidate `first` (the closest
   * fresh one) within the next `window` live ones, the one predicted nearest; `first` itself when
   * it is one the finish rule waits for (`mustAsk` inside the neighbourhood) or none is known nearer.
   */
  private nearestEquivalent(first: number, mustAsk: boolean, window: number): number {
    const estimates = this.estimatesMs as Float32Array;
    const firstClass = this.classOf(first);
    if (mustAsk && firstClass === Infinity) return first;
    let best = first;
    let bestMs = Number.isNaN(estimates[first]) ? Infinity : estimates[first];
    for (let i = first + 1, seen = 0; i < this.count && seen < window; i++) {
      const state = this.states[i];
      if (state === CandidateState.failed || state === CandidateState.unresponsive) continue;
      seen++;
      // Sorted by distance: once a candidate is in a farther class, all after it are too.
      if (this.classOf(i) !== firstClass) break;
      if (state === CandidateState.fresh && estimates[i] < bestMs) {
        best = i;
        bestMs = estimates[i];
      }
    }
    return best;
  }

  /** Whether a candidate shares at least the neighbourhood depth's leading bits with the target. */
  private inNeighbourhood(index: number): boolean {
    return Math.clz32(this.distanceHeads[index]) >= this.neighbourhoodDepth;
  }

  /** Which candidates are equally good next hops: the leading b-bit digit of the distance, or the neighbourhood (Infinity). */
  private classOf(index: number): number {
    return this.inNeighbourhood(index) ? Infinity : Math.floor(Math.clz32(this.distanceHeads[index]) / this.bitsPerDigit);
  }

  /** The earliest soft deadline of a waiting request, Infinity when none. */
  nextDeadlineMs(): number {
    let earliest = Infinity;
    if (this.waitingCount === 0) return earliest;
    const states = this.states;
    for (let i = 0; i < this.count; i++) {
      if (states[i] === CandidateState.waiting && this.softDeadlinesMs[i] < earliest) earliest = this.softDeadlinesMs[i];
    }
    return earliest;
  }

  /** Takes an answer; peers it names that were new to this lookup are appended to `newlySeen`. */
  onSuccess(peer: PeerRef, closer: readonly PeerRef[], newlySeen?: PeerRef[], estimates?: EstimateRtt): void {
    const index = this.indexOf(peer);
    if (index < 0 || !this.awaitsAnswer(index)) return;
    if (this.states[index] === CandidateState.waiting) this.waitingCount--;
    this.states[index] = CandidateState.succeeded;
    this.answers++;
    const closestBefore = this.closestLiveIndex() >= 0 ? this.peers[this.closestLiveIndex()] : null;
    this.addPeers(closer, this.hops[index] + 1, newlySeen, estimates);
    const closestAfter = this.closestLiveIndex() >= 0 ? this.peers[this.closestLiveIndex()] : null;
    if (closestAfter !== closestBefore) {
      this.answersWithoutProgress = 0;
      this.stalled = false;
    } else if (++this.answersWithoutProgress >= this.config.alpha) {
      this.stalled = true;
    }
  }

  onFailure(peer: PeerRef): void {
    const index = this.indexOf(peer);
    if (index < 0 || !this.awaitsAnswer(index)) return;
    if (this.states[index] === CandidateState.waiting) this.waitingCount--;
    this.states[index] = CandidateState.failed;
    this.failures++;
  }

  /** The candidates whose requests failed. */
  failedPeers(): PeerRef[] {
    const out: PeerRef[] = [];
    for (let i = 0; i < this.count; i++) if (this.states[i] === CandidateState.failed) out.push(this.peers[i]);
    return out;
  }

  /** The `count` closest candidates that have not failed or gone silent, closest first. */
  closestPeers(count: number): PeerRef[] {
    const out: PeerRef[] = [];
    for (let i = 0; i < this.count && out.length < count; i++) {
      if (this.isLive(i)) out.push(this.peers[i]);
    }
    return out;
  }

  /**
   * What the lookup reports: the `count` closest candidates, closest first, without those that
   * failed. A candidate silent past its soft deadline stays in only while fewer than q answered
   * candidates are closer (α under the strict rule): the very closest may simply be far away — a
   * 600 ms host outlives an RTO drawn from typical RTTs — and dropping it would miss the answer,
   * while farther silent ones are most likely dead and would crowd live nodes out. If nobody
   * answered at all, no silent candidate is kept.
   */
  result(count: number): PeerRef[] {
    const out: PeerRef[] = [];
    // With no answer at all there is no neighbourhood to vouch for anyone: silent candidates go.
    const keepSilentWhileAnsweredBelow = this.answers === 0 ? 0 : this.config.finish === 'strict' ? this.config.alpha : this.config.finish;
    let answeredCloser = 0;
    for (let i = 0; i < this.count && out.length < count; i++) {
      const state = this.states[i];
      if (state === CandidateState.failed) continue;
      if (state === CandidateState.unresponsive && answeredCloser >= keepSilentWhileAnsweredBelow) continue;
      if (state === CandidateState.succeeded) answeredCloser++;
      out.push(this.peers[i]);
    }
    return out;
  }

  /** Candidates asked that stayed silent past their soft deadline and never answered. */
  silentCount(): number {
    let silent = 0;
    for (let i = 0; i < this.count; i++) if (this.states[i] === CandidateState.unresponsive) silent++;
    return silent;
  }

  /** The referral-chain length that led to `peer`, or 0 if it is not a candidate. */
  hopOf(peer: PeerRef): number {
    const index = this.indexOf(peer);
    return index < 0 ? 0 : this.hops[index];
  }

  /** The referral-chain length of the closest live candidate; 0 when there is none. */
  closestHop(): number {
    const index = this.closestLiveIndex();
    return index < 0 ? 0 : this.hops[index];
  }

  /**
   * The closest candidate that answered, other than those `except` names, and how many live
   * candidates are closer to the target than it (for caching a found value, Kademlia §2.3).
   */
  closestAnswered(except: (peer: PeerRef) => boolean): { peer: PeerRef; closerCount: number } | undefined {
    let closerCount = 0;
    for (let i = 0; i < this.count; i++) {
      if (!this.isLive(i)) continue;
      if (this.states[i] === CandidateState.succeeded && !except(this.peers[i])) return { peer: this.peers[i], closerCount };
      closerCount++;
    }
    return undefined;
  }

  /**
   * Inserts peers in distance order, skipping known ones and keeping at most candidatesMax. An
   * answer lists its contacts closest first, so they are merged in one pass from the back, in
   * place, rather than searched for and shifted in one by one; a list out of order (a peer is free
   * to send one) is sorted first. The result is the same either way: the candidatesMax closest of
   * old and new, the old keeping their state and the better hop count.
   */
  addPeers(peers: readonly PeerRef[], hop: number, newlySeen?: PeerRef[], estimates?: EstimateRtt): void {
    if (peers.length > MERGE_BATCH_MAX) {
      for (let from = 0; from < peers.length; from += MERGE_BATCH_MAX) {
        this.addPeers(peers.slice(from, from + MERGE_BATCH_MAX), hop, newlySeen, estimates && ((index) => estimates(from + index)));
      }
      return;
    }
    const max = this.config.candidatesMax;
    const target = this.target;
    const targetHead = target.head;
    const distances = this.distanceHeads;
    const incoming = mergePeers;
    const incomingDistances = mergeDistances;
    const isNew = mergeIsNew;
    // Keep the incoming peers that could make the list: not ourselves, not beyond a full list's last.
    let m = 0;
    for (let p = 0; p < peers.length; p++) {
      const peer = peers[p];
      const distanceHead = (peer.head ^ targetHead) >>> 0;
      if (this.count === max) {
        const last = distances[max - 1];
        if (distanceHead > last || (distanceHead === last && compareDistance(target, peer, this.peers[max - 1]) >= 0)) continue;
      }
      if (peer.head === this.self.head && idEquals(peer, this.self)) continue;
      incoming[m] = peer;
      incomingDistances[m] = distanceHead;
      mergeEstimates[m] = estimates === undefined ? Number.NaN : estimates(p);
      m++;
    }
    if (m === 0) return;
    sortByDistance(target, incoming, incomingDistances, mergeEstimates, m);
    // Forward pass: which incoming peers are new, and how many.
    let i = 0;
    let newCount = 0;
    for (let j = 0; j < m; j++) {
      const peer = incoming[j];
      const distanceHead = incomingDistances[j];
      while (i < this.count && closer(target, distances[i], this.peers[i], distanceHead, peer)) i++;
      if (i < this.count && distances[i] === distanceHead && idEquals(this.peers[i], peer)) {
        if (hop < this.hops[i]) this.hops[i] = hop;
        if (this.estimatesMs !== null && Number.isNaN(this.estimatesMs[i])) this.estimatesMs[i] = mergeEstimates[j];
        isNew[j] = 0;
      } else if (j > 0 && incomingDistances[j - 1] === distanceHead && idEquals(incoming[j - 1], peer)) {
        isNew[j] = 0;
      } else {
        isNew[j] = 1;
        if (newlySeen && i + newCount < max) newlySeen.push(peer);
        newCount++;
      }
    }
    if (newCount === 0) return;
    this.mergeFromBack(m, newCount, hop);
  }

  /** Writes the merged list from its far end, so each candidate moves at most once. */
  private mergeFromBack(m: number, newCount: number, hop: number): void {
    const max = this.config.candidatesMax;
    const target = this.target;
    const incoming = mergePeers;
    const incomingDistances = mergeDistances;
    const isNew = mergeIsNew;
    const distances = this.distanceHeads;
    const states = this.states;
    const hops = this.hops;
    const deadlines = this.softDeadlinesMs;
    const estimates = this.estimatesMs;
    const peers = this.peers;
    const total = this.count + newCount;
    const finalCount = Math.min(total, max);
    while (peers.length < finalCount) peers.push(incoming[0]);
    let write = total - 1;
    let i = this.count - 1;
    let j = m - 1;
    while (j >= 0) {
      if (isNew[j] === 0) {
        j--;
        continue;
      }
      if (i >= 0 && closer(target, incomingDistances[j], incoming[j], distances[i], peers[i])) {
        // The old candidate is farther: it moves back to `write`, or falls off the end.
        if (write < max) {
          peers[write] = peers[i];
          distances[write] = distances[i];
          states[write] = states[i];
          hops[write] = hops[i];
          deadlines[write] = deadlines[i];
          if (estimates !== null) estimates[write] = estimates[i];
        } else if (states[i] === CandidateState.waiting) {
          // Dropped while being asked: its answer will simply not be found.
          this.waitingCount--;
        }
        i--;
      } else if (write < max) {
        peers[write] = incoming[j];
        distances[write] = incomingDistances[j];
        states[write] = CandidateState.fresh;
        hops[write] = Math.min(hop, 0xffff);
        deadlines[write] = Infinity;
        if (estimates !== null) estimates[write] = mergeEstimates[j];
        j--;
      } else {
        j--;
      }
      write--;
    }
    this.count = finalCount;
    peers.length = finalCount;
  }

  private awaitsAnswer(index: number): boolean {
    const state = this.states[index];
    return state === CandidateState.waiting || state === CandidateState.unresponsive;
  }

  private closestLiveIndex(): number {
    for (let i = 0; i < this.count; i++) if (this.isLive(i)) return i;
    return -1;
  }

  /** Not failed and not silent past its soft deadline. */
  private isLive(index: number): boolean {
    const state = this.states[index];
    return state !== CandidateState.failed && state !== CandidateState.unresponsive;
  }

  private expireSoftDeadlines(nowMs: number): void {
    if (this.waitingCount === 0) return;
    const states = this.states;
    for (let i = 0; i < this.count; i++) {
      if (states[i] === CandidateState.waiting && this.softDeadlinesMs[i] <= nowMs) {
        states[i] = CandidateState.unresponsive;
        this.waitingCount--;
      }
    }
  }

  private indexOf(peer: PeerRef): number {
    const distanceHead = (peer.head ^ this.target.head) >>> 0;
    const at = this.searchIndex(peer, distanceHead);
    return at < this.count && this.distanceHeads[at] === distanceHead && idEquals(this.peers[at], peer) ? at : -1;
  }

  /** The index of the first candidate not closer than `peer` (binary search by distance). */
  private searchIndex(peer: Id, distanceHead: number): number {
    const distances = this.distanceHeads;
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >> 1;
      const other = distances[middle];
      const closer = other < distanceHead || (other === distanceHead && compareDistance(this.target, this.peers[middle], peer) < 0);
      if (closer) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** Contacts merged from one answer at a time: an answer lists at most Limits.contactsPerReplyMax. */
const MERGE_BATCH_MAX = 64;
// Scratch space for addPeers. Protocol code runs synchronously on one thread, so one set per process serves every lookup.
const mergePeers: PeerRef[] = new Array(MERGE_BATCH_MAX);
const mergeDistances = new Float64Array(MERGE_BATCH_MAX);
const mergeIsNew = new Uint8Array(MERGE_BATCH_MAX);
const mergeEstimates = new Float32Array(MERGE_BATCH_MAX);

/** Whether (distanceA, a) is closer to `target` than (distanceB, b); the heads decide unless equal. */
function closer(target: Id, distanceA: number, a: Id, distanceB: number, b: Id): boolean {
  return distanceA < distanceB || (distanceA === distanceB && compareDistance(target, a, b) < 0);
}

/** Sorts the first `count` peers (and their estimates) by distance (insertion sort: they almost always arrive sorted). */
function sortByDistance(target: Id, peers: PeerRef[], distances: Float64Array, estimates: Float32Array, count: number): void {
  for (let i = 1; i < count; i++) {
    const peer = peers[i];
    const distance = distances[i];
    const estimate = estimates[i];
    let at = i;
    while (at > 0 && closer(target, distance, peer, distances[at - 1], peers[at - 1])) {
      peers[at] = peers[at - 1];
      distances[at] = distances[at - 1];
      estimates[at] = estimates[at - 1];
      at--;
    }
    peers[at] = peer;
    distances[at] = distance;
    estimates[at] = estimate;
  }
}
