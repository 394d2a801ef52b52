/**
 * Drivers for the tests of DhtNode: a tiny hand-written network that moves each node's outgoing
 * messages to their addressees after a fixed delay and ticks every node when its nextWakeAtMs
 * comes, with scripted peers (a function that answers, or nothing: a dead peer) beside real nodes.
 * It keeps a log of every message sent and every event emitted, so a test can ask what happened.
 */
import type { DhtConfig } from '../../src/core/config.ts';
import { DhtNode } from '../../src/core/dht-node.ts';
import { idFromBytes, idToHex, randomId, type Id } from '../../src/core/id.ts';
import type { Message, Reply, Request } from '../../src/core/messages.ts';
import { MinHeap } from '../../src/core/min-heap.ts';
import type { DhtEvent, Joined, LookupDone, NodeSnapshot, Outgoing, PutDone, TrafficClass } from '../../src/core/node-io.ts';
import { peerRef, type PeerRef } from '../../src/core/peer.ts';
import type { Random } from '../../src/core/random.ts';
import { Prng } from '../../src/sim/prng.ts';

/**
 * A small configuration: k = 4, α = 2, b = 1, the strict finish rule, probing off unless a test
 * turns it on. Every field is spelled out, so a change of the defaults does not change the tests.
 */
export const smallConfig: DhtConfig = {
  k: 4,
  alpha: 2,
  bitsPerDigit: 1,
  relaxedSplitting: true,
  proximity: false,
  eviction: 'ping-first',
  lookupFinish: 'strict',
  maintenanceLookupFinish: 'strict',
  joinRefresh: 'lookups',
  lookupQueriesMax: 100,
  lookupDurationMaxMs: 30_000,
  rtoInitialMs: 1000,
  rtoMinMs: 50,
  rtoMaxMs: 5000,
  requestTimeoutRtoMultiple: 3,
  requestTimeoutMinMs: 1000,
  connectionSetupRtts: 0,
  failuresToEvict: 2,
  livenessCheckAfterMs: 5 * 60_000,
  bucketRefreshIntervalMs: 60 * 60_000,
  republishIntervalMs: 60 * 60_000,
  publisherRepublishIntervalMs: 24 * 60 * 60_000,
  valueTtlMsDefault: 24 * 60 * 60_000,
  neighbourhoodProbeIntervalMs: 0,
  maintenanceIntervalMs: 60_000,
  refreshesPerMaintenanceMax: 8,
};

export function config(overrides: Partial<DhtConfig> = {}): DhtConfig {
  return { ...smallConfig, ...overrides };
}

/** A node with a seeded Random, constructed at `nowMs`. */
export function makeNode(self: PeerRef, seed: number, overrides: Partial<DhtConfig> = {}, nowMs = 0, snapshot?: NodeSnapshot): DhtNode {
  return new DhtNode(config(overrides), { self, random: Prng.fromSeed(seed) }, nowMs, snapshot);
}

/** Distinct random peers with addresses `${prefix}${i}`. */
export function randomPeers(count: number, random: Random, prefix = 'n'): PeerRef[] {
  const seen = new Set<string>();
  const out: PeerRef[] = [];
  while (out.length < count) {
    const id = randomId(random);
    const hex = idToHex(id);
    if (seen.has(hex)) continue;
    seen.add(hex);
    out.push(peerRef(id, `${prefix}${out.length}`));
  }
  return out;
}

/** The id with its last byte xored by `delta`: a near neighbour of `id` (they share 248+ bits). */
export function nearId(id: Id, delta: number): Id {
  const bytes = id.bytes.slice();
  bytes[31] ^= delta;
  return idFromBytes(bytes);
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Messages of one kind out of a batch of outgoing messages. */
export function ofKind<K extends Message['kind']>(outgoing: readonly Outgoing[], kind: K): (Outgoing & { message: Extract<Message, { kind: K }> })[] {
  return outgoing.filter((out) => out.message.kind === kind) as (Outgoing & { message: Extract<Message, { kind: K }> })[];
}

/** The reply a well-behaved peer would send to `request`, given what it answers to lookups. */
export function replyTo(request: Request, closer: readonly PeerRef[] = []): Reply {
  switch (request.kind) {
    case 'ping':
      return { kind: 'pong', requestId: request.requestId };
    case 'findNode':
    case 'findValue':
      return { kind: 'nodes', requestId: request.requestId, closer };
    case 'store':
      return { kind: 'stored', requestId: request.requestId, status: 0 };
  }
}

/** A scripted peer: given what it received, the messages it sends back (to the sender). */
export type Responder = (from: PeerRef, message: Message, nowMs: number) => Message | null;

export interface Sent {
  readonly atMs: number;
  readonly from: PeerRef;
  readonly to: PeerRef;
  readonly message: Message;
  readonly traffic: TrafficClass;
}

interface InFlight {
  readonly atMs: number;
  readonly sequence: number;
  readonly from: PeerRef;
  readonly to: PeerRef;
  readonly message: Message;
}

/**
 * The hand network. Every message takes `delayMs`; messages to an address with neither a node nor
 * a responder are dropped (a dead peer). Time only moves forward, in whole milliseconds.
 */
export class HandNet {
  nowMs: number;
  readonly delayMs: number;
  readonly nodes = new Map<string, DhtNode>();
  readonly responders = new Map<string, Responder>();
  /** Every message sent, by nodes and responders, in order. */
  readonly sent: Sent[] = [];
  /** Every event each node emitted (a restarted node is a new object, with a list of its own). */
  readonly events = new Map<DhtNode, DhtEvent[]>();
  /** Each time a node's nextWakeAtMs came out before the time of the call it had just handled (should stay empty). */
  readonly wakeInPast: string[] = [];
  dropped = 0;
  private readonly queue = new MinHeap<InFlight>();
  private sequence = 0;

  constructor(delayMs = 10, startMs = 0) {
    this.delayMs = delayMs;
    this.nowMs = startMs;
  }

  add(node: DhtNode): DhtNode {
    this.nodes.set(node.self.address, node);
    if (!this.events.has(node)) this.events.set(node, []);
    return node;
  }

  /** Takes a node off the network at once (a crash): messages to it are dropped from now on. */
  crash(node: DhtNode): void {
    this.nodes.delete(node.self.address);
  }

  respond(peer: PeerRef, responder: Responder): void {
    this.responders.set(peer.address, responder);
  }

  /** Runs a command on a node now and sends what it produced. */
  run<T>(node: DhtNode, command: (node: DhtNode, nowMs: number) => T): T {
    const result = command(node, this.nowMs);
    this.flush(node);
    return result;
  }

  eventsOf(node: DhtNode): DhtEvent[] {
    return this.events.get(node) ?? [];
  }

  lookupDone(node: DhtNode, operationId: number): LookupDone | undefined {
    return this.eventsOf(node).find((event): event is LookupDone => event.kind === 'lookupDone' && event.operationId === operationId);
  }

  putDone(node: DhtNode, operationId: number): PutDone | undefined {
    return this.eventsOf(node).find((event): event is PutDone => event.kind === 'putDone' && event.operationId === operationId);
  }

  sentBy(peer: PeerRef, sinceMs = -Infinity): Sent[] {
    return this.sent.filter((entry) => entry.from.address === peer.address && entry.atMs >= sinceMs);
  }

  /** Processes deliveries and wake-ups up to and including `endMs`, then sets the clock there. */
  runUntil(endMs: number): void {
    this.runWhile(() => true, endMs);
    if (endMs > this.nowMs) this.nowMs = endMs;
  }

  /** Processes deliveries and wake-ups while `condition()` holds, up to `limitMs`. Returns whether the condition went false. */
  runWhile(condition: () => boolean, limitMs: number): boolean {
    while (condition()) {
      const atMs = this.nextAtMs();
      if (atMs > limitMs) return false;
      this.nowMs = Math.max(this.nowMs, atMs);
      this.step();
    }
    return true;
  }

  /** Runs until `node` has emitted an event matching `match`, at most until `limitMs`. */
  runUntilEvent<E extends DhtEvent>(node: DhtNode, match: (event: DhtEvent) => event is E, limitMs: number): E | undefined {
    const found = (): E | undefined => this.eventsOf(node).find(match);
    this.runWhile(() => found() === undefined, limitMs);
    return found();
  }

  private nextAtMs(): number {
    let atMs = this.queue.peek()?.atMs ?? Infinity;
    for (const node of this.nodes.values()) atMs = Math.min(atMs, node.nextWakeAtMs());
    return atMs;
  }

  private step(): void {
    const now = this.nowMs;
    for (let next = this.queue.peek(); next !== undefined && next.atMs <= now; next = this.queue.peek()) {
      this.queue.pop();
      this.deliver(next);
    }
    for (const node of this.nodes.values()) {
      if (node.nextWakeAtMs() <= now) {
        node.tick(now);
        this.flush(node);
      }
    }
  }

  private deliver(item: InFlight): void {
    const node = this.nodes.get(item.to.address);
    if (node !== undefined) {
      node.receive(this.nowMs, item.from, item.message);
      this.flush(node);
      return;
    }
    const responder = this.responders.get(item.to.address);
    if (responder === undefined) {
      this.dropped++;
      return;
    }
    const reply = responder(item.from, item.message, this.nowMs);
    if (reply !== null) this.transmit(item.to, item.from, reply, 'reply');
  }

  /** Sends a message from outside (a scripted peer speaking first). */
  transmit(from: PeerRef, to: PeerRef, message: Message, traffic: TrafficClass = 'user'): void {
    this.sent.push({ atMs: this.nowMs, from, to, message, traffic });
    this.queue.push({ atMs: this.nowMs + this.delayMs, sequence: this.sequence++, from, to, message });
  }

  private flush(node: DhtNode): void {
    for (const out of node.takeMessages()) this.transmit(node.self, out.to, out.message, out.traffic);
    const events = this.events.get(node);
    if (events) events.push(...node.takeEvents());
    if (node.nextWakeAtMs() < this.nowMs) this.wakeInPast.push(`${node.self.address} at ${this.nowMs}: ${node.nextWakeAtMs()}`);
  }
}

/** Builds a network of `count` nodes joined one after another, each through the previous ones' first node. */
export function joinedNetwork(
  count: number, seed: number, overrides: Partial<DhtConfig> = {}, options: { delayMs?: number; spacingMs?: number; settleMs?: number } = {},
): { net: HandNet; nodes: DhtNode[]; peers: PeerRef[] } {
  const random = Prng.fromSeed(seed);
  const peers = randomPeers(count, random);
  const net = new HandNet(options.delayMs ?? 10);
  const nodes: DhtNode[] = [];
  const spacingMs = options.spacingMs ?? 200;
  peers.forEach((peer, index) => {
    const node = net.add(makeNode(peer, seed * 1000 + index, overrides, net.nowMs));
    nodes.push(node);
    net.run(node, (n, now) => n.join(now, index === 0 ? [] : [peers[Math.floor(random.nextFloat() * index)]]));
    net.runUntil(net.nowMs + spacingMs);
  });
  net.runUntil(net.nowMs + (options.settleMs ?? 5_000));
  return { net, nodes, peers };
}

/** Makes `node` hear a PING from each peer at `nowMs`, so each becomes a proven contact, and drops the pongs. */
export function meet(node: DhtNode, peers: readonly PeerRef[], nowMs: number): void {
  for (const peer of peers) node.receive(nowMs, peer, { kind: 'ping', requestId: 0 });
  node.takeMessages();
}

export interface Timed {
  readonly atMs: number;
  readonly out: Outgoing;
}

/** Ticks a lone node at each nextWakeAtMs up to `endMs` (nobody answers); returns what it sent, with times. */
export function tickUntil(node: DhtNode, endMs: number, sent: Timed[] = []): Timed[] {
  for (let atMs = node.nextWakeAtMs(); atMs <= endMs; atMs = node.nextWakeAtMs()) {
    node.tick(atMs);
    for (const out of node.takeMessages()) sent.push({ atMs, out });
  }
  return sent;
}

export function isLookupDone(operationId: number): (event: DhtEvent) => event is LookupDone {
  return (event): event is LookupDone => event.kind === 'lookupDone' && event.operationId === operationId;
}

export function isPutDone(operationId: number): (event: DhtEvent) => event is PutDone {
  return (event): event is PutDone => event.kind === 'putDone' && event.operationId === operationId;
}

export function isJoined(operationId: number): (event: DhtEvent) => event is Joined {
  return (event): event is Joined => event.kind === 'joined' && event.operationId === operationId;
}
