/**
 * The deterministic discrete-event simulator: a virtual clock, one event queue ordered by
 * (time, sequence), simulated nodes each running the real DhtNode, and the network between them.
 * Nothing here reads the wall clock or Math.random: every random choice comes from the seeded
 * streams, so one seed gives one run, and the trace hash proves it (TigerBeetle's VOPR, FoundationDB's
 * simulation testing).
 *
 * Simulated time advances in whole milliseconds: a message's delay is rounded to the nearest
 * millisecond (an error far below the RTTs being modelled), so every time is a small integer that
 * V8 stores unboxed — at 10^5 nodes that saves millions of heap objects.
 */
import type { DhtConfig } from '../core/config.ts';
import { DhtNode } from '../core/dht-node.ts';
import { randomId, type Id } from '../core/id.ts';
import { MessageCode, isRequest, type Message } from '../core/messages.ts';
import type { Scheduled } from '../core/min-heap.ts';
import type { DhtEvent, NodeSnapshot, TrafficClass } from '../core/node-io.ts';
import { peerRef, type PeerRef } from '../core/peer.ts';
import { decodeMessage, encodedSize, encodeMessage } from '../wire/codec.ts';
import type { LatencyModel, Placement } from './latency/model.ts';
import { EventQueue } from './event-queue.ts';
import { LOST, SimNetwork, type Endpoint, type NetworkConfig } from './network.ts';
import { Oracle } from './oracle.ts';
import { Prng } from './prng.ts';
import { TraceHash } from './trace-hash.ts';

export interface WorldConfig {
  readonly seed: number;
  readonly dht: DhtConfig;
  readonly latency: LatencyModel;
  readonly network: NetworkConfig;
  /** Pass every message through the binary codec, as a real transport does. */
  readonly wire: boolean;
}

/** One simulated machine: an identity that may be online (running a DhtNode) or offline. */
export interface SimNode extends Endpoint {
  readonly peer: PeerRef;
  readonly random: Prng;
  dht: DhtNode | null;
  online: boolean;
  joined: boolean;
  /** What survives a crash or leave: restarts resume from it. */
  snapshot: NodeSnapshot | null;
  /** The wake-up event queued for this node, Infinity when none. */
  scheduledWakeMs: number;
  onlineSinceMs: number;
  onlineMsTotal: number;
}

const EventType = { deliver: 0, wake: 1, call: 2 } as const;
type EventTypeCode = (typeof EventType)[keyof typeof EventType];

/** A queued event. One class with a fixed shape keeps the hot loop monomorphic. */
class SimEvent implements Scheduled {
  readonly atMs: number;
  readonly sequence: number;
  readonly type: EventTypeCode;
  readonly node: number;
  readonly generation: number;
  readonly from: PeerRef | null;
  readonly message: Message | null;
  readonly bytes: Uint8Array | null;
  readonly traffic: TrafficClass;
  readonly call: (() => void) | null;

  constructor(
    atMs: number, sequence: number, type: EventTypeCode, node: number, generation: number, from: PeerRef | null,
    message: Message | null, bytes: Uint8Array | null, traffic: TrafficClass, call: (() => void) | null,
  ) {
    this.atMs = atMs;
    this.sequence = sequence;
    this.type = type;
    this.node = node;
    this.generation = generation;
    this.from = from;
    this.message = message;
    this.bytes = bytes;
    this.traffic = traffic;
    this.call = call;
  }
}

export interface TrafficTotals {
  messages: number;
  bytes: number;
  maintenanceMessages: number;
  maintenanceBytes: number;
  /** Messages that arrived at a node that was offline. */
  undeliverable: number;
  /** Messages the codec rejected (only with wire on; should stay zero). */
  undecodable: number;
}

/** Stream indices of the seeded generator: one per consumer, so none perturbs another. */
const Streams = { identities: 1, placement: 2, network: 3, nodes: 4 } as const;

export class World {
  readonly config: WorldConfig;
  readonly nodes: SimNode[] = [];
  readonly oracle = new Oracle();
  readonly network: SimNetwork;
  readonly traffic: TrafficTotals = { messages: 0, bytes: 0, maintenanceMessages: 0, maintenanceBytes: 0, undeliverable: 0, undecodable: 0 };
  readonly traceHash = new TraceHash();
  /** Called for every event a node emits (lookup finished, joined, ...). */
  onNodeEvent: (node: SimNode, event: DhtEvent) => void = () => {};
  /** When set, receives one line per processed event (golden traces; slow, for small runs). */
  traceSink: ((line: string) => void) | null = null;
  eventsProcessed = 0;
  /** Nodes online now, and the integral of that count over time (node-milliseconds online). */
  onlineCount = 0;
  private onlineNodeMsSettled = 0;
  private onlineCountChangedAtMs = 0;
  private clockMs = 0;
  private sequence = 0;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly root: Prng;
  private readonly identities: Prng;
  private readonly placements: Prng;
  private readonly nodeStreams: Prng;

  constructor(config: WorldConfig) {
    this.config = config;
    this.root = Prng.fromSeed(config.seed);
    this.identities = this.root.stream(Streams.identities);
    this.placements = this.root.stream(Streams.placement);
    this.nodeStreams = this.root.stream(Streams.nodes);
    this.network = new SimNetwork(config.network, config.latency, this.root.stream(Streams.network));
    this.traceHash.addNumber(config.seed);
  }

  get nowMs(): number {
    return this.clockMs;
  }

  /** A stream for a workload or fault injector, derived from the seed and a name-like index ≥ 100. */
  stream(index: number): Prng {
    return this.root.stream(100 + index);
  }

  /** Node-milliseconds spent online by all nodes from the start until now. */
  onlineNodeMs(): number {
    return this.onlineNodeMsSettled + this.onlineCount * (this.clockMs - this.onlineCountChangedAtMs);
  }

  private changeOnlineCount(delta: number): void {
    this.onlineNodeMsSettled = this.onlineNodeMs();
    this.onlineCountChangedAtMs = this.clockMs;
    this.onlineCount += delta;
  }

  get pendingEvents(): number {
    return this.queue.size;
  }

  // ---- membership ----------------------------------------------------------------------------

  /** Creates a new identity (id drawn from the seeded generator), offline until started. */
  createNode(id: Id = randomId(this.identities)): SimNode {
    const index = this.nodes.length;
    const address = String(index);
    const placement: Placement = this.config.latency.place(this.placements);
    const node: SimNode = {
      index, placement, generation: 0, uplinkFreeAtMs: 0, connections: null,
      peer: peerRef(id, address), random: this.nodeStreams.stream(index), dht: null, online: false, joined: false,
      snapshot: null, scheduledWakeMs: Infinity, onlineSinceMs: 0, onlineMsTotal: 0,
    };
    this.nodes.push(node);
    return node;
  }

  /** Brings a node online and joins it through `bootstrap` (a restart resumes from its snapshot). */
  start(node: SimNode, bootstrap: readonly PeerRef[]): void {
    if (node.online) throw new Error(`node ${node.index} is already online`);
    node.generation++;
    node.online = true;
    node.joined = false;
    node.onlineSinceMs = this.clockMs;
    this.changeOnlineCount(1);
    node.dht = new DhtNode(this.config.dht, { self: node.peer, random: node.random }, this.clockMs, node.snapshot ?? undefined);
    this.oracle.add(node.peer);
    node.dht.join(this.clockMs, bootstrap);
    this.flush(node, 'maintenance');
    this.hashMembership(1, node);
  }

  /** Stops a node without a goodbye; it keeps its snapshot for a restart. */
  crash(node: SimNode): void {
    if (!node.online) return;
    this.stop(node);
    this.hashMembership(2, node);
  }

  /** Stops a node after it hands off its values and says goodbye to its contacts. */
  leave(node: SimNode): void {
    if (!node.online || !node.dht) return;
    node.dht.leave(this.clockMs);
    this.flush(node, 'maintenance');
    this.stop(node);
    this.hashMembership(3, node);
  }

  private stop(node: SimNode): void {
    const dht = node.dht as DhtNode;
    node.snapshot = dht.snapshot();
    node.dht = null;
    node.online = false;
    node.joined = false;
    node.generation++;
    node.scheduledWakeMs = Infinity;
    node.onlineMsTotal += this.clockMs - node.onlineSinceMs;
    this.changeOnlineCount(-1);
    this.network.disconnect(node);
    this.oracle.remove(node.peer);
  }

  onlineNodes(): SimNode[] {
    return this.nodes.filter((node) => node.online);
  }

  // ---- commands ------------------------------------------------------------------------------

  lookup(node: SimNode, target: Id): number {
    const id = this.running(node).lookup(this.clockMs, target);
    this.flush(node, 'user');
    return id;
  }

  get(node: SimNode, key: Id): number {
    const id = this.running(node).get(this.clockMs, key);
    this.flush(node, 'user');
    return id;
  }

  put(node: SimNode, key: Id, value: Uint8Array, ttlMs?: number): number {
    const id = this.running(node).put(this.clockMs, key, value, ttlMs);
    this.flush(node, 'user');
    return id;
  }

  private running(node: SimNode): DhtNode {
    if (!node.online || node.dht === null) throw new Error(`node ${node.index} is offline`);
    return node.dht;
  }

  // ---- time ----------------------------------------------------------------------------------

  /** Runs `call` at `atMs` (not before now). */
  at(atMs: number, call: () => void): void {
    this.enqueue(new SimEvent(Math.max(Math.round(atMs), this.clockMs), this.sequence++, EventType.call, -1, 0, null, null, null, 'user', call));
  }

  /** Processes events up to and including `endMs`, then sets the clock to `endMs`. */
  runUntil(endMs: number): void {
    const queue = this.queue;
    for (;;) {
      const next = queue.popNotAfter(endMs);
      if (next === undefined) break;
      this.clockMs = next.atMs;
      this.process(next);
    }
    if (endMs > this.clockMs && Number.isFinite(endMs)) this.clockMs = Math.floor(endMs);
  }

  /** Processes events until `done()` holds or the queue empties or `limitMs` passes. */
  runWhile(condition: () => boolean, limitMs: number): void {
    const queue = this.queue;
    while (condition()) {
      const next = queue.popNotAfter(limitMs);
      if (next === undefined) return;
      this.clockMs = next.atMs;
      this.process(next);
    }
  }

  private enqueue(event: SimEvent): void {
    this.queue.push(event);
  }

  private process(event: SimEvent): void {
    this.eventsProcessed++;
    const hash = this.traceHash;
    hash.addNumber(event.atMs);
    hash.addInt(event.type);
    hash.addInt(event.node);
    switch (event.type) {
      case EventType.deliver:
        this.deliver(event);
        break;
      case EventType.wake: {
        const node = this.nodes[event.node];
        if (!node.online || event.generation !== node.generation || event.atMs !== node.scheduledWakeMs) return;
        node.scheduledWakeMs = Infinity;
        const dht = node.dht as DhtNode;
        if (dht.nextWakeAtMs() > this.clockMs) {
          // What this wake-up was for went away (an answer beat its timeout): wait for the next one.
          this.scheduleWake(node, dht);
          return;
        }
        if (this.traceSink) this.traceSink(`${formatTime(event.atMs)} wake ${node.index}`);
        dht.tick(this.clockMs);
        this.flush(node, 'maintenance');
        break;
      }
      case EventType.call:
        (event.call as () => void)();
        break;
    }
  }

  private deliver(event: SimEvent): void {
    const node = this.nodes[event.node];
    const from = event.from as PeerRef;
    let message = event.message as Message;
    if (this.config.wire) {
      const decoded = decodeMessage(event.bytes as Uint8Array);
      if (!decoded.ok) {
        this.traffic.undecodable++;
        return;
      }
      message = decoded.message;
    }
    const hash = this.traceHash;
    hash.addInt(MessageCode[message.kind]);
    hash.addInt('requestId' in message ? message.requestId : 0);
    if (!node.online || node.dht === null || !this.network.canReach(Number(from.address), node.index)) {
      this.traffic.undeliverable++;
      return;
    }
    if (this.traceSink) this.traceSink(`${formatTime(event.atMs)} ${from.address}->${node.index} ${describe(message)}`);
    node.dht.receive(this.clockMs, from, message);
    this.flush(node, isRequest(message) ? event.traffic : 'maintenance');
  }

  /**
   * Sends what a node produced and queues its next wake-up. `inheritedTraffic` is the class of the
   * request being answered, which replies take on for the accounting.
   */
  private flush(node: SimNode, inheritedTraffic: TrafficClass): void {
    const dht = node.dht;
    if (dht === null) return;
    const messages = dht.takeMessages();
    for (let i = 0; i < messages.length; i++) {
      const outgoing = messages[i];
      const traffic = outgoing.traffic === 'reply' ? inheritedTraffic : outgoing.traffic;
      this.transmit(node, outgoing.to, outgoing.message, traffic);
    }
    const events = dht.takeEvents();
    for (const event of events) {
      if (event.kind === 'joined') node.joined = true;
      this.onNodeEvent(node, event);
    }
    if (node.dht !== dht) return;
    this.scheduleWake(node, dht);
  }

  /** Queues a wake-up for the node's next timer, unless one at least as early is queued already. */
  private scheduleWake(node: SimNode, dht: DhtNode): void {
    const wakeMs = dht.nextWakeAtMs();
    if (wakeMs < node.scheduledWakeMs) {
      const atMs = Math.max(Math.ceil(wakeMs), this.clockMs);
      node.scheduledWakeMs = atMs;
      this.enqueue(new SimEvent(atMs, this.sequence++, EventType.wake, node.index, node.generation, null, null, null, 'maintenance', null));
    }
  }

  private transmit(from: SimNode, to: PeerRef, message: Message, traffic: TrafficClass): void {
    // A simulated node's address is its index as a decimal string; anything else reaches nobody.
    const index = Number(to.address);
    const destination = this.nodes[index];
    if (destination === undefined || destination.peer.address !== to.address) {
      this.traffic.undeliverable++;
      return;
    }
    let bytes: Uint8Array | null = null;
    let sizeBytes: number;
    if (this.config.wire) {
      bytes = encodeMessage(message);
      sizeBytes = bytes.length + this.network.headerBytes;
    } else {
      sizeBytes = encodedSize(message) + this.network.headerBytes;
    }
    const totals = this.traffic;
    totals.messages++;
    totals.bytes += sizeBytes;
    if (traffic === 'maintenance') {
      totals.maintenanceMessages++;
      totals.maintenanceBytes += sizeBytes;
    }
    const arriveMs = this.network.transmit(this.clockMs, from, destination, sizeBytes);
    if (arriveMs === LOST) return;
    const atMs = Math.max(this.clockMs, Math.round(arriveMs));
    this.enqueue(new SimEvent(atMs, this.sequence++, EventType.deliver, index, 0, from.peer, bytes ? null : message, bytes, traffic, null));
  }

  private hashMembership(change: number, node: SimNode): void {
    this.traceHash.addInt(change);
    this.traceHash.addInt(node.index);
    if (this.traceSink) this.traceSink(`${formatTime(this.clockMs)} ${['', 'start', 'crash', 'leave'][change]} ${node.index}`);
  }
}

function formatTime(ms: number): string {
  return `t=${(ms / 1000).toFixed(3)}`;
}

function describe(message: Message): string {
  switch (message.kind) {
    case 'findNode':
      return `findNode#${message.requestId} ${message.target.head.toString(16).padStart(8, '0')}`;
    case 'findValue':
      return `findValue#${message.requestId} ${message.key.head.toString(16).padStart(8, '0')}`;
    case 'nodes':
      return `nodes#${message.requestId} [${message.closer.map((peer) => peer.address).join(',')}]`;
    case 'store':
      return `store#${message.requestId} ${message.key.head.toString(16).padStart(8, '0')} ${message.value.length}B`;
    case 'stored':
      return `stored#${message.requestId} ${message.status}`;
    case 'value':
      return `value#${message.requestId} ${message.value.length}B`;
    case 'leave':
      return 'leave';
    default:
      return `${message.kind}#${message.requestId}`;
  }
}
