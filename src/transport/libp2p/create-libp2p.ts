/**
 * The js-libp2p 3 node a peergrid node runs on: TCP, Noise, Yamux, identify and ping. Relays, hole
 * punching, WebSockets, AutoNAT and mDNS are later steps of issue 3 (docs/NODE.md).
 */
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import type { Ed25519PrivateKey, Libp2p } from '@libp2p/interface';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';

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
  readonly dialTimeoutMs: number;
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
      dialTimeout: options.dialTimeoutMs,
    },
    services: { identify: identify(), ping: ping() },
  });
}
