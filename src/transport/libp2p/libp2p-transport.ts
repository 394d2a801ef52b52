/**
 * The transport contract (../transport.ts) over a running js-libp2p 3 node: kernel messages as the
 * `/peergrid/kad/1.0.0` protocol (protocol.ts), one outbound link per peer (outbound-link.ts), and
 * every inbound stream read by inbound-stream.ts.
 *
 * The sender of every delivered message is the peer Noise authenticated; its kernel id is derived
 * from that peer's key (kernel-id.ts), never read from the message. Contacts in `nodes` replies are
 * checked the same way before the kernel sees them. We only dial a PeerRef whose id matches its
 * address's key, and libp2p checks that the peer answering a dial holds that key.
 */
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { Id } from '../../core/id.ts';
import { isReply, isRequest, type Message } from '../../core/messages.ts';
import type { PeerRef } from '../../core/peer.ts';
import { encodeMessage } from '../../wire/codec.ts';
import { Offence, PeerGuard, type Admission, type OffenceKind } from '../peer-guard.ts';
import { SetupRoundTrips } from '../setup-round-trips.ts';
import type { Transport, TransportHandlers, TransportStats } from '../transport.ts';
import { encodeFrame } from './frames.ts';
import { serveInboundStream } from './inbound-stream.ts';
import { kernelIdOfPeerId } from './kernel-id.ts';
import { LinkTiming, type LinkTimingObserver } from './link-timing.ts';
import { OutboundLink } from './outbound-link.ts';
import { dialMultiaddrs, peerRefFromAddress, type PeerAddress } from './peer-address.ts';
import { KAD_PROTOCOL, StreamLimits } from './protocol.ts';
import { orderForAnnouncement } from './reachability.ts';
import { VerifiedAddresses } from './verified-addresses.ts';

export interface Libp2pTransportOptions {
  /** How long opening a link (dial, Noise, Yamux, protocol negotiation) may take before its messages are dropped. */
  readonly dialTimeoutMs: number;
  /** Multiaddrs to put in our address instead of the ones libp2p listens on (e.g. behind a port mapping). */
  readonly announce?: readonly Multiaddr[];
  /**
   * Rate limits, scores and bans per remote peer. Pass the one libp2p's connection gater consults
   * (create-libp2p.ts `denyPeer`), so a banned peer cannot even connect; by default a private one.
   */
  readonly guard?: PeerGuard;
  /** The guard's clock; monotonic milliseconds. */
  readonly nowMs?: () => number;
  /** How long one inbound frame may take to arrive once it has begun. */
  readonly frameTimeoutMs?: number;
  /** Told how long links take to open and requests to be answered (link-timing.ts); nothing is timed without it. */
  readonly timing?: LinkTimingObserver;
  /**
   * Open our own link back to a peer as soon as it opens a stream to us (default true), rather
   * than when the first reply is ready: our protocol negotiation then overlaps theirs, and the
   * first request on a new connection is answered one round trip sooner (docs/BENCHMARKS.md,
   * `dht-vs-kad`). Whoever opens a stream to us sends requests, so the link is almost always needed.
   */
  readonly linkBackOnInbound?: boolean;
  /**
   * For experiments: how long to hold a message to a peer before sending it (emulated one-way
   * latency, runtime/emulated-latency.ts); messages go at once without it.
   */
  readonly holdMs?: (peerId: string) => number;
}

/** A frame of the largest kind arrives in well under a second on any working link; 10 s is generous. */
const FRAME_TIMEOUT_MS_DEFAULT = 10_000;

const textEncoder = new TextEncoder();

/** What a link hands back for a frame it could not send. */
interface SentMessage {
  readonly to: PeerRef;
  readonly message: Message;
}

export class Libp2pTransport implements Transport {
  readonly self: PeerRef;
  private readonly libp2p: Libp2p;
  private readonly options: Libp2pTransportOptions;
  /** Frame 0 of every link we open: our address; replaced when it changes (refreshAddress). */
  private hello: Uint8Array;
  private currentAddress: string;
  private readonly addresses = new VerifiedAddresses(StreamLimits.verifiedAddressesMax);
  readonly guard: PeerGuard;
  private readonly nowMs: () => number;
  private readonly timing: LinkTiming | null;
  /** Requests that left on a link still opening: their replies' round trips include its set-up. */
  private readonly setupRoundTrips = new SetupRoundTrips();
  /** Outbound links by peer id string, least recently used first. */
  private readonly links = new Map<string, OutboundLink<SentMessage>>();
  private handlers: TransportHandlers | null = null;
  private closed = false;
  private stopWatchingBans: () => void = () => {};
  private readonly counters: TransportStats = {
    messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0, messagesDropped: 0, dialFailures: 0, penalties: 0, linksOpen: 0,
    messagesRefused: 0, streamsRefused: 0, peersBanned: 0,
  };

  private constructor(libp2p: Libp2p, self: PeerRef, options: Libp2pTransportOptions) {
    this.libp2p = libp2p;
    this.self = self;
    this.options = options;
    this.guard = options.guard ?? new PeerGuard();
    this.nowMs = options.nowMs ?? (() => Math.floor(performance.now()));
    this.currentAddress = self.address;
    this.hello = encodeFrame(textEncoder.encode(self.address));
    this.timing = options.timing === undefined ? null : new LinkTiming(options.timing);
  }

  /** Registers the protocol on a started libp2p node whose key is Ed25519. */
  static async start(libp2p: Libp2p, options: Libp2pTransportOptions): Promise<Libp2pTransport> {
    const self = peerRefFromAddress({ peerId: libp2p.peerId, multiaddrs: reachableAt(libp2p, options) });
    if (!self.ok) throw new RangeError(`this node's key cannot give a kernel id: ${self.error}`);
    const transport = new Libp2pTransport(libp2p, self.value, options);
    transport.stopWatchingBans = transport.guard.onBan((remote) => transport.disconnectBanned(remote));
    await libp2p.handle(KAD_PROTOCOL, (stream, connection) => transport.onInboundStream(stream, connection), {
      maxInboundStreams: StreamLimits.streamsPerConnectionMax,
      maxOutboundStreams: StreamLimits.streamsPerConnectionMax,
      runOnLimitedConnection: StreamLimits.runOnLimitedConnection,
    });
    return transport;
  }

  /** Our address as our hello states it now: `self.address` at start, then as refreshAddress found it. */
  get address(): string {
    return this.currentAddress;
  }

  /**
   * Re-reads where libp2p says we can be reached (a relay reservation made or lost, an address
   * AutoNAT verified). When our address changed, later links say so in their hello, and the links
   * open now are closed after what they hold is sent, so every peer we talk to learns it with our
   * next message. The kernel id stays; only the address moves. Returns whether it changed.
   */
  refreshAddress(): boolean {
    if (this.closed) return false;
    const next = peerRefFromAddress({ peerId: this.libp2p.peerId, multiaddrs: reachableAt(this.libp2p, this.options) });
    if (!next.ok || next.value.address === this.currentAddress) return false;
    this.currentAddress = next.value.address;
    this.hello = encodeFrame(textEncoder.encode(next.value.address));
    const links = [...this.links.values()];
    this.links.clear();
    for (const link of links) void link.close(AbortSignal.timeout(this.options.dialTimeoutMs));
    return true;
  }

  bind(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  send(to: PeerRef, message: Message): void {
    const holdMs = this.options.holdMs;
    if (holdMs !== undefined) {
      const address = this.addresses.verify(to);
      const delayMs = address.ok ? holdMs(address.value.peerId.toString()) : 0;
      if (delayMs > 0) {
        setTimeout(() => this.sendNow(to, message), delayMs);
        return;
      }
    }
    this.sendNow(to, message);
  }

  private sendNow(to: PeerRef, message: Message): void {
    if (this.closed) {
      this.counters.messagesDropped++;
      return;
    }
    const address = this.addresses.verify(to);
    if (!address.ok || address.value.peerId.equals(this.libp2p.peerId)) {
      this.undeliverable([{ to, message }]);
      return;
    }
    let payload: Uint8Array;
    try {
      payload = encodeMessage(message);
    } catch {
      // The encoder refuses only messages our own code built wrongly; a node keeps running past one.
      this.undeliverable([{ to, message }]);
      return;
    }
    const link = this.linkTo(address.value);
    const linkOpen = link.state === 'open';
    this.timing?.sent(address.value.peerId.toString(), message, linkOpen ? 'open' : 'new');
    if (!linkOpen && isRequest(message)) this.setupRoundTrips.sent(message.requestId);
    link.send(encodeFrame(payload), { to, message });
  }

  stats(): TransportStats {
    return { ...this.counters, linksOpen: this.links.size, peersBanned: this.guard.stats.bans };
  }

  async close(flushTimeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatchingBans();
    const signal = AbortSignal.timeout(flushTimeoutMs);
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.allSettled(links.map((link) => link.close(signal)));
    await this.libp2p.unhandle(KAD_PROTOCOL).catch(() => {});
  }

  private linkTo(address: PeerAddress): OutboundLink<SentMessage> {
    const key = address.peerId.toString();
    const existing = this.links.get(key);
    if (existing !== undefined) {
      // Move it to the back: the map's order is the order of last use.
      this.links.delete(key);
      this.links.set(key, existing);
      return existing;
    }
    const target = dialMultiaddrs(address);
    const open = (): Promise<Stream> => this.libp2p.dialProtocol(target.length > 0 ? target : address.peerId, KAD_PROTOCOL, {
      signal: AbortSignal.timeout(this.options.dialTimeoutMs),
      runOnLimitedConnection: StreamLimits.runOnLimitedConnection,
    });
    const opened = this.timing?.linkOpening(this.libp2p.getConnections(address.peerId).length > 0 ? 'existing' : 'new');
    const link: OutboundLink<SentMessage> = new OutboundLink<SentMessage>(open, this.hello, {
      onOpened: opened,
      onFramesSent: (frames, bytes) => {
        this.counters.messagesSent += frames;
        this.counters.bytesSent += bytes;
      },
      onFramesDropped: (dropped) => this.undeliverable(dropped),
      onDialFailed: () => {
        this.counters.dialFailures++;
      },
      onProtocolViolation: (reason) => this.recordOffence(address.peerId, kernelIdOfPeerId(address.peerId), reason, Offence.malformed),
      onClosed: (closedLink) => {
        if (this.links.get(key) === closedLink) this.links.delete(key);
      },
    });
    this.links.set(key, link);
    if (this.links.size > StreamLimits.linksMax) {
      const [oldestKey, oldest] = this.links.entries().next().value as [string, OutboundLink<SentMessage>];
      this.links.delete(oldestKey);
      void oldest.close(AbortSignal.timeout(this.options.dialTimeoutMs));
    }
    return link;
  }

  private onInboundStream(stream: Stream, connection: Connection): void {
    if (this.closed || this.handlers === null) {
      stream.abort(new Error('peergrid kad: not serving'));
      return;
    }
    const remote = connection.remotePeer;
    const admission = this.guard.admitStream(remote.toString(), this.nowMs());
    if (admission !== 'admit') {
      this.counters.streamsRefused++;
      stream.abort(new Error(`peergrid kad: ${admission === 'banned' ? 'banned' : 'too many streams'}`));
      if (admission === 'banned') this.disconnect(remote);
      return;
    }
    if (this.options.linkBackOnInbound !== false && !this.links.has(remote.toString())) {
      // The connection it came on is open, so the peer id alone dials it; the hello that names its
      // addresses has not been read yet. The link is keyed by peer id, so replies use this one.
      this.linkTo({ peerId: remote, multiaddrs: [] });
    }
    serveInboundStream(stream, remote, {
      addresses: this.addresses,
      frameTimeoutMs: this.options.frameTimeoutMs ?? FRAME_TIMEOUT_MS_DEFAULT,
      admit: (from) => this.admitMessage(from),
      deliver: (from, message, frameBytes) => {
        if (this.closed) return;
        this.counters.messagesReceived++;
        this.counters.bytesReceived += frameBytes;
        this.timing?.received(remote.toString(), message);
        this.handlers?.onMessage(from, message, isReply(message) && this.setupRoundTrips.answered(message.requestId));
      },
      refused: () => {
        this.counters.messagesRefused++;
      },
      penalize: (from, id, reason, kind) => this.recordOffence(from, id, reason, kind),
    });
  }

  private admitMessage(remote: PeerId): Admission {
    const admission = this.guard.admitMessage(remote.toString(), this.nowMs());
    if (admission === 'banned') {
      this.counters.messagesRefused++;
      this.disconnect(remote);
    }
    return admission;
  }

  /**
   * Counts messages that never left and tells the node, after the current call returns (handlers
   * are never called from inside `send`), so its requests fail at once rather than at their RTO.
   */
  private undeliverable(dropped: readonly SentMessage[]): void {
    this.counters.messagesDropped += dropped.length;
    const handlers = this.handlers;
    if (handlers === null || this.closed) return;
    queueMicrotask(() => {
      if (this.closed) return;
      for (const { to, message } of dropped) handlers.onUndeliverable(to, message);
    });
  }

  /** Records an offence by `remote` and tells the node; a ban it brings cuts the peer off (disconnectBanned). */
  private recordOffence(remote: PeerId, id: Id | null, reason: string, kind: OffenceKind): void {
    this.counters.penalties++;
    this.handlers?.onPenalty({ remote: remote.toString(), id, reason });
    this.guard.penalize(remote.toString(), kind, this.nowMs());
  }

  /**
   * The kernel's complaint about a peer (a reply of the wrong kind, or from the wrong peer): scored
   * like the transport's own offences, without a second report to the node.
   */
  penalize(peer: PeerRef): void {
    const address = this.addresses.verify(peer);
    if (!address.ok) return;
    this.guard.penalize(address.value.peerId.toString(), Offence.protocol, this.nowMs());
  }

  /**
   * A peer just banned by the guard, for an offence on any protocol (the guard is shared with the
   * node's services): its connections are closed, or a peer banned for abusing the block exchange
   * would keep its connection, and with it its open streams and new ones, until they time out.
   */
  private disconnectBanned(remote: string): void {
    let peerId: PeerId;
    try {
      peerId = peerIdFromString(remote);
    } catch {
      return;
    }
    this.disconnect(peerId);
  }

  /** Closes every connection to a banned peer; the gater (if given the guard) refuses new ones. */
  private disconnect(remote: PeerId): void {
    const key = remote.toString();
    const link = this.links.get(key);
    if (link !== undefined) {
      this.links.delete(key);
      void link.close(AbortSignal.timeout(1000));
    }
    this.libp2p.hangUp(remote).catch(() => {});
  }
}

/** Where we can be reached: `announce` if given, else what libp2p announces, widest reach first. */
function reachableAt(libp2p: Libp2p, options: Libp2pTransportOptions): Multiaddr[] {
  if (options.announce !== undefined && options.announce.length > 0) return [...options.announce];
  return orderForAnnouncement(libp2p.getMultiaddrs());
}
