/**
 * The js-libp2p 3 node a peergrid node runs on: TCP, Noise, Yamux, identify and ping. Relays, hole
 * punching, WebSockets, AutoNAT and mDNS are later steps of issue 3 (docs/NODE.md).
 */
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import type { ConnectionGater, Ed25519PrivateKey, Libp2p, PeerId } from '@libp2p/interface';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { prometheusMetrics } from '@libp2p/prometheus-metrics';
import { createLibp2p } from 'libp2p';
import type { Registry } from 'prom-client';

export interface Libp2pNodeOptions {
  readonly privateKey: Ed25519PrivateKey;
  /** Multiaddrs to listen on, e.g. /ip4/0.0.0.0/tcp/4100 (port 0 picks a free one). */
  readonly listen: readonly string[];
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
   * Peers to refuse: neither accepted (once Noise has said who they are) nor dialled. The peer
   * guard's bans (../peer-guard.ts), looked up by peer id string.
   */
  readonly denyPeer?: (peerId: string) => boolean;
  /** Where libp2p's own Prometheus metrics go (connections, streams, bytes, dials); none when absent. */
  readonly metricsRegistry?: Registry;
}

/** Creates and starts the node. */
export async function startLibp2pNode(options: Libp2pNodeOptions): Promise<Libp2p> {
  return createLibp2p({
    privateKey: options.privateKey,
    addresses: { listen: [...options.listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: options.connectionsMax,
      inboundConnectionThreshold: options.inboundConnectionsPerHostPerSecondMax,
      maxIncomingPendingConnections: options.inboundPendingConnectionsMax,
      dialTimeout: options.dialTimeoutMs,
    },
    connectionGater: options.denyPeer === undefined ? {} : gaterDenying(options.denyPeer),
    ...(options.metricsRegistry === undefined ? {} : { metrics: prometheusMetrics({ registry: options.metricsRegistry }) }),
    services: { identify: identify(), ping: ping() },
  });
}

function gaterDenying(denyPeer: (peerId: string) => boolean): ConnectionGater {
  const denies = (peerId: PeerId): boolean => denyPeer(peerId.toString());
  return {
    denyDialPeer: denies,
    denyInboundEncryptedConnection: denies,
    denyOutboundEncryptedConnection: denies,
  };
}
