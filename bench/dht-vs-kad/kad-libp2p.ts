/**
 * A libp2p node running `@libp2p/kad-dht` for the benchmark. Its stack is peergrid's (TCP, Noise,
 * Yamux, identify, ping, the same connection-manager settings as a peergrid node's defaults), with
 * kad-dht as a LAN DHT server: protocol /ipfs/lan/kad/1.0.0, `clientMode: false`, and the mapper
 * that keeps private addresses — the default (WAN) mapper drops loopback addresses, so on
 * 127.0.0.1 nobody could dial anybody. Everything else is kad-dht's default (k = 20, alpha = 10,
 * disjoint paths = alpha), as its users get it.
 */
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import { kadDHT, removePublicAddressesMapper, type KadDHT } from '@libp2p/kad-dht';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import { defaultNodeConfig } from '../../src/runtime/node-config.ts';

export const KAD_LAN_PROTOCOL = '/ipfs/lan/kad/1.0.0';

export type KadService = KadDHT & { readonly routingTable: { readonly size: number } };

export interface KadNode {
  readonly libp2p: Libp2p;
  readonly dht: KadService;
}

export async function startKadNode(listen: readonly string[] = ['/ip4/127.0.0.1/tcp/0']): Promise<KadNode> {
  const libp2p = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: [...listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: defaultNodeConfig.connectionsMax,
      inboundConnectionThreshold: defaultNodeConfig.inboundConnectionsPerHostPerSecondMax,
      maxIncomingPendingConnections: defaultNodeConfig.inboundPendingConnectionsMax,
      dialTimeout: defaultNodeConfig.dialTimeoutMs,
    },
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({ protocol: KAD_LAN_PROTOCOL, peerInfoMapper: removePublicAddressesMapper, clientMode: false }),
    },
  });
  return { libp2p, dht: libp2p.services.dht as KadService };
}
