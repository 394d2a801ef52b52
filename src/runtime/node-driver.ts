/**
 * Drives one DhtNode for real: the shell of etcd raft's `Ready` loop. Every input — a message the
 * transport delivers, the wake timer, a command — is handed to the kernel with the clock's time,
 * then the outputs are drained at once: messages to the transport, events to whoever waits on
 * them or to the penalty book, and the wake timer moved to the kernel's next wake-up.
 *
 * It knows the transport only by its contract, so it runs over libp2p or anything else.
 */
import type { VivaldiCoordinate } from '../core/vivaldi.ts';
import type { DhtConfig } from '../core/config.ts';
import { DhtNode, type DhtNodeStats, type NodeState } from '../core/dht-node.ts';
import { compareDistance, idToHex, type Id } from '../core/id.ts';
import type { DhtEvent, Joined, LookupDone, NodeSnapshot, PutDone } from '../core/node-io.ts';
import type { PeerRef } from '../core/peer.ts';
import type { Random } from '../core/random.ts';
import type { Transport, TransportStats } from '../transport/transport.ts';
import type { Clock } from './clock.ts';
import { PenaltyBook, type PenaltyRecord } from './penalty-book.ts';
import { WakeTimer } from './wake-timer.ts';

export interface NodeDriverDeps {
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport;
}

/** An operation could not finish because the node stopped. */
export class NodeStoppedError extends Error {
  constructor() {
    super('the node has stopped');
    this.name = 'NodeStoppedError';
  }
}

export interface NodeStatus {
  readonly id: string;
  readonly address: string;
  readonly state: NodeState;
  readonly contacts: number;
  readonly values: number;
  readonly pendingRequests: number;
  readonly operationsWaiting: number;
  readonly uptimeMs: number;
  readonly kernel: DhtNodeStats;
  readonly transport: TransportStats;
  readonly penalties: { readonly total: number; readonly recent: readonly PenaltyRecord[] };
  /** The node's Vivaldi coordinate with proximity on (`dht.proximity` in the config); null with it off. */
  readonly coordinate: VivaldiCoordinate | null;
}

/** One routing-table contact as status reports show it. */
export interface ContactReport {
  readonly peer: PeerRef;
  /** Heard from directly, not only named by others. */
  readonly verified: boolean;
  /** Requests in a row it has not answered. */
  readonly failures: number;
  /** Null when never heard from (a contact from a snapshot or a referral). */
  readonly lastSeenAgoMs: number | null;
  /** Smoothed round-trip time; null before the first sample. */
  readonly rttMs: number | null;
}

/** Offenders remembered, and how many the status lists. */
const PENALISED_REMOTES_MAX = 1024;
const RECENT_PENALTIES_SHOWN = 10;

interface Waiter {
  resolve(event: DhtEvent): void;
  reject(error: Error): void;
}

export class NodeDriver {
  readonly node: DhtNode;
  readonly penalties = new PenaltyBook(PENALISED_REMOTES_MAX);
  private readonly clock: Clock;
  private readonly transport: Transport;
  private readonly timer: WakeTimer;
  private readonly waiting = new Map<number, Waiter>();
  private readonly startedAtMs: number;
  private stopped = false;

  constructor(config: DhtConfig, deps: NodeDriverDeps, snapshot?: NodeSnapshot) {
    this.clock = deps.clock;
    this.transport = deps.transport;
    this.startedAtMs = deps.clock.nowMs();
    // A snapshot names us at the address of its time; we are at today's.
    const resumed = snapshot === undefined ? undefined : { ...snapshot, self: deps.transport.self };
    this.node = new DhtNode(config, { self: deps.transport.self, random: deps.random }, this.startedAtMs, resumed);
    this.timer = new WakeTimer(deps.clock, (nowMs) => {
      this.node.tick(nowMs);
      this.drain();
    });
    deps.transport.bind({
      onMessage: (from, message, setupInRoundTrip) => {
        if (this.stopped) return;
        this.node.receive(this.clock.nowMs(), from, message, setupInRoundTrip === true);
        this.drain();
      },
      onUndeliverable: (to, message) => {
        if (this.stopped) return;
        this.node.undeliverable(this.clock.nowMs(), to, message);
        this.drain();
      },
      onPenalty: (penalty) => {
        const remote = penalty.id === null ? penalty.remote : idToHex(penalty.id);
        this.penalties.record(remote, penalty.reason, this.clock.nowMs());
      },
    });
    this.drain();
  }

  get self(): PeerRef {
    return this.node.self;
  }

  /** Joins through `bootstrap` (and the contacts a snapshot brought); resolves when the join's lookups are done. */
  join(bootstrap: readonly PeerRef[]): Promise<Joined> {
    return this.command((nowMs) => this.node.join(nowMs, bootstrap)) as Promise<Joined>;
  }

  /** The k closest live nodes to `target`. */
  lookup(target: Id): Promise<LookupDone> {
    return this.command((nowMs) => this.node.lookup(nowMs, target)) as Promise<LookupDone>;
  }

  /** The value stored under `key`, in the result's `value` (null when nobody has it). */
  get(key: Id): Promise<LookupDone> {
    return this.command((nowMs) => this.node.get(nowMs, key)) as Promise<LookupDone>;
  }

  put(key: Id, value: Uint8Array, ttlMs?: number): Promise<PutDone> {
    return this.command((nowMs) => this.node.put(nowMs, key, value, ttlMs)) as Promise<PutDone>;
  }

  /**
   * Adds a contact heard of outside the overlay (mDNS) as the kernel adds a bootstrap peer:
   * unverified, into spare room only, never displacing a contact. Returns whether it was added.
   */
  addContact(peer: PeerRef): boolean {
    if (this.stopped) return false;
    return this.node.table.addUnverified(peer, this.clock.nowMs());
  }

  /** Every routing-table contact, closest to our own id first. */
  contacts(): ContactReport[] {
    const nowMs = this.clock.nowMs();
    const reports: ContactReport[] = [];
    for (const bucket of this.node.table.buckets()) {
      for (let index = 0; index < bucket.size; index++) {
        const info = bucket.info(index);
        reports.push({
          peer: info.peer,
          verified: info.verified,
          failures: info.failures,
          // The table marks a contact never heard from with a time before the clock's zero.
          lastSeenAgoMs: info.lastSeenMs < 0 ? null : Math.max(0, nowMs - info.lastSeenMs),
          rttMs: info.srttMs > 0 ? info.srttMs : null,
        });
      }
    }
    const self = this.node.self;
    return reports.sort((a, b) => compareDistance(self, a.peer, b.peer));
  }

  snapshot(): NodeSnapshot {
    return this.node.snapshot();
  }

  /**
   * A peer's RTT as the kernel knows it: measured if it is a contact that has answered us, else
   * what the coordinates predict (proximity on), else NaN — for choosing the nearest replica.
   */
  rttEstimateMs(peer: Id): number {
    const contact = this.node.table.find(peer);
    return contact === undefined ? Number.NaN : this.node.estimateRttMs(contact.coordinate, contact.srttMs);
  }

  status(): NodeStatus {
    const nowMs = this.clock.nowMs();
    return {
      id: idToHex(this.node.self),
      address: this.node.self.address,
      state: this.node.state,
      contacts: this.node.table.size,
      values: this.node.values.size,
      pendingRequests: this.node.pendingRequestCount,
      operationsWaiting: this.waiting.size,
      uptimeMs: nowMs - this.startedAtMs,
      kernel: { ...this.node.stats },
      transport: this.transport.stats(),
      penalties: { total: this.penalties.totalCount, recent: this.penalties.recent(RECENT_PENALTIES_SHOWN) },
      coordinate: this.node.coordinate,
    };
  }

  /**
   * Stops driving the kernel. With `leave`, first leaves gracefully (hands held values to the
   * closest contacts and tells every contact, which the transport then sends). Operations still
   * waiting fail with NodeStoppedError.
   */
  stop(options: { readonly leave: boolean }): void {
    if (this.stopped) return;
    if (options.leave) {
      this.node.leave(this.clock.nowMs());
      this.drain();
    }
    this.stopped = true;
    this.timer.stop();
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiter of waiting) waiter.reject(new NodeStoppedError());
  }

  private command(start: (nowMs: number) => number): Promise<DhtEvent> {
    if (this.stopped) return Promise.reject(new NodeStoppedError());
    let operationId: number;
    try {
      operationId = start(this.clock.nowMs());
    } catch (error) {
      return Promise.reject(error);
    }
    const settled = new Promise<DhtEvent>((resolve, reject) => this.waiting.set(operationId, { resolve, reject }));
    this.drain();
    return settled;
  }

  /** Hands everything the kernel produced to its destination, and re-arms the timer. */
  private drain(): void {
    for (const outgoing of this.node.takeMessages()) this.transport.send(outgoing.to, outgoing.message);
    for (const event of this.node.takeEvents()) this.onEvent(event);
    if (!this.stopped) this.timer.wakeAt(this.node.nextWakeAtMs());
  }

  private onEvent(event: DhtEvent): void {
    if (event.kind === 'peerPenalized') {
      this.penalties.record(idToHex(event.peer), event.reason, this.clock.nowMs());
      this.transport.penalize(event.peer);
      return;
    }
    const waiter = this.waiting.get(event.operationId);
    if (waiter === undefined) return;
    this.waiting.delete(event.operationId);
    waiter.resolve(event);
  }
}
