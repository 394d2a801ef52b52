/**
 * The transport contract (src/transport/transport.ts) on simulated links: a fabric of SimTransports
 * sharing one virtual clock, one event queue and one SimNetwork (the simulator's latency model,
 * loss, partitions, connection set-up and bandwidth). Every message goes through the real wire
 * codec, as on libp2p, so what arrives is what was decoded.
 *
 * The World (../world.ts) drives DhtNodes directly rather than through this, because at 10^5 nodes
 * every indirection on the hot path costs; this fabric exists so that the same compliance suite runs
 * against the libp2p transport and a simulated one, and for shells that want a deterministic
 * network under the Transport contract. Time moves only when the owner calls `runUntil` or `step`.
 *
 * A message to an address nobody holds (a node that closed, or never was) is reported
 * undeliverable one round trip later, as a refused TCP connection would be. A message lost or cut
 * by a partition is not reported: silence, as on a real network.
 */
import type { Id } from '../../core/id.ts';
import { isReply, isRequest, type Message } from '../../core/messages.ts';
import { MinHeap, type Scheduled } from '../../core/min-heap.ts';
import { peerRef, type PeerRef } from '../../core/peer.ts';
import type { Random } from '../../core/random.ts';
import { SetupRoundTrips } from '../../transport/setup-round-trips.ts';
import type { Transport, TransportHandlers, TransportStats } from '../../transport/transport.ts';
import { decodeMessage, encodeMessage } from '../../wire/codec.ts';
import type { Endpoint } from '../network.ts';
import { LOST, type SimNetwork } from '../network.ts';

interface FabricEvent extends Scheduled {
  readonly run: () => void;
}

/** Addresses in the fabric: `sim:<index>`. */
const ADDRESS_PREFIX = 'sim:';

export class SimFabric {
  readonly network: SimNetwork;
  private readonly random: Random;
  private readonly queue = new MinHeap<FabricEvent>();
  private readonly transports: SimTransport[] = [];
  private clockMs = 0;
  private sequence = 0;

  constructor(network: SimNetwork, random: Random) {
    this.network = network;
    this.random = random;
  }

  get nowMs(): number {
    return this.clockMs;
  }

  /** Events waiting. */
  get pending(): number {
    return this.queue.size;
  }

  /** A new transport on the fabric, for a node with id `id`, placed by the latency model. */
  add(id: Id): SimTransport {
    const index = this.transports.length;
    const endpoint: Endpoint = {
      index, placement: this.network.latency.place(this.random), generation: 0, uplinkFreeAtMs: 0, connections: null,
    };
    const transport = new SimTransport(this, peerRef(id, `${ADDRESS_PREFIX}${index}`), endpoint);
    this.transports.push(transport);
    return transport;
  }

  /** Runs every event due up to and including `untilMs`, then sets the clock there. */
  runUntil(untilMs: number): void {
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || next.atMs > untilMs) break;
      this.step();
    }
    if (untilMs > this.clockMs) this.clockMs = untilMs;
  }

  /** Runs the next event; false when there is none. */
  step(): boolean {
    const next = this.queue.pop();
    if (next === undefined) return false;
    this.clockMs = next.atMs;
    next.run();
    return true;
  }

  /** @internal Schedules `run` at `atMs` (not before now). */
  schedule(atMs: number, run: () => void): void {
    this.queue.push({ atMs: Math.max(this.clockMs, Math.round(atMs)), sequence: this.sequence++, run });
  }

  /** @internal The transport at `address`, open or closed; undefined when there never was one. */
  resolve(address: string): SimTransport | undefined {
    if (!address.startsWith(ADDRESS_PREFIX)) return undefined;
    const index = Number(address.slice(ADDRESS_PREFIX.length));
    const transport = Number.isInteger(index) ? this.transports[index] : undefined;
    return transport !== undefined && transport.self.address === address ? transport : undefined;
  }
}

export class SimTransport implements Transport {
  readonly self: PeerRef;
  /** @internal */
  readonly endpoint: Endpoint;
  private readonly fabric: SimFabric;
  /** Requests that paid a connection's set-up (--connect-rtts), until their replies come. */
  private readonly setupRoundTrips = new SetupRoundTrips();
  private handlers: TransportHandlers | null = null;
  private open = true;
  private readonly counters: TransportStats = {
    messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0, messagesDropped: 0, dialFailures: 0, penalties: 0, linksOpen: 0,
    messagesRefused: 0, streamsRefused: 0, peersBanned: 0,
  };

  constructor(fabric: SimFabric, self: PeerRef, endpoint: Endpoint) {
    this.fabric = fabric;
    this.self = self;
    this.endpoint = endpoint;
  }

  get isOpen(): boolean {
    return this.open;
  }

  bind(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  send(to: PeerRef, message: Message): void {
    if (!this.open) {
      this.counters.messagesDropped++;
      return;
    }
    const fabric = this.fabric;
    const destination = fabric.resolve(to.address);
    if (destination === undefined || destination === this || !destination.isOpen) {
      // A closed node's host refuses the connection; an address nobody ever held fails at once.
      this.refused(to, message, destination === undefined || destination === this ? null : destination.endpoint);
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage(message);
    } catch {
      this.refused(to, message, null);
      return;
    }
    this.counters.messagesSent++;
    this.counters.bytesSent += bytes.length;
    const arriveMs = fabric.network.transmit(fabric.nowMs, this.endpoint, destination.endpoint, bytes.length + fabric.network.headerBytes);
    if (arriveMs === LOST) return;
    if (fabric.network.lastOpenedConnection && isRequest(message)) this.setupRoundTrips.sent(message.requestId);
    const from = this.self;
    const source = this.endpoint;
    fabric.schedule(arriveMs, () => {
      if (destination.isOpen) fabric.network.accept(destination.endpoint, source);
      destination.receive(from, bytes);
    });
  }

  penalize(_peer: PeerRef): void {
    // Nothing to score in the simulator: its peers are the protocol's own nodes.
  }

  stats(): TransportStats {
    return { ...this.counters };
  }

  /** Closes at once: nothing more is delivered to or sent from this transport. */
  async close(_flushTimeoutMs?: number): Promise<void> {
    this.open = false;
  }

  /** @internal A message's bytes arrive. */
  receive(from: PeerRef, bytes: Uint8Array): void {
    if (!this.open) return;
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) {
      // Our own encoder wrote these bytes, so this is a bug; it is reported, never thrown.
      this.counters.penalties++;
      this.handlers?.onPenalty({ remote: from.address, id: from, reason: `undecodable message: ${decoded.error}` });
      return;
    }
    this.counters.messagesReceived++;
    this.counters.bytesReceived += bytes.length;
    const message = decoded.message;
    this.handlers?.onMessage(from, message, isReply(message) && this.setupRoundTrips.answered(message.requestId));
  }

  /** Reports a message that could not leave: after a round trip when there was a host to refuse it, else at once (but never from inside send). */
  private refused(to: PeerRef, message: Message, host: Endpoint | null): void {
    this.counters.messagesDropped++;
    this.counters.dialFailures++;
    const delayMs = host === null ? 0 : this.fabric.network.rttMs(this.endpoint, host);
    this.fabric.schedule(this.fabric.nowMs + delayMs, () => {
      if (this.open) this.handlers?.onUndeliverable(to, message);
    });
  }
}
