/**
 * The js-libp2p 3 node a peergrid node runs on (docs/NODE.md, "The libp2p stack"):
 *
 * - transports: TCP, WebSockets (/tcp/N/ws, for networks that pass only web traffic), and circuit
 *   relay v2, so relayed addresses can be dialled and listened on;
 * - Noise and Yamux on every connection; identify and ping;
 * - gossipsub, on which coordinators announce jobs to volunteers (runtime/compute/);
 * - AutoNAT, which asks peers to dial our public addresses back and verifies the ones that work;
 * - a relay server for others while we are publicly reachable (relay-server-service.ts), and relay
 *   reservations for ourselves while we are not (relay-reservations-service.ts);
 * - DCUtR, which tries to replace a relayed connection by a direct one (hole punching);
 * - mDNS on a LAN, whose finds are handed to the caller (the runtime offers them to the kernel);
 * - connection-manager limits and a connection gater for banned peers.
 */
import { noise } from '@chainsafe/libp2p-noise';
import { noiseCrypto } from './noise-crypto.ts';
import { withCorkedWrites } from './corked-writes.ts';
import { yamux } from '@chainsafe/libp2p-yamux';
import { autoNAT } from '@libp2p/autonat';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { dcutr } from '@libp2p/dcutr';
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { ConnectionGater, Ed25519PrivateKey, Libp2p, PeerDiscovery, PeerId, PeerInfo } from '@libp2p/interface';
import { mdns, type MulticastDNSComponents } from '@libp2p/mdns';
import { ping } from '@libp2p/ping';
import { prometheusMetrics } from '@libp2p/prometheus-metrics';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import type { Registry } from 'prom-client';
import { isCircuit } from './reachability.ts';
import { relayReservations } from './relay-reservations-service.ts';
import { relayServer, type RelayServerLimits } from './relay-server-service.ts';

/** 'auto': as reachability decides (the services' files say how); 'always'; 'never'. */
export type RelayMode = 'auto' | 'always' | 'never';

export interface RelayOptions {
  /** Serve as a relay for others. */
  readonly serve: RelayMode;
  /** Reserve slots on relays and announce the relayed addresses. */
  readonly use: RelayMode;
  /** Relays to hold a slot on when using them. */
  readonly reservations: number;
  /** How long AutoNAT may take to verify a public address before 'auto' reserves a relay anyway. */
  readonly reachabilityGraceMs: number;
  /** What we grant others when serving. */
  readonly limits: RelayServerLimits;
}

export interface Libp2pNodeOptions {
  readonly privateKey: Ed25519PrivateKey;
  /** Multiaddrs to listen on, e.g. /ip4/0.0.0.0/tcp/4100 or /ip4/0.0.0.0/tcp/4101/ws (port 0 picks a free one). */
  readonly listen: readonly string[];
  /**
   * Multiaddrs to give others instead of the listening ones (a port mapping, a public address):
   * in identify, relay reservations and mDNS, as in our PeerRef. Relayed addresses still come on top.
   */
  readonly announce?: readonly string[];
  readonly connectionsMax: number;
  /**
   * Inbound connections accepted per second from one host. libp2p's default of 5 resets
   * connections in a loopback devnet, where every peer shares one address.
   */
  readonly inboundConnectionsPerHostPerSecondMax: number;
  /**
   * Inbound connections still in their handshake at once. libp2p's default of 10 refuses the
   * 11th of a devnet's nodes dialling the bootstrap together.
   */
  readonly inboundPendingConnectionsMax: number;
  readonly dialTimeoutMs: number;
  /**
   * Peers to refuse: neither accepted (once Noise has said who they are) nor dialled, nor served
   * or reached as a relay. The peer guard's bans (../peer-guard.ts), looked up by peer id string.
   */
  readonly denyPeer?: (peerId: string) => boolean;
  /** Where libp2p's own Prometheus metrics go (connections, streams, bytes, dials); none when absent. */
  readonly metricsRegistry?: Registry;
  /** Relays; by default both 'auto' (which does nothing on loopback, where tests and benchmarks run). */
  readonly relay?: RelayOptions;
  /** DCUtR on relayed connections (default on). */
  readonly holePunching?: boolean;
  /** Runs mDNS and hands each peer it finds here; no mDNS when absent. */
  readonly onLanPeer?: (peer: PeerInfo) => void;
}

/** The relay defaults; config.json's `relay` starts from these (runtime/relay-config.ts). */
export const defaultRelayOptions: RelayOptions = {
  serve: 'auto',
  use: 'auto',
  // Two relays survive the loss of one without a gap in reachability.
  reservations: 2,
  // AutoNAT verifies a public address once a peer has dialled it back, within seconds of the first
  // connections; a minute is generous and still leaves a node behind a NAT unreachable only briefly.
  reachabilityGraceMs: 60_000,
  limits: {
    // libp2p's default of 15 is sized for a few browsers; a public node of a grid may relay for
    // many home and lab machines, and a reservation costs only a connection until it is used.
    reservationsMax: 64,
    // go-libp2p's default duration; DCUtR should have replaced the connection long before.
    connectionDurationMsMax: 2 * 60_000,
    // go-libp2p's 128 KiB would not carry two of our largest messages (64 KiB values); 1 MiB carries
    // thousands of lookup messages, and a cut connection is simply opened again.
    connectionBytesMax: 1024 * 1024,
  },
};

/** Creates and starts the node. */
export async function startLibp2pNode(options: Libp2pNodeOptions): Promise<Libp2p> {
  const relay = options.relay ?? defaultRelayOptions;
  const announce = options.announce ?? [];
  return createLibp2p({
    privateKey: options.privateKey,
    addresses: {
      listen: [...options.listen],
      appendAnnounce: [...announce],
      announceFilter: announceFilter(announce),
    },
    transports: [tcp(), webSockets(), circuitRelayTransport()],
    // Each send on a TCP connection written at once (corked-writes.ts).
    connectionEncrypters: [withCorkedWrites(noise({ crypto: noiseCrypto }))],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: options.connectionsMax,
      inboundConnectionThreshold: options.inboundConnectionsPerHostPerSecondMax,
      maxIncomingPendingConnections: options.inboundPendingConnectionsMax,
      dialTimeout: options.dialTimeoutMs,
    },
    connectionGater: options.denyPeer === undefined ? {} : gaterDenying(options.denyPeer),
    ...(options.metricsRegistry === undefined ? {} : { metrics: prometheusMetrics({ registry: options.metricsRegistry }) }),
    ...(options.onLanPeer === undefined ? {} : { peerDiscovery: [lanDiscovery(options.onLanPeer)] }),
    services: {
      identify: identify(),
      ping: ping(),
      // Job adverts (issue 5: runtime/compute/): signed by their coordinator, dropped with no one to
      // hear them rather than failing the publish.
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false }),
      autoNAT: autoNAT(),
      ...(options.holePunching === false ? {} : { dcutr: dcutr() }),
      ...(relay.serve === 'never' ? {} : { relayServer: relayServer(relay.serve, relay.limits) }),
      ...(relay.use === 'never' ? {} : {
        relayReservations: relayReservations({ mode: relay.use, reservations: relay.reservations, graceMs: relay.reachabilityGraceMs }),
      }),
    },
  });
}

/**
 * With `announce` set, others are given those addresses instead of the listening ones, and the
 * relayed addresses of our reservations besides (libp2p's own `announce` would drop those).
 */
function announceFilter(announce: readonly string[]): ((addresses: Multiaddr[]) => Multiaddr[]) | undefined {
  if (announce.length === 0) return undefined;
  const announced = announce.map((text) => multiaddr(text));
  return (addresses) => addresses.filter((address) => isCircuit(address) || announced.some((own) => own.equals(withoutPeer(address, own))));
}

/** `address` cut to the length of `like` (libp2p appends /p2p/<our id>; the configured address may not). */
function withoutPeer(address: Multiaddr, like: Multiaddr): Multiaddr {
  const components = address.getComponents();
  const likeLength = like.getComponents().length;
  return components.length > likeLength ? multiaddr(components.slice(0, likeLength)) : address;
}

/**
 * Our own mDNS service name, so that only peergrid nodes answer: other libp2p software on the LAN
 * (IPFS desktops) answers libp2p's default `_p2p._udp.local`, and would be offered to the kernel
 * as contacts that do not speak its protocol.
 */
export const MDNS_SERVICE_TAG = '_peergrid._udp.local';

/** mDNS (libp2p adds what it finds to its peer store as usual); every peer it finds is also handed on. */
function lanDiscovery(onPeer: (peer: PeerInfo) => void): (components: MulticastDNSComponents) => PeerDiscovery {
  return (components) => {
    const discovery = mdns({ serviceTag: MDNS_SERVICE_TAG })(components);
    discovery.addEventListener('peer', (event) => onPeer(event.detail));
    return discovery;
  };
}

function gaterDenying(denyPeer: (peerId: string) => boolean): ConnectionGater {
  const denies = (peerId: PeerId): boolean => denyPeer(peerId.toString());
  return {
    denyDialPeer: denies,
    denyInboundEncryptedConnection: denies,
    denyOutboundEncryptedConnection: denies,
    denyInboundRelayReservation: denies,
    // Relaying for a banned peer, or being reached by one through a relay.
    denyOutboundRelayedConnection: (source, destination) => denies(source) || denies(destination),
    denyInboundRelayedConnection: (_relay, remote) => denies(remote),
  };
}
