/**
 * Transports that hand messages to each other inside this process, a macrotask later (as a real
 * network would, never synchronously): to test the driver without libp2p.
 */
import { idFromBytes } from '../../src/core/id.ts';
import type { Message } from '../../src/core/messages.ts';
import { peerRef, type PeerRef } from '../../src/core/peer.ts';
import type { Transport, TransportHandlers, TransportStats } from '../../src/transport/transport.ts';

export class MemoryNetwork {
  private readonly transports = new Map<string, MemoryTransport>();

  /** A transport whose id is `fill` repeated 32 times and whose address is `memory:<fill>`. */
  add(fill: number): MemoryTransport {
    const self = peerRef(idFromBytes(new Uint8Array(32).fill(fill)), `memory:${fill}`);
    const transport = new MemoryTransport(self, this);
    this.transports.set(self.address, transport);
    return transport;
  }

  deliver(from: PeerRef, to: PeerRef, message: Message): boolean {
    const target = this.transports.get(to.address);
    if (target === undefined) return false;
    setImmediate(() => target.receive(from, message));
    return true;
  }

  remove(transport: MemoryTransport): void {
    this.transports.delete(transport.self.address);
  }
}

export class MemoryTransport implements Transport {
  readonly self: PeerRef;
  private readonly network: MemoryNetwork;
  private handlers: TransportHandlers | null = null;
  private readonly counters: TransportStats = {
    messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0, messagesDropped: 0, dialFailures: 0, penalties: 0, linksOpen: 0,
    messagesRefused: 0, streamsRefused: 0, peersBanned: 0,
  };

  constructor(self: PeerRef, network: MemoryNetwork) {
    this.self = self;
    this.network = network;
  }

  bind(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  send(to: PeerRef, message: Message): void {
    if (this.network.deliver(this.self, to, message)) {
      this.counters.messagesSent++;
      return;
    }
    // Nobody at that address: like a refused dial, reported a macrotask later, never from inside send.
    this.counters.messagesDropped++;
    setImmediate(() => this.handlers?.onUndeliverable(to, message));
  }

  penalize(_peer: PeerRef): void {
    this.counters.penalties++;
  }

  receive(from: PeerRef, message: Message): void {
    this.counters.messagesReceived++;
    this.handlers?.onMessage(from, message);
  }

  stats(): TransportStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    this.network.remove(this);
  }
}
