/**
 * One Kademlia node as a synchronous state machine with no IO (Maymounkov & Mazières 2002).
 *
 * Inputs: `receive(nowMs, from, message)` for every message the transport delivers (the sender is
 * authenticated by the transport), `tick(nowMs)` when `nextWakeAtMs()` has come, and the commands
 * join, lookup, get, put and leave. Outputs: `takeMessages()` and `takeEvents()`. Time and
 * randomness come in as arguments and dependencies, so the simulator and a real node run this same
 * code, and one seed gives one run.
 */
import { ClosestPeersLookup, type EstimateRtt } from './closest-peers-lookup.ts';
import { checkDhtConfig, type DhtConfig } from './config.ts';
import { EvictedContacts } from './evicted-contacts.ts';
import { commonPrefixLength, compareDistance, idEquals, randomIdInPrefix, withBitFlipped, type Id } from './id.ts';
import { joinRefreshTargets, type RefreshTarget } from './join-refresh.ts';
import { Limits } from './limits.ts';
import { isRequest, repliesTo, StoreStatus, type Message, type Nodes, type Reply, type Request } from './messages.ts';
import type { DhtEvent, NodeSnapshot, Outgoing, TrafficClass } from './node-io.ts';
import type { PeerRef } from './peer.ts';
import { ProbeSchedule } from './probe-schedule.ts';
import type { Random } from './random.ts';
import { RoutingTable, type ObserveOutcome, type RoutingTableConfig } from './routing-table.ts';
import { RttHistogram } from './rtt-histogram.ts';
import { TimerQueue } from './timer-queue.ts';
import { ValueStore, type HeldValue } from './value-store.ts';
import { asFloat32, isCoordinate, ORIGIN, predictedRttMs, vivaldiUpdate, type VivaldiCoordinate } from './vivaldi.ts';

export interface DhtNodeDeps {
  /** Our own identity and address, as the transport knows them. */
  readonly self: PeerRef;
  readonly random: Random;
}

type LookupMode = 'node' | 'value';

interface LookupOperation {
  readonly id: number;
  readonly lookup: ClosestPeersLookup;
  readonly mode: LookupMode;
  readonly traffic: 'user' | 'maintenance';
  readonly startedAtMs: number;
  readonly onDone: (operation: LookupOperation, nowMs: number) => void;
  active: boolean;
  /** The earliest pump timer set and not yet fired. */
  wakeAtMs: number;
  found: { value: Uint8Array; ttlMs: number; from: PeerRef } | null;
  error: string | null;
  /** Contacts that failed before the lookup was given a fresh start (reseedLookup); null until then. */
  failedBeforeReseed: PeerRef[] | null;
  reseeds: number;
}

interface StoreBatch {
  readonly operationId: number;
  readonly key: Id;
  readonly startedAtMs: number;
  outstanding: number;
  stored: number;
  refused: number;
  failed: number;
}

/** Why a request was sent, which decides what its answer (or silence) does. */
const Purpose = {
  lookup: 0,
  livenessCheck: 1,
  putStore: 2,
  /** A STORE nobody waits for: caching, republish, hand-off. */
  oneWayStore: 3,
  /** A ping to a neighbour we have not heard from lately: silence evicts it. */
  neighbourProbe: 4,
  /** A ping to a contact evicted for silence, in case it was cut off rather than gone. */
  revival: 5,
  /** A ping to a peer a lookup named that proximity would prefer in our table: its answer lets it in. */
  proximityProbe: 6,
  /** A FIND_NODE into a full bucket's range, for candidates nearer than its contacts (sampleForProximity). */
  proximitySample: 7,
  /** A joining node's FIND_NODE into one bucket's range beyond its neighbourhood (join-refresh.ts). */
  joinRefresh: 8,
  /** A proximity probe again, on the link its first one opened: that one's round trip measured the dial. */
  proximityProbeAgain: 9,
} as const;

/** What a join still waits for: one answer (or a fallback lookup) per refresh request. */
interface JoinRefresh {
  remaining: number;
  readonly onDone: (nowMs: number) => void;
}

/** One refresh request of a join, with the target a full lookup takes over if it goes unanswered. */
interface JoinRefreshRequest {
  readonly join: JoinRefresh;
  readonly target: Id;
  /** The contacts asked so far, in turn: one that stays silent is replaced by the next nearest the target. */
  readonly asked: PeerRef[];
}

type PurposeCode = (typeof Purpose)[keyof typeof Purpose];

interface PendingRequest {
  readonly requestId: number;
  readonly peer: PeerRef;
  readonly kind: Request['kind'];
  readonly sentAtMs: number;
  readonly purpose: PurposeCode;
  readonly operation: LookupOperation | null;
  readonly batch: StoreBatch | null;
  readonly refresh: JoinRefreshRequest | null;
}

type TimerPayload =
  | { readonly kind: 'requestTimeout'; readonly requestId: number }
  | { readonly kind: 'pump'; readonly operation: LookupOperation }
  | { readonly kind: 'lookupDeadline'; readonly operation: LookupOperation }
  | { readonly kind: 'maintenance' }
  | { readonly kind: 'probeNeighbourhood'; readonly atMs: number };

export type NodeState = 'idle' | 'joining' | 'ready' | 'left';

export interface DhtNodeStats {
  requestsSent: number;
  requestsTimedOut: number;
  /** Requests the transport reported it could not send; they failed at once, as timeouts do. */
  requestsUndeliverable: number;
  requestsAnswered: number;
  /** Of those, answers whose round trip included a connection's set-up: no RTT sample (onReply). */
  setupRoundTrips: number;
  requestsServed: number;
  repliesUnmatched: number;
  penalties: number;
  lookupsStarted: number;
  storesAccepted: number;
  storesRefused: number;
}

const UINT32_RANGE = 2 ** 32;
/** Leave hands values to at most this many peers in all, so a node with many values still leaves quickly. */
const LEAVE_HANDOFF_MESSAGES_MAX = 4096;
/** Values examined for hand-off when a new contact appears (Kademlia §2.5); the rest wait for republish. */
const HANDOFF_SCAN_MAX = 256;
/** Evicted contacts pinged again per maintenance run (evicted-contacts.ts). */
const REVIVALS_PER_MAINTENANCE = 2;
/** RTT samples needed before their 99th percentile replaces the initial RTO. */
const FALLBACK_RTO_SAMPLES_MIN = 16;
/** Cached copies live at least this long. */
const CACHED_TTL_MS_MIN = 60_000;
/**
 * How many times a lookup that nobody answered starts again from the next k contacts of our table
 * (reseedLookup): twice is 3k contacts tried, within lookupQueriesMax, before it ends empty-handed.
 */
const LOOKUP_RESEEDS_MAX = 2;
/**
 * Contacts a join's refresh request for one bucket tries before a full lookup takes over. Under
 * heavy churn a third of the contacts a self-lookup names are gone by the time they are asked; a
 * full lookup for each of those cost as much as the paper's whole join (docs/BENCHMARKS.md, "Join
 * refresh"), while asking the next nearest contact costs one request.
 */
const JOIN_REFRESH_ATTEMPTS_MAX = 3;

/** The routing table a node of this configuration keeps. */
export function routingTableConfigOf(config: DhtConfig): RoutingTableConfig {
  return {
    k: config.k,
    bitsPerDigit: config.bitsPerDigit,
    relaxedSplitting: config.relaxedSplitting,
    failuresToEvict: config.failuresToEvict,
    livenessCheckAfterMs: config.livenessCheckAfterMs,
    replacementsMax: Limits.replacementsPerBucketMax,
    proximity: config.proximity,
    eviction: config.eviction,
  };
}

export class DhtNode {
  readonly self: PeerRef;
  readonly config: DhtConfig;
  readonly table: RoutingTable;
  readonly values = new ValueStore();
  readonly stats: DhtNodeStats = {
    requestsSent: 0, requestsTimedOut: 0, requestsUndeliverable: 0, requestsAnswered: 0, setupRoundTrips: 0, requestsServed: 0, repliesUnmatched: 0,
    penalties: 0, lookupsStarted: 0, storesAccepted: 0, storesRefused: 0,
  };
  private readonly random: Random;
  private readonly timers = new TimerQueue<TimerPayload>();
  private readonly pending = new Map<number, PendingRequest>();
  private readonly operations = new Map<number, LookupOperation>();
  /** RTTs measured to all contacts, for the timeout of a contact we have no samples of. */
  private readonly rttOverall = new RttHistogram();
  /** The fallback timeout, recomputed from the histogram every few samples rather than per request. */
  private fallbackRtoMs: number;
  private nextRequestId: number;
  private nextOperationId = 1;
  private outbox: Outgoing[] = [];
  private events: DhtEvent[] = [];
  private maintenanceScheduled = false;
  private currentState: NodeState = 'idle';
  /** The RTO last computed, remembered because a lookup asks for it just before the request is sent. */
  private lastRtoPeer: PeerRef | null = null;
  private lastRtoMs = 0;
  private readonly rtoFor = (peer: PeerRef): number => {
    this.lastRtoPeer = peer;
    this.lastRtoMs = this.retransmissionTimeoutMs(peer);
    return this.lastRtoMs;
  };
  /** Scratch list of the peers a lookup answer named for the first time. */
  private readonly newlySeen: PeerRef[] = [];
  private readonly probes: ProbeSchedule;
  private readonly evicted = new EvictedContacts();
  /** Our Vivaldi coordinate with proximity on (issue 6), null with it off. */
  private vivaldi: VivaldiCoordinate | null;
  /** Proximity probes still allowed until the next maintenance run. */
  private proximityProbesLeft = PROXIMITY_PROBES_PER_MAINTENANCE;
  /** Full buckets sampled for proximity so far (which one is next). */
  private proximitySamples = 0;
  /**
   * Buckets sampled at least once (a bucket that splits is replaced by two new ones). Created on
   * first use: only proximity samples buckets, and an empty WeakSet per node still costs each full GC.
   */
  private sampledBuckets: WeakSet<object> | null = null;

  constructor(config: DhtConfig, deps: DhtNodeDeps, nowMs: number, snapshot?: NodeSnapshot) {
    const problems = checkDhtConfig(config);
    if (problems.length > 0) throw new RangeError(`bad DHT configuration: ${problems.join('; ')}`);
    this.config = config;
    this.self = deps.self;
    this.random = deps.random;
    this.nextRequestId = deps.random.nextUint32();
    this.fallbackRtoMs = config.rtoInitialMs;
    this.probes = new ProbeSchedule(config.neighbourhoodProbeIntervalMs);
    this.table = new RoutingTable(this.self, routingTableConfigOf(config), nowMs);
    this.vivaldi = config.proximity ? asFloat32(ORIGIN) : null;
    if (config.proximity) this.table.estimate = (coordinate, srttMs) => this.estimateRttMs(coordinate, srttMs);
    if (snapshot) this.restore(snapshot, nowMs);
  }

  /** Our Vivaldi coordinate; null with proximity off. */
  get coordinate(): VivaldiCoordinate | null {
    return this.vivaldi;
  }

  /**
   * How far a peer is: the RTT measured to it if any, else the one our coordinates predict once
   * both are trustworthy (error estimates at most VIVALDI_TRUSTED_ERROR_MAX), else NaN.
   */
  estimateRttMs(coordinate: VivaldiCoordinate | null, srttMs: number): number {
    if (srttMs > 0) return srttMs;
    const own = this.vivaldi;
    if (own === null || coordinate === null || own.error > VIVALDI_TRUSTED_ERROR_MAX || coordinate.error > VIVALDI_TRUSTED_ERROR_MAX) return Number.NaN;
    return predictedRttMs(own, coordinate);
  }

  get state(): NodeState {
    return this.currentState;
  }

  get pendingRequestCount(): number {
    return this.pending.size;
  }

  // ---- outputs -------------------------------------------------------------------------------

  takeMessages(): Outgoing[] {
    const out = this.outbox;
    if (out.length > 0) this.outbox = [];
    return out;
  }

  takeEvents(): DhtEvent[] {
    const out = this.events;
    if (out.length > 0) this.events = [];
    return out;
  }

  /** When `tick` should next be called; Infinity when nothing is scheduled. */
  nextWakeAtMs(): number {
    // Timers whose subject is gone (an answered request, a finished lookup) are dropped here, so the
    // shell is not woken for them: most request timeouts never fire, because the answer came first.
    for (;;) {
      const top = this.timers.peekPayload();
      if (top === undefined || !this.isStale(top)) return this.timers.nextAtMs();
      this.timers.dropEarliest();
    }
  }

  private isStale(timer: TimerPayload): boolean {
    switch (timer.kind) {
      case 'requestTimeout':
        return !this.pending.has(timer.requestId);
      case 'pump':
      case 'lookupDeadline':
        return !timer.operation.active;
      case 'probeNeighbourhood':
        return timer.atMs !== this.probes.nextRoundAtMs;
      default:
        return false;
    }
  }

  snapshot(): NodeSnapshot {
    const values = [];
    for (const held of this.values.heldValues()) {
      values.push({ key: held.key, value: held.value, expiresAtMs: held.expiresAtMs, ttlMs: held.ttlMs, origin: held.origin });
    }
    return { self: this.self, contacts: this.table.peers(), values };
  }

  // ---- commands ------------------------------------------------------------------------------

  /**
   * Joins through any known nodes (Kademlia §2.3): insert them, look up our own id, then refresh
   * every bucket farther away than our closest neighbour. Emits `joined` when that is done.
   * With no bootstrap peers, a restored node rejoins through the contacts it remembered.
   */
  join(nowMs: number, bootstrap: readonly PeerRef[]): number {
    this.assertRunning();
    const operationId = this.nextOperationId++;
    this.currentState = 'joining';
    for (const peer of bootstrap) this.table.addUnverified(peer, nowMs);
    this.scheduleMaintenance(nowMs, true);
    this.startLookup(nowMs, this.self, 'node', 'maintenance', (selfLookup, doneAtMs) => {
      // Refresh what lies farther than our neighbourhood: the sibling subtree at every depth above
      // the k-th closest node the self-lookup found (Kademlia §2.3 says "farther than the closest
      // neighbour"; the subtrees between the closest and the k-th hold only those k, which the
      // self-lookup has just met). This follows the ideal tree, not the current shape of ours,
      // which is still growing. By default one request per bucket of those subtrees
      // (join-refresh.ts); the paper's way, a lookup per subtree, costs about log2(n/k) lookups.
      const neighbourhood = selfLookup.lookup.closestPeers(this.config.k);
      const farthest = neighbourhood[neighbourhood.length - 1];
      const depths = farthest ? commonPrefixLength(farthest, this.self) : 0;
      const finishJoin = (finishedAtMs: number): void => {
        if (this.currentState === 'joining') this.currentState = 'ready';
        this.events.push({ kind: 'joined', operationId, startedAtMs: nowMs, finishedAtMs, contacts: this.table.size });
      };
      if (this.config.joinRefresh === 'requests') {
        this.refreshByRequests(doneAtMs, joinRefreshTargets(this.self, depths, this.config.bitsPerDigit, this.random), finishJoin);
        return;
      }
      let remaining = depths;
      if (remaining === 0) finishJoin(doneAtMs);
      for (let depth = 0; depth < depths; depth++) {
        const target = randomIdInPrefix(withBitFlipped(this.self, depth), depth + 1, this.random);
        this.startLookup(doneAtMs, target, 'node', 'maintenance', (_refresh, refreshedAtMs) => {
          if (--remaining === 0) finishJoin(refreshedAtMs);
        });
      }
    });
    return operationId;
  }

  /**
   * The join's refresh, one request per bucket not yet full (join-refresh.ts): each goes to the
   * contact we know closest to its target, and the contacts its answer names fill spare room in our
   * table. One that goes unanswered is replaced by a full lookup of its target. `onDone` runs when
   * all have settled.
   */
  private refreshByRequests(nowMs: number, targets: readonly RefreshTarget[], onDone: (nowMs: number) => void): void {
    // A bucket the self-lookup has already filled needs no request.
    const wanted = targets.filter(({ target, bucketDepth }) => !this.table.isFullDownTo(target, bucketDepth));
    const join: JoinRefresh = { remaining: wanted.length, onDone };
    if (wanted.length === 0) {
      onDone(nowMs);
      return;
    }
    for (const { target } of wanted) {
      this.table.touch(target, nowMs);
      this.askForJoinRefresh({ join, target, asked: [] }, nowMs);
    }
  }

  /**
   * Sends one refresh request to the nearest contact to its target not asked yet; after
   * JOIN_REFRESH_ATTEMPTS_MAX silent ones (or with nobody left to ask), a full lookup takes over.
   */
  private askForJoinRefresh(refresh: JoinRefreshRequest, nowMs: number): void {
    const asked = refresh.asked;
    const contact = asked.length >= JOIN_REFRESH_ATTEMPTS_MAX ? undefined
      : this.table.closest(refresh.target, asked.length + 1).find((peer) => !asked.some((other) => idEquals(other, peer)));
    if (contact !== undefined) {
      asked.push(contact);
      const request: Request = { kind: 'findNode', requestId: 0, target: refresh.target };
      if (this.sendRequest(nowMs, contact, request, 'maintenance', Purpose.joinRefresh, null, null, refresh)) return;
    }
    this.refreshByLookup(refresh, nowMs);
  }

  private refreshByLookup(refresh: JoinRefreshRequest, nowMs: number): void {
    this.startLookup(nowMs, refresh.target, 'node', 'maintenance', (_lookup, doneAtMs) => this.settleJoinRefresh(refresh.join, doneAtMs));
  }

  private settleJoinRefresh(join: JoinRefresh, nowMs: number): void {
    if (--join.remaining === 0) join.onDone(nowMs);
  }

  /** Finds the k closest live nodes to `target`; emits `lookupDone`. */
  lookup(nowMs: number, target: Id): number {
    this.assertRunning();
    return this.startLookup(nowMs, target, 'node', 'user', (operation, doneAtMs) => this.reportLookup(operation, doneAtMs)).id;
  }

  /** Finds a value (FIND_VALUE stops at the first holder) and caches it on the path; emits `lookupDone`. */
  get(nowMs: number, key: Id): number {
    this.assertRunning();
    const local = this.values.get(key, nowMs);
    if (local) {
      const operationId = this.nextOperationId++;
      this.events.push({
        kind: 'lookupDone', operationId, target: key, closest: [], hops: 0, queries: 0, answers: 0, failures: 0,
        startedAtMs: nowMs, finishedAtMs: nowMs, value: local.value, error: null,
      });
      return operationId;
    }
    return this.startLookup(nowMs, key, 'value', 'user', (operation, doneAtMs) => {
      this.reportLookup(operation, doneAtMs);
      if (operation.found) this.cacheAlongPath(operation, doneAtMs);
    }).id;
  }

  /** Stores a value at the k closest nodes to its key (Kademlia §2.3); emits `putDone`. */
  put(nowMs: number, key: Id, value: Uint8Array, ttlMs = this.config.valueTtlMsDefault): number {
    this.assertRunning();
    if (value.length > Limits.valueBytesMax) throw new RangeError(`a value is at most ${Limits.valueBytesMax} bytes`);
    if (!(ttlMs > 0) || ttlMs > Limits.valueTtlMsMax) throw new RangeError(`ttlMs must be in (0, ${Limits.valueTtlMsMax}]`);
    return this.startLookup(nowMs, key, 'node', 'user', (operation, doneAtMs) => {
      const batch: StoreBatch = {
        operationId: operation.id, key, startedAtMs: operation.startedAtMs, outstanding: 0, stored: 0, refused: 0, failed: 0,
      };
      const targets = operation.lookup.result(this.config.k);
      // The publisher keeps its own copy to republish (§2.5); it counts as a replica only if it is one of the k closest.
      this.values.put(key, value, ttlMs, 'published', doneAtMs);
      const kth = targets[targets.length - 1];
      if (targets.length < this.config.k || compareDistance(key, this.self, kth) < 0) batch.stored++;
      for (const peer of targets) {
        const sent = this.sendRequest(doneAtMs, peer, { kind: 'store', requestId: 0, key, value, ttlMs }, 'user', Purpose.putStore, null, batch);
        if (sent) batch.outstanding++;
        else batch.failed++;
      }
      if (batch.outstanding === 0) this.reportPut(batch, doneAtMs);
    }).id;
  }

  /**
   * Leaves gracefully: hands held values to the closest contacts and tells every contact we are
   * going, so they drop us at once instead of timing out on us. A crash skips all of this.
   */
  leave(nowMs: number): void {
    if (this.currentState === 'left') return;
    let handoffs = 0;
    for (const held of this.values.heldValues()) {
      const ttlMs = remainingTtlMs(held, nowMs);
      if (ttlMs <= 0) continue;
      for (const peer of this.table.closest(held.key, this.config.k)) {
        if (handoffs++ >= LEAVE_HANDOFF_MESSAGES_MAX) break;
        this.send(peer, { kind: 'store', requestId: this.allocateRequestId(), key: held.key, value: held.value, ttlMs }, 'maintenance');
      }
    }
    for (const peer of this.table.peers()) this.send(peer, { kind: 'leave' }, 'maintenance');
    this.currentState = 'left';
    this.timers.clear();
    this.pending.clear();
    this.operations.clear();
  }

  // ---- inputs --------------------------------------------------------------------------------

  /**
   * A message from `from`. `setupInRoundTrip`: this is a reply whose request had to open a
   * connection first (the transport knows; a dial costs round trips of its own), so its round trip
   * is no sample of the RTT (see onReply).
   */
  receive(nowMs: number, from: PeerRef, message: Message, setupInRoundTrip = false): void {
    if (this.currentState === 'left' || idEquals(from, this.self)) return;
    // A request's sender is observed first, so that a value it is storing here is not handed
    // straight back to it as a newcomer (§2.5 hand-off).
    if (message.kind !== 'leave' && isRequest(message)) this.observe(from, nowMs, undefined, this.vivaldi === null ? undefined : message.coordinate);
    switch (message.kind) {
      case 'ping':
        this.stats.requestsServed++;
        this.send(from, { kind: 'pong', requestId: message.requestId }, 'reply');
        break;
      case 'findNode':
        this.stats.requestsServed++;
        this.send(from, { kind: 'nodes', requestId: message.requestId, closer: this.table.closest(message.target, this.config.k, from) }, 'reply');
        break;
      case 'findValue': {
        this.stats.requestsServed++;
        const held = this.values.get(message.key, nowMs);
        if (held) {
          this.send(from, { kind: 'value', requestId: message.requestId, value: held.value, ttlMs: remainingTtlMs(held, nowMs) }, 'reply');
        } else {
          this.send(from, { kind: 'nodes', requestId: message.requestId, closer: this.table.closest(message.key, this.config.k, from) }, 'reply');
        }
        break;
      }
      case 'store': {
        this.stats.requestsServed++;
        const status = this.values.put(message.key, message.value, message.ttlMs, 'stored', nowMs);
        if (status === StoreStatus.ok) this.stats.storesAccepted++;
        else this.stats.storesRefused++;
        this.send(from, { kind: 'stored', requestId: message.requestId, status }, 'reply');
        break;
      }
      case 'leave':
        this.table.remove(from);
        return;
      default:
        this.onReply(nowMs, from, message, setupInRoundTrip);
        return;
    }
  }

  /**
   * The transport could not send `message` to `to` (the dial failed, the address was refused, the
   * link's queue was full). A request fails at once, exactly as if it had timed out, rather than
   * after its RTO: a refused connection is at least as strong a sign as silence. Anything else —
   * a reply, a request already answered or timed out, a request we sent someone else — is ignored,
   * so a transport may report every message it drops.
   */
  undeliverable(nowMs: number, to: PeerRef, message: Message): void {
    if (this.currentState === 'left' || !isRequest(message)) return;
    const pending = this.pending.get(message.requestId);
    if (pending === undefined || !idEquals(pending.peer, to)) return;
    this.pending.delete(message.requestId);
    this.stats.requestsUndeliverable++;
    this.onRequestUnanswered(pending, nowMs);
  }

  tick(nowMs: number): void {
    for (;;) {
      const timer = this.timers.popDue(nowMs);
      if (timer === undefined) return;
      switch (timer.kind) {
        case 'requestTimeout':
          this.onRequestTimeout(timer.requestId, nowMs);
          break;
        case 'pump':
          if (timer.operation.active) {
            timer.operation.wakeAtMs = Infinity;
            this.pump(timer.operation, nowMs);
          }
          break;
        case 'lookupDeadline':
          if (timer.operation.active) {
            timer.operation.lookup.finish();
            this.complete(timer.operation, nowMs);
          }
          break;
        case 'maintenance':
          this.maintenanceScheduled = false;
          this.runMaintenance(nowMs);
          break;
        case 'probeNeighbourhood':
          this.probeNeighbourhood(nowMs, timer.atMs);
          break;
      }
    }
  }

  // ---- requests and replies ------------------------------------------------------------------

  private onReply(nowMs: number, from: PeerRef, reply: Reply, setupInRoundTrip: boolean): void {
    const pending = this.pending.get(reply.requestId);
    if (pending === undefined) {
      // A late answer to a request we gave up on, or one we never sent. Either way it proves the
      // sender is alive, which is all we take from it.
      this.stats.repliesUnmatched++;
      this.observe(from, nowMs, undefined, this.vivaldi === null ? undefined : reply.coordinate);
      return;
    }
    if (!idEquals(pending.peer, from)) {
      this.penalize(from, 'reply to a request sent to another peer');
      return;
    }
    this.pending.delete(reply.requestId);
    if (!repliesTo(pending.kind, reply)) {
      this.penalize(from, `${reply.kind} is no answer to ${pending.kind}`);
      this.table.recordFailure(from);
      this.onRequestFailed(pending, nowMs);
      return;
    }
    this.stats.requestsAnswered++;
    const rttMs = nowMs - pending.sentAtMs;
    const coordinate = this.vivaldi === null ? undefined : reply.coordinate;
    if (setupInRoundTrip) {
      // The round trip includes a connection's set-up: as TCP takes no RTT sample from an ambiguous
      // round trip (Karn and Partridge 1987), it is kept from Vivaldi, the contact's RTO and our
      // typical RTT, which it would inflate by the set-up's round trips.
      this.stats.setupRoundTrips++;
      this.observe(from, nowMs, undefined, coordinate);
    } else {
      // Vivaldi's sample rides on the answer (Dabek et al. §6): its RTT and the peer's coordinate.
      if (coordinate !== undefined) {
        const moved = asFloat32(vivaldiUpdate(this.vivaldi as VivaldiCoordinate, coordinate, rttMs, this.random));
        // However a peer places itself, we never hold a coordinate our codec would refuse to send.
        if (isCoordinate(moved)) this.vivaldi = moved;
      }
      this.observe(from, nowMs, rttMs, coordinate);
      this.rttOverall.add(rttMs);
    }
    if ((this.stats.requestsAnswered & 15) === 0) {
      this.fallbackRtoMs = this.computeFallbackRtoMs();
      if (this.vivaldi !== null && this.rttOverall.samples >= FALLBACK_RTO_SAMPLES_MIN) this.table.unknownContactRttMs = this.rttOverall.quantileMs(0.5);
    }
    switch (pending.purpose) {
      case Purpose.lookup:
        this.onLookupAnswer(pending.operation as LookupOperation, from, reply, nowMs);
        break;
      case Purpose.livenessCheck:
        this.table.onLivenessResult(from, true);
        break;
      case Purpose.neighbourProbe:
      case Purpose.proximityProbeAgain:
        break;
      case Purpose.proximityProbe:
        // An answer decides by its RTT, and this one's included opening the link: ask once more on it.
        if (setupInRoundTrip) this.sendRequest(nowMs, from, { kind: 'ping', requestId: 0 }, 'maintenance', Purpose.proximityProbeAgain, null, null);
        break;
      case Purpose.proximitySample:
        if (reply.kind === 'nodes') this.considerNamed(reply, reply.closer.slice(0, this.config.k), nowMs);
        break;
      case Purpose.joinRefresh:
        if (reply.kind === 'nodes') this.considerNamed(reply, reply.closer.slice(0, this.config.k), nowMs);
        this.settleJoinRefresh((pending.refresh as JoinRefreshRequest).join, nowMs);
        break;
      case Purpose.revival:
        this.evicted.onResult(pending.peer, true, nowMs);
        break;
      case Purpose.putStore: {
        const batch = pending.batch as StoreBatch;
        if (reply.kind === 'stored' && reply.status === StoreStatus.ok) batch.stored++;
        else batch.refused++;
        this.settleStore(batch, nowMs);
        break;
      }
      case Purpose.oneWayStore:
        break;
    }
  }

  private onRequestTimeout(requestId: number, nowMs: number): void {
    const pending = this.pending.get(requestId);
    if (pending === undefined) return;
    this.pending.delete(requestId);
    this.stats.requestsTimedOut++;
    this.onRequestUnanswered(pending, nowMs);
  }

  /** A request that timed out or could not be sent: what its silence means depends on why we asked. */
  private onRequestUnanswered(pending: PendingRequest, nowMs: number): void {
    switch (pending.purpose) {
      case Purpose.livenessCheck:
        this.table.onLivenessResult(pending.peer, false);
        this.evicted.remember(pending.peer, nowMs);
        break;
      case Purpose.neighbourProbe: {
        const soonerAtMs = this.probes.onSilent(nowMs);
        if (soonerAtMs !== null) this.setProbeTimer(soonerAtMs);
        if (this.table.remove(pending.peer)) this.evicted.remember(pending.peer, nowMs);
        break;
      }
      case Purpose.revival:
        this.evicted.onResult(pending.peer, false, nowMs);
        break;
      case Purpose.proximityProbe:
      case Purpose.proximityProbeAgain:
        // Not a contact of ours: its silence costs it nothing here.
        break;
      default:
        if (this.table.recordFailure(pending.peer)) this.evicted.remember(pending.peer, nowMs);
    }
    this.onRequestFailed(pending, nowMs);
  }

  private onRequestFailed(pending: PendingRequest, nowMs: number): void {
    switch (pending.purpose) {
      case Purpose.lookup: {
        const operation = pending.operation as LookupOperation;
        if (!operation.active) return;
        operation.lookup.onFailure(pending.peer);
        this.pump(operation, nowMs);
        break;
      }
      case Purpose.putStore: {
        const batch = pending.batch as StoreBatch;
        batch.failed++;
        this.settleStore(batch, nowMs);
        break;
      }
      case Purpose.joinRefresh:
        this.askForJoinRefresh(pending.refresh as JoinRefreshRequest, nowMs);
        break;
      default:
        break;
    }
  }

  /**
   * Sends a request and arms its timeout. Returns false when too many requests are in flight;
   * the caller treats that as a failed request.
   */
  private sendRequest(
    nowMs: number, peer: PeerRef, request: Request, traffic: 'user' | 'maintenance',
    purpose: PurposeCode, operation: LookupOperation | null, batch: StoreBatch | null, refresh: JoinRefreshRequest | null = null,
  ): boolean {
    if (this.pending.size >= Limits.pendingRequestsMax) return false;
    const requestId = this.allocateRequestId();
    const message = { ...request, requestId } as Request;
    this.pending.set(requestId, { requestId, peer, kind: request.kind, sentAtMs: nowMs, purpose, operation, batch, refresh });
    // The RTO a lookup just computed for this very request, used once so it cannot go stale.
    const rtoMs = peer === this.lastRtoPeer ? this.lastRtoMs : this.retransmissionTimeoutMs(peer);
    this.lastRtoPeer = null;
    const timeoutMs = Math.max(this.config.requestTimeoutMinMs, this.config.requestTimeoutRtoMultiple * rtoMs);
    this.timers.add(nowMs + timeoutMs, { kind: 'requestTimeout', requestId });
    this.stats.requestsSent++;
    this.send(peer, message, traffic);
    return true;
  }

  private allocateRequestId(): number {
    let id = this.nextRequestId;
    while (this.pending.has(id)) id = (id + 1) % UINT32_RANGE;
    this.nextRequestId = (id + 1) % UINT32_RANGE;
    return id;
  }

  private send(to: PeerRef, message: Message, traffic: TrafficClass): void {
    const coordinate = this.vivaldi;
    if (coordinate === null || message.kind === 'leave') this.outbox.push({ to, message, traffic });
    else if (message.kind === 'nodes') {
      const closerCoordinates = message.closer.map((peer) => this.table.coordinateOf(peer));
      this.outbox.push({ to, message: { ...message, coordinate, closerCoordinates }, traffic });
    } else this.outbox.push({ to, message: { ...message, coordinate }, traffic });
  }

  private retransmissionTimeoutMs(peer: PeerRef): number {
    const rtoMs = this.table.retransmissionTimeoutMs(peer, this.fallbackRtoMs, this.config.rtoMinMs, this.config.rtoMaxMs);
    const setupRtts = this.config.connectionSetupRtts;
    if (setupRtts === 0 || this.table.hasRttSample(peer)) return rtoMs;
    // No round trip measured to this peer: its connection is probably still to be opened, which
    // costs setupRtts round trips before the request leaves. A typical one is the 90th percentile
    // of those measured (the initial RTO until there are enough), not the p99 the RTO itself uses.
    const typicalRttMs = this.rttOverall.samples < FALLBACK_RTO_SAMPLES_MIN ? this.config.rtoInitialMs : this.rttOverall.quantileMs(0.9);
    return rtoMs + setupRtts * typicalRttMs;
  }

  /**
   * For a peer without samples of its own: the 99th percentile of all RTTs measured, so only about
   * one live peer in a hundred is presumed silent on first contact (RttHistogram explains why not
   * RFC 6298's mean plus deviations). The initial RTO until there are enough samples.
   */
  private computeFallbackRtoMs(): number {
    const { rtoInitialMs, rtoMinMs, rtoMaxMs } = this.config;
    if (this.rttOverall.samples < FALLBACK_RTO_SAMPLES_MIN) return rtoInitialMs;
    return Math.min(rtoMaxMs, Math.max(rtoMinMs, this.rttOverall.quantileMs(0.99)));
  }

  private penalize(peer: PeerRef, reason: string): void {
    this.stats.penalties++;
    this.events.push({ kind: 'peerPenalized', peer, reason });
  }

  // ---- routing-table upkeep ------------------------------------------------------------------

  private observe(peer: PeerRef, nowMs: number, rttSampleMs?: number, coordinate?: VivaldiCoordinate): void {
    const outcome: ObserveOutcome = this.table.observe(peer, nowMs, rttSampleMs, coordinate);
    if (outcome === 'added' || outcome === 'proven') this.handOffTo(peer, nowMs);
    else if (typeof outcome === 'object') {
      const sent = this.sendRequest(nowMs, outcome.check, { kind: 'ping', requestId: 0 }, 'maintenance', Purpose.livenessCheck, null, null);
      if (!sent) this.table.onLivenessResult(outcome.check, true);
    }
  }

  /**
   * When a new node appears that is one of the k closest to a value we hold, and we are the
   * closest holder we know of, we give it a copy (Kademlia §2.5), so values follow joins.
   */
  private handOffTo(peer: PeerRef, nowMs: number): void {
    if (this.values.size === 0) return;
    let scanned = 0;
    for (const held of this.values.heldValues()) {
      if (scanned++ >= HANDOFF_SCAN_MAX) break;
      const ttlMs = remainingTtlMs(held, nowMs);
      if (ttlMs <= 0) continue;
      const closest = this.table.closest(held.key, this.config.k);
      if (!closest.some((contact) => idEquals(contact, peer))) continue;
      const rival = closest.find((contact) => !idEquals(contact, peer));
      if (rival && compareDistance(held.key, rival, this.self) < 0) continue;
      this.sendRequest(nowMs, peer, { kind: 'store', requestId: 0, key: held.key, value: held.value, ttlMs }, 'maintenance', Purpose.oneWayStore, null, null);
    }
  }

  private scheduleMaintenance(nowMs: number, first: boolean): void {
    if (this.maintenanceScheduled) return;
    this.maintenanceScheduled = true;
    // The first runs are spread over one interval so that nodes started together do not beat in step.
    const delayMs = first ? this.random.nextFloat() * this.config.maintenanceIntervalMs : this.config.maintenanceIntervalMs;
    this.timers.add(nowMs + delayMs, { kind: 'maintenance' });
    if (first && this.config.neighbourhoodProbeIntervalMs > 0) {
      this.setProbeTimer(this.probes.start(nowMs + this.random.nextFloat() * this.config.neighbourhoodProbeIntervalMs));
    }
  }

  /**
   * Pings each of our k closest contacts not heard from within the probe interval; one that does
   * not answer is dropped at once, so the neighbourhood we tell lookups about stays live. The pace
   * adapts to churn (probe-schedule.ts).
   */
  private probeNeighbourhood(nowMs: number, atMs: number): void {
    // A round brought forward by a silent neighbour leaves the old timer behind: it is ignored.
    if (atMs !== this.probes.nextRoundAtMs) return;
    this.setProbeTimer(this.probes.beginRound(nowMs));
    for (const peer of this.table.closest(this.self, this.config.k)) {
      const contact = this.table.find(peer);
      if (contact === undefined || nowMs - contact.lastSeenMs < this.probes.minimumIntervalMs) continue;
      this.sendRequest(nowMs, peer, { kind: 'ping', requestId: 0 }, 'maintenance', Purpose.neighbourProbe, null, null);
    }
  }

  private setProbeTimer(atMs: number): void {
    this.timers.add(atMs, { kind: 'probeNeighbourhood', atMs });
  }

  /** Pings a couple of contacts evicted a while ago (evicted-contacts.ts); an answer brings them back. */
  private reviveEvicted(nowMs: number): void {
    for (const peer of this.evicted.due(nowMs, REVIVALS_PER_MAINTENANCE, (candidate) => this.table.has(candidate))) {
      this.sendRequest(nowMs, peer, { kind: 'ping', requestId: 0 }, 'maintenance', Purpose.revival, null, null);
    }
  }

  /** Expiry, bucket refresh (Kademlia §2.3), republish (§2.5), and a second chance for evicted contacts. */
  private runMaintenance(nowMs: number): void {
    this.proximityProbesLeft = PROXIMITY_PROBES_PER_MAINTENANCE;
    this.reviveEvicted(nowMs);
    if (this.vivaldi !== null) this.sampleForProximity(nowMs);
    let refreshes = 0;
    for (const bucket of this.table.buckets()) {
      if (refreshes >= this.config.refreshesPerMaintenanceMax) break;
      if (nowMs - bucket.lastTouchedMs < this.config.bucketRefreshIntervalMs) continue;
      refreshes++;
      this.startLookup(nowMs, randomIdInPrefix(bucket.prefix, bucket.depth, this.random), 'node', 'maintenance', noop);
    }
    for (const held of this.values.heldValues()) {
      const published = held.origin === 'published';
      const intervalMs = published ? this.config.publisherRepublishIntervalMs : this.config.republishIntervalMs;
      // A publisher renews its value before it would lapse, even if the interval is as long as the TTL.
      const lapsing = published && held.expiresAtMs - nowMs <= 2 * this.config.maintenanceIntervalMs;
      if (nowMs - held.refreshedAtMs < intervalMs && !lapsing) continue;
      if (held.expiresAtMs <= nowMs) continue;
      held.refreshedAtMs = nowMs;
      this.republish(held, nowMs);
    }
    // Expiry comes after republish, so a value due for both is renewed rather than lost.
    this.values.expire(nowMs);
    this.scheduleMaintenance(nowMs, false);
  }

  /**
   * Proximity neighbour selection needs candidates to choose from: a maintenance run asks one
   * contact of a full bucket for the nodes it knows near a random id of the bucket's range — one
   * request, where a bucket refresh (Kademlia §2.3) would be a whole lookup — and the nodes it names,
   * with the coordinates it gives, may prove nearer than the bucket's contacts (considerNamed). Each
   * bucket is sampled as soon as it is full (so a young node finds near contacts within a minute or
   * two, not one bucket a minute), and then one full bucket a run, in turn.
   */
  private sampleForProximity(nowMs: number): void {
    const full = this.table.buckets().filter((bucket) => !bucket.onOwnPath && bucket.size === this.config.k);
    if (full.length === 0) return;
    const sampled = this.sampledBuckets ?? (this.sampledBuckets = new WeakSet<object>());
    const fresh = full.filter((bucket) => !sampled.has(bucket));
    const chosen = fresh.length > 0 ? fresh : [full[this.proximitySamples++ % full.length]];
    for (const bucket of chosen) {
      sampled.add(bucket);
      const contact = bucket.peers[Math.floor(this.random.nextFloat() * bucket.size)];
      const target = randomIdInPrefix(bucket.prefix, bucket.depth, this.random);
      this.sendRequest(nowMs, contact, { kind: 'findNode', requestId: 0, target }, 'maintenance', Purpose.proximitySample, null, null);
    }
  }

  /**
   * Peers a NODES reply named that are new to us: they may fill spare room in our table, unproven
   * (RoutingTable.addUnverified); with proximity, one predicted much nearer than a contact of its
   * full bucket is pinged, and its answer (observed like any other) lets it take that place —
   * proximity neighbour selection need not wait for a near peer to contact us.
   */
  private considerNamed(reply: Nodes, peers: readonly PeerRef[], nowMs: number): void {
    const coordinates = this.vivaldi === null ? undefined : reply.closerCoordinates;
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i];
      const coordinate = coordinates === undefined ? null : coordinateNamed(reply, peer);
      if (this.table.addUnverified(peer, nowMs, coordinate) || coordinate === null || this.proximityProbesLeft === 0) continue;
      if (this.table.wouldTakePlaceByProximity(peer, coordinate)) {
        this.proximityProbesLeft--;
        this.sendRequest(nowMs, peer, { kind: 'ping', requestId: 0 }, 'maintenance', Purpose.proximityProbe, null, null);
      }
    }
  }

  private republish(held: HeldValue, nowMs: number): void {
    const key = held.key;
    const value = held.value;
    const published = held.origin === 'published';
    if (published) held.expiresAtMs = nowMs + held.ttlMs;
    this.startLookup(nowMs, key, 'node', 'maintenance', (operation, doneAtMs) => {
      const ttlMs = published ? held.ttlMs : remainingTtlMs(held, doneAtMs);
      if (ttlMs <= 0) return;
      for (const peer of operation.lookup.result(this.config.k)) {
        this.sendRequest(doneAtMs, peer, { kind: 'store', requestId: 0, key, value, ttlMs }, 'maintenance', Purpose.oneWayStore, null, null);
      }
    });
  }

  // ---- lookups -------------------------------------------------------------------------------

  private startLookup(
    nowMs: number, target: Id, mode: LookupMode, traffic: 'user' | 'maintenance',
    onDone: (operation: LookupOperation, nowMs: number) => void,
  ): LookupOperation {
    this.stats.lookupsStarted++;
    this.table.touch(target, nowMs);
    const config = this.config;
    const seeds = this.table.closest(target, config.k);
    const lookup = new ClosestPeersLookup(target, this.self, seeds, {
      k: config.k,
      alpha: config.alpha,
      finish: traffic === 'user' ? config.lookupFinish : config.maintenanceLookupFinish,
      queriesMax: config.lookupQueriesMax,
      // Three times k leaves room for k results after many failures; more only slows every insertion.
      candidatesMax: Math.min(Limits.lookupCandidatesMax, 2 * config.k),
      proximity: this.vivaldi === null ? undefined : { bitsPerDigit: config.bitsPerDigit, neighbourhoodDepth: this.neighbourhoodDepth() },
    }, this.vivaldi === null ? undefined : (index) => this.table.estimateFor(seeds[index], null));
    const operation: LookupOperation = {
      id: this.nextOperationId++, lookup, mode, traffic, startedAtMs: nowMs, onDone,
      active: true, wakeAtMs: Infinity, found: null, error: null, failedBeforeReseed: null, reseeds: 0,
    };
    if (this.operations.size >= Limits.activeLookupsMax) {
      operation.error = 'too many lookups in progress';
      lookup.finish();
      this.complete(operation, nowMs);
      return operation;
    }
    this.operations.set(operation.id, operation);
    this.timers.add(nowMs + config.lookupDurationMaxMs, { kind: 'lookupDeadline', operation });
    this.pump(operation, nowMs);
    return operation;
  }

  /** Sends whatever the lookup wants sent, then either completes it or arms its next soft deadline. */
  private pump(operation: LookupOperation, nowMs: number): void {
    const lookup = operation.lookup;
    for (;;) {
      const peer = lookup.next(nowMs, this.rtoFor);
      if (peer === null) break;
      const request: Request = operation.mode === 'value'
        ? { kind: 'findValue', requestId: 0, key: lookup.target }
        : { kind: 'findNode', requestId: 0, target: lookup.target };
      if (!this.sendRequest(nowMs, peer, request, operation.traffic, Purpose.lookup, operation, null)) lookup.onFailure(peer);
    }
    if (lookup.isFinished()) {
      if (lookup.answers === 0 && this.reseedLookup(operation)) {
        this.pump(operation, nowMs);
        return;
      }
      this.complete(operation, nowMs);
      return;
    }
    const deadlineMs = Math.ceil(lookup.nextDeadlineMs());
    if (deadlineMs < operation.wakeAtMs) {
      operation.wakeAtMs = deadlineMs;
      this.timers.add(deadlineMs, { kind: 'pump', operation });
    }
  }

  /**
   * A lookup whose every candidate failed before anyone answered: the k contacts nearest the target
   * were all dead (a domain cut off from the rest still lists the contacts outside it, which nobody
   * has asked since). Rather than end empty-handed, it starts again from the next k contacts of the
   * table, not counting those that failed; any live node among them can lead it on. Bounded by
   * LOOKUP_RESEEDS_MAX and the lookup's own query budget. Returns whether it has someone to ask.
   */
  private reseedLookup(operation: LookupOperation): boolean {
    if (operation.reseeds >= LOOKUP_RESEEDS_MAX) return false;
    operation.reseeds++;
    const lookup = operation.lookup;
    const failed = (operation.failedBeforeReseed ?? []).concat(lookup.failedPeers());
    operation.failedBeforeReseed = failed;
    const k = this.config.k;
    const seeds: PeerRef[] = [];
    for (const peer of this.table.closest(lookup.target, failed.length + k)) {
      if (!failed.some((gone) => idEquals(gone, peer))) seeds.push(peer);
      if (seeds.length === k) break;
    }
    if (seeds.length === 0) return false;
    return lookup.reopen(seeds, this.vivaldi === null ? undefined : (index) => this.table.estimateFor(seeds[index], null));
  }

  private onLookupAnswer(operation: LookupOperation, from: PeerRef, reply: Reply, nowMs: number): void {
    if (!operation.active) {
      // The lookup ended before this answer came, but the contacts it names are as good as any a
      // lookup meets: they may fill spare room in our table, unproven, as a live lookup's do.
      if (reply.kind === 'nodes') {
        const closer = reply.closer;
        for (let i = 0; i < closer.length && i < this.config.k; i++) {
          this.table.addUnverified(closer[i], nowMs);
        }
      }
      return;
    }
    const lookup = operation.lookup;
    if (reply.kind === 'value') {
      lookup.onSuccess(from, []);
      operation.found = { value: reply.value, ttlMs: reply.ttlMs, from };
      lookup.finish();
      this.complete(operation, nowMs);
      return;
    }
    if (reply.kind !== 'nodes') return;
    let closer = reply.closer;
    if (closer.length > this.config.k) {
      this.penalize(from, `listed ${closer.length} contacts, more than k = ${this.config.k}`);
      closer = closer.slice(0, this.config.k);
    }
    const newlySeen = this.newlySeen;
    const coordinates = this.vivaldi === null ? undefined : reply.closerCoordinates;
    lookup.onSuccess(from, closer, newlySeen, coordinates === undefined ? undefined : this.estimatesOf(closer, coordinates));
    this.considerNamed(reply, newlySeen, nowMs);
    newlySeen.length = 0;
    this.pump(operation, nowMs);
  }

  /** Predicted RTTs of the contacts a NODES reply names, from the coordinates it gave (or ours of them). */
  private estimatesOf(closer: readonly PeerRef[], coordinates: readonly (VivaldiCoordinate | null)[]): EstimateRtt {
    return (index) => this.table.estimateFor(closer[index], coordinates[index] ?? null);
  }

  /**
   * How many leading bits a node inside a target's neighbourhood shares with it: about log2(n / k),
   * which our own neighbourhood shows (the bits the k-th closest contact shares with our id).
   */
  private neighbourhoodDepth(): number {
    const neighbours = this.table.closest(this.self, this.config.k);
    return neighbours.length < this.config.k ? 0 : commonPrefixLength(neighbours[neighbours.length - 1], this.self);
  }

  private complete(operation: LookupOperation, nowMs: number): void {
    if (!operation.active) return;
    operation.active = false;
    this.operations.delete(operation.id);
    operation.onDone(operation, nowMs);
  }

  private reportLookup(operation: LookupOperation, nowMs: number): void {
    const lookup = operation.lookup;
    const closest = lookup.result(this.config.k);
    this.events.push({
      kind: 'lookupDone',
      operationId: operation.id,
      target: lookup.target,
      closest,
      hops: closest.length > 0 ? lookup.hopOf(closest[0]) : 0,
      queries: lookup.queriesSent,
      answers: lookup.answers,
      failures: lookup.failures + lookup.silentCount(),
      startedAtMs: operation.startedAtMs,
      finishedAtMs: nowMs,
      value: operation.found ? operation.found.value : null,
      error: operation.error,
    });
  }

  /**
   * Caches a found value at the closest node that answered without it (Kademlia §2.3), with a
   * lifetime that halves for every node between it and the key, so hot values spread towards
   * demand while cold copies fade.
   */
  private cacheAlongPath(operation: LookupOperation, nowMs: number): void {
    const found = operation.found;
    if (!found) return;
    const target = operation.lookup.closestAnswered((peer) => idEquals(peer, found.from));
    if (!target) return;
    const ttlMs = Math.max(CACHED_TTL_MS_MIN, Math.floor(found.ttlMs / 2 ** Math.min(target.closerCount, 16)));
    if (ttlMs > found.ttlMs) return;
    this.sendRequest(nowMs, target.peer, { kind: 'store', requestId: 0, key: operation.lookup.target, value: found.value, ttlMs }, 'user', Purpose.oneWayStore, null, null);
  }

  private settleStore(batch: StoreBatch, nowMs: number): void {
    if (--batch.outstanding === 0) this.reportPut(batch, nowMs);
  }

  private reportPut(batch: StoreBatch, nowMs: number): void {
    this.events.push({
      kind: 'putDone', operationId: batch.operationId, key: batch.key, stored: batch.stored, refused: batch.refused,
      failed: batch.failed, startedAtMs: batch.startedAtMs, finishedAtMs: nowMs,
    });
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  private restore(snapshot: NodeSnapshot, nowMs: number): void {
    if (!idEquals(snapshot.self, this.self)) throw new RangeError('the snapshot belongs to another node');
    for (const peer of snapshot.contacts) this.table.addUnverified(peer, nowMs);
    for (const held of snapshot.values) {
      const ttlMs = remainingTtlMs(held, nowMs);
      if (ttlMs <= 0) continue;
      this.values.put(held.key, held.value, Math.min(ttlMs, Limits.valueTtlMsMax), held.origin, nowMs);
      // Keep the TTL it was published with, which a publisher's republish renews.
      const restored = this.values.get(held.key, nowMs);
      if (restored) restored.ttlMs = held.ttlMs;
    }
  }

  private assertRunning(): void {
    if (this.currentState === 'left') throw new Error('this node has left the overlay');
  }
}

function noop(): void {}

/** Pings to near peers a lookup named (proximity neighbour selection), per maintenance interval. */
const PROXIMITY_PROBES_PER_MAINTENANCE = 20;

/** A coordinate is trusted for predictions only below this error estimate (1 = knows nothing). */
const VIVALDI_TRUSTED_ERROR_MAX = 0.8;

/** The coordinate a NODES reply gave for `peer`, or null. */
function coordinateNamed(reply: Nodes, peer: PeerRef): VivaldiCoordinate | null {
  const coordinates = reply.closerCoordinates;
  if (coordinates === undefined) return null;
  const index = reply.closer.indexOf(peer);
  return index < 0 ? null : coordinates[index] ?? null;
}

/** Time left to live, in whole milliseconds as the wire carries it (simulated clocks are fractional). */
function remainingTtlMs(held: { readonly expiresAtMs: number }, nowMs: number): number {
  return Math.max(0, Math.floor(held.expiresAtMs - nowMs));
}
