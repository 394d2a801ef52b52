/**
 * The deterministic discrete-event simulator: a virtual clock, one event queue ordered by
 * (time, origin, the origin's count), simulated nodes each running the real DhtNode, and the
 * network between them.
 * Nothing here reads the wall clock or Math.random: every random choice comes from the seeded
 * streams, so one seed gives one run, and the trace hash proves it (TigerBeetle's VOPR, FoundationDB's
 * simulation testing).
 *
 * Simulated time advances in whole milliseconds: a message's delay is rounded to the nearest
 * millisecond (an error far below the RTTs being modelled), so every time is a small integer that
 * V8 stores unboxed — at 10^5 nodes that saves millions of heap objects.
 *
 * Ties within a millisecond are broken by where an event came from — the node that sent the
 * message or set the timer, or the world for its own calls — and how many events that origin had
 * queued before, never by the order in which events reached the queue. So the order of the events
 * at one node depends only on what other nodes did, not on how the run interleaved them, and a run
 * split across threads (parallel/parallel-lookup.ts) processes every node's events in the same order as one
 * thread does.
 */
import type { DhtConfig } from '../core/config.ts';
import { DhtNode } from '../core/dht-node.ts';
import { idEquals, randomId, type Id } from '../core/id.ts';
import { MessageCode, isReply, isRequest, type Message } from '../core/messages.ts';
import type { Scheduled } from '../core/min-heap.ts';
import type { DhtEvent, NodeSnapshot, TrafficClass } from '../core/node-io.ts';
import { peerRef, type PeerRef } from '../core/peer.ts';
import { SetupRoundTrips } from '../transport/setup-round-trips.ts';
import { decodeMessage, encodedSize, encodeMessage } from '../wire/codec.ts';
import type { LatencyModel, Placement } from './latency/model.ts';
import { EventQueue } from './event-queue.ts';
import { LOST, SimNetwork, type Endpoint, type NetworkConfig } from './network.ts';
import { Oracle } from './oracle.ts';
import { Prng } from './prng.ts';
import { NodeTraceHashes } from './trace-hash.ts';

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
  /** Events this node has queued (messages sent, timers set): the second part of their order. */
  queued: number;
  /** The stream the network draws this node's message losses from; made on first use. */
  linkRandom: Prng | null;
  /** With --connect-rtts: its requests that paid a connection's set-up, until answered (null until one did). */
  setupRoundTrips: SetupRoundTrips | null;
}

/** The order of an event among those of its millisecond: its origin first, then the origin's count. */
function eventOrder(origin: number, count: number): number {
  // Origin -1 is the world. Exact in a double: origins stay below 2^20, counts below 2^32.
  return (origin + 1) * 0x1_0000_0000 + count;
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

/**
 * One part of a run split across threads (parallel/): this world runs only the nodes of part
 * `self`, and hands every message for a node of another part to `send`, to be delivered there.
 */
export interface WorldPart {
  /** The part of each node there is when the run is split, by index. */
  readonly partOf: Uint8Array;
  /** The part of a node created later, by its host (null: nodes may not be created later). */
  readonly partOfHost: ((host: number) => number) | null;
  readonly self: number;
  /** Hands a message to the part `toPart`. */
  readonly send: (delivery: CrossPartDelivery, toPart: number) => void;
}

/** A message on its way to a node of another part: when it arrives, to whom, from whom, its order. */
export interface CrossPartDelivery {
  readonly atMs: number;
  readonly to: number;
  readonly from: number;
  readonly order: number;
  readonly traffic: TrafficClass;
  /** The message, or its encoding by the wire codec (always, when the world runs with `wire`). */
  readonly message: Message | null;
  readonly bytes: Uint8Array | null;
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

/**
 * World.stream(index) of the run with seed `seed`, made without a world: what the parts of a split
 * run have drawn alike can be drawn again where their results are summed up (lookup-summary.ts).
 */
export function experimentStream(seed: number, index: number): Prng {
  return worldStream(Prng.fromSeed(seed), index);
}

function worldStream(root: Prng, index: number): Prng {
  return root.stream(100 + index);
}

const float64Scratch = new Float64Array(1);
const float64Words = new Int32Array(float64Scratch.buffer);

/** Every bit of a double's IEEE-754 encoding, folded into 32. */
function bitsOf(value: number): number {
  float64Scratch[0] = value;
  return float64Words[0] ^ Math.imul(float64Words[1], 0x9e3779b1);
}

/** Stream indices of the seeded generator: one per consumer, so none perturbs another. */
const Streams = { identities: 1, placement: 2, network: 3, nodes: 4, links: 5 } as const;

export class World {
  readonly config: WorldConfig;
  readonly nodes: SimNode[] = [];
  /** Each node's PeerRef by index: a dense array, so naming a contact by index reads no node object. */
  private readonly peers: PeerRef[] = [];
  readonly oracle = new Oracle();
  readonly network: SimNetwork;
  readonly traffic: TrafficTotals = { messages: 0, bytes: 0, maintenanceMessages: 0, maintenanceBytes: 0, undeliverable: 0, undecodable: 0 };
  readonly traceHash = new NodeTraceHashes();
  /** Called for every event a node emits (lookup finished, joined, ...). */
  onNodeEvent: (node: SimNode, event: DhtEvent) => void = () => {};
  /** When set, receives one line per processed event (golden traces; slow, for small runs). */
  traceSink: ((line: string) => void) | null = null;
  eventsProcessed = 0;
  /** Of those, the world's own calls: in a split run, every part processes each of them. */
  callsProcessed = 0;
  /** Nodes online now, and the integral of that count over time (node-milliseconds online). */
  onlineCount = 0;
  private onlineNodeMsSettled = 0;
  private onlineCountChangedAtMs = 0;
  private clockMs = 0;
  /** Calls the world has queued (`at`): the second part of their order. */
  private callsQueued = 0;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly root: Prng;
  private readonly identities: Prng;
  private readonly placements: Prng;
  private readonly nodeStreams: Prng;
  private readonly linkStreams: Prng;
  private readonly lossy: boolean;
  /** Messages carry coordinates (proximity on) and connections cost set-up: per-delivery work only then. */
  private readonly withCoordinates: boolean;
  private readonly withConnections: boolean;
  private part: WorldPart | null = null;
  /** In a split run, the part of each node by index. */
  private readonly nodePart: number[] = [];

  constructor(config: WorldConfig) {
    this.config = config;
    this.root = Prng.fromSeed(config.seed);
    this.identities = this.root.stream(Streams.identities);
    this.placements = this.root.stream(Streams.placement);
    this.nodeStreams = this.root.stream(Streams.nodes);
    this.linkStreams = this.root.stream(Streams.links);
    this.lossy = config.network.lossRate > 0;
    this.withCoordinates = config.dht.proximity === true;
    this.withConnections = config.network.connectionSetupRtts > 0;
    this.network = new SimNetwork(config.network, config.latency, this.root.stream(Streams.network));
    this.traceHash.addTime(-1, config.seed);
  }

  get nowMs(): number {
    return this.clockMs;
  }

  /** A stream for a workload or fault injector, derived from the seed and a name-like index ≥ 100. */
  stream(index: number): Prng {
    return worldStream(this.root, index);
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
      snapshot: null, scheduledWakeMs: Infinity, onlineSinceMs: 0, onlineMsTotal: 0, queued: 0, linkRandom: null, setupRoundTrips: null,
    };
    this.nodes.push(node);
    this.peers.push(node.peer);
    const part = this.part;
    if (part !== null) {
      if (part.partOfHost === null) throw new RangeError('this split run divided its nodes when it was split: it cannot take new ones');
      this.nodePart.push(part.partOfHost(placement.host));
    }
    this.traceHash.addNode(index);
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
    if (!this.runs(node)) {
      // Another part runs it: here it is only online, for the oracle and the judging of lookups.
      this.oracle.add(node.peer);
      this.hashMembership(1, node);
      return;
    }
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
    if (!node.online) return;
    // In a split run, the part that runs the node says its goodbyes; the others see it go.
    if (node.dht !== null) {
      node.dht.leave(this.clockMs);
      this.flush(node, 'maintenance');
    }
    this.stop(node);
    this.hashMembership(3, node);
  }

  private stop(node: SimNode): void {
    // Only the part that runs a node keeps its snapshot for a restart.
    if (node.dht !== null) node.snapshot = node.dht.snapshot();
    node.dht = null;
    node.online = false;
    node.joined = false;
    node.generation++;
    node.scheduledWakeMs = Infinity;
    node.onlineMsTotal += this.clockMs - node.onlineSinceMs;
    this.changeOnlineCount(-1);
    this.network.disconnect(node);
    node.setupRoundTrips = null;
    this.oracle.remove(node.peer);
  }

  onlineNodes(): SimNode[] {
    return this.nodes.filter((node) => node.online);
  }

  // ---- parts of a split run -------------------------------------------------------------------

  /**
   * From now on, runs only the nodes of `part.self`: events for other nodes are left to the
   * worlds that run them (every part built the same world up to here), and messages to them go
   * out through `part.send`.
   */
  runOnly(part: WorldPart): void {
    if (part.partOf.length < this.nodes.length) throw new RangeError('the partition does not cover every node');
    this.part = part;
    for (let index = 0; index < this.nodes.length; index++) this.nodePart.push(part.partOf[index]);
    // The other parts' nodes keep their identity, place and online state here (the oracle and the
    // judging of lookups read those), but their protocol state is never read again: let it go, so
    // that each thread's heap, and each of its full collections, holds its own part only.
    for (const node of this.nodes) {
      if (this.nodePart[node.index] !== part.self) node.dht = null;
    }
  }

  /** Whether this world runs the node: always, unless it runs one part of a split run. */
  runs(node: SimNode): boolean {
    return this.part === null || this.nodePart[node.index] === this.part.self;
  }

  /** The part of every node, by index (null when the run is not split). */
  partOfNodes(): Uint8Array | null {
    return this.part === null ? null : Uint8Array.from(this.nodePart);
  }

  /** The index of the node whose own PeerRef this is, or -1 (part-records.ts names contacts so). */
  indexOf(peer: PeerRef): number {
    const index = Number(peer.address);
    return this.peers[index] === peer ? index : -1;
  }

  /** The PeerRef of node `index`. */
  peerAt(index: number): PeerRef | undefined {
    return this.peers[index];
  }

  /** Queues a message that a node of another part sent to one of ours. */
  receiveFromPart(delivery: CrossPartDelivery): void {
    const destination = this.nodes[delivery.to];
    const sender = this.nodes[delivery.from];
    if (destination === undefined || sender === undefined || !this.runs(destination)) {
      throw new RangeError(`a delivery from another part to node ${delivery.to}, which this part does not run`);
    }
    if (delivery.atMs <= this.clockMs) throw new RangeError(`a delivery from another part at ${delivery.atMs} ms, not after now (${this.clockMs} ms)`);
    let message = delivery.message;
    let bytes = delivery.bytes;
    if (this.config.wire) {
      // Decoded on delivery, as every message of a wire run is.
      bytes ??= encodeMessage(message as Message);
      message = null;
    } else if (message === null) {
      const decoded = decodeMessage(bytes as Uint8Array);
      if (!decoded.ok) {
        this.traffic.undecodable++;
        return;
      }
      message = this.sharedPeers(decoded.message);
      bytes = null;
    }
    this.enqueue(new SimEvent(delivery.atMs, delivery.order, EventType.deliver, delivery.to, 0, sender.peer, message, bytes, delivery.traffic, null));
  }

  /**
   * The message with every contact it names replaced by that node's own PeerRef, as a message
   * passed within one world carries them: the nodes then share one object per peer, as they do
   * when the run is not split (memory, and idEquals's fast path).
   */
  private sharedPeers(message: Message): Message {
    if (message.kind !== 'nodes') return message;
    const closer = message.closer.map((peer) => {
      const node = this.nodes[Number(peer.address)];
      return node !== undefined && node.peer.address === peer.address && idEquals(node.peer, peer) ? node.peer : peer;
    });
    return { ...message, closer };
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
    this.enqueue(new SimEvent(Math.max(Math.round(atMs), this.clockMs), eventOrder(-1, this.callsQueued++), EventType.call, -1, 0, null, null, null, 'user', call));
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
    const part = this.part;
    // Another part runs this node (an event queued before the run was split).
    if (part !== null && event.node >= 0 && this.nodePart[event.node] !== part.self) return;
    this.eventsProcessed++;
    const hash = this.traceHash;
    hash.addTime(event.node, event.atMs);
    hash.addInt(event.node, event.type);
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
        this.callsProcessed++;
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
    hash.addInt(event.node, MessageCode[message.kind]);
    hash.addInt(event.node, 'requestId' in message ? message.requestId : 0);
    // With proximity, what a node learns includes the sender's coordinate: a run that gave it
    // another (a split run's records, say) must not pass for the same run.
    if (this.withCoordinates && message.kind !== 'leave' && message.coordinate !== undefined) {
      hash.addInt(event.node, bitsOf(message.coordinate.x));
      hash.addInt(event.node, bitsOf(message.coordinate.y));
    }
    const fromIndex = Number(from.address);
    if (!node.online || node.dht === null || !this.network.canReach(fromIndex, node.index)) {
      this.traffic.undeliverable++;
      return;
    }
    let setupInRoundTrip = false;
    if (this.withConnections) {
      this.network.accept(node, this.nodes[fromIndex]);
      setupInRoundTrip = node.setupRoundTrips !== null && isReply(message) && node.setupRoundTrips.answered(message.requestId);
    }
    if (this.traceSink) this.traceSink(`${formatTime(event.atMs)} ${from.address}->${node.index} ${describe(message)}`);
    node.dht.receive(this.clockMs, from, message, setupInRoundTrip);
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
      this.enqueue(new SimEvent(atMs, eventOrder(node.index, node.queued++), EventType.wake, node.index, node.generation, null, null, null, 'maintenance', null));
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
    const arriveMs = this.network.transmit(this.clockMs, from, destination, sizeBytes, this.lossy ? this.linkRandomOf(from) : null);
    if (arriveMs === LOST) return;
    if (this.withConnections && this.network.lastOpenedConnection && isRequest(message)) {
      from.setupRoundTrips ??= new SetupRoundTrips();
      from.setupRoundTrips.sent(message.requestId);
    }
    const atMs = Math.max(this.clockMs, Math.round(arriveMs));
    const order = eventOrder(from.index, from.queued++);
    const part = this.part;
    if (part !== null && this.nodePart[index] !== part.self) {
      part.send({ atMs, to: index, from: from.index, order, traffic, message: bytes ? null : message, bytes }, this.nodePart[index]);
      return;
    }
    this.enqueue(new SimEvent(atMs, order, EventType.deliver, index, 0, from.peer, bytes ? null : message, bytes, traffic, null));
  }

  /** Each sender draws its losses from its own stream, so they do not depend on other senders' order. */
  private linkRandomOf(node: SimNode): Prng {
    node.linkRandom ??= this.linkStreams.stream(node.index);
    return node.linkRandom;
  }

  private hashMembership(change: number, node: SimNode): void {
    this.traceHash.addInt(node.index, change);
    this.traceHash.addTime(node.index, this.clockMs);
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
