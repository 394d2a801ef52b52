/**
 * Opens a stream of a request protocol to a peer: on the connection we have, or by dialling the
 * multiaddrs given (each with the peer id at its end, so libp2p checks who answers), through the
 * first-stream gate (first-stream-gate.ts). Shared by one-request streams (request-client.ts) and
 * request channels (channel-pool.ts).
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { CODE_P2P, type Multiaddr } from '@multiformats/multiaddr';
import { openThroughGate } from './first-stream-gate.ts';

export interface RequestTarget {
  readonly peerId: PeerId | string;
  /** Where to dial when we have no connection to the peer; by peer id (the peer store) when absent. */
  readonly multiaddrs?: readonly Multiaddr[];
}

export interface OpenStreamOptions {
  /** Allow relayed (limited) connections. */
  readonly runOnLimitedConnection: boolean;
  /**
   * False writes the protocol name with the first bytes we send: one round trip less, for a stream
   * whose first write comes at once. True waits for the remote to accept the protocol, so a peer
   * that does not speak it fails the open (UnsupportedProtocolError) rather than a later read.
   */
  readonly negotiateFully: boolean;
}

export function openRequestStream(libp2p: Libp2p, target: RequestTarget, protocol: string, options: OpenStreamOptions, signal: AbortSignal): Promise<Stream> {
  const peerId = typeof target.peerId === 'string' ? peerIdFromString(target.peerId) : target.peerId;
  const connected = (): boolean => libp2p.getConnections(peerId).some((connection) => connection.status === 'open');
  const multiaddrs = target.multiaddrs ?? [];
  const openStream = (): Promise<Stream> => {
    const dialTarget = connected() || multiaddrs.length === 0 ? peerId : multiaddrs.map((address) => withPeerSuffix(address, peerId));
    return libp2p.dialProtocol(dialTarget, protocol, { signal, runOnLimitedConnection: options.runOnLimitedConnection, negotiateFully: options.negotiateFully });
  };
  return openThroughGate(libp2p, peerId, connected, openStream, signal);
}

/** The multiaddr with /p2p/<peer id> at its end, so libp2p checks who answers; a different peer id there is refused. */
function withPeerSuffix(address: Multiaddr, peerId: PeerId): Multiaddr {
  const last = address.getComponents().at(-1);
  if (last?.code !== CODE_P2P) return address.encapsulate(`/p2p/${peerId.toString()}`);
  if (last.value !== peerId.toString()) throw new RangeError(`${address.toString()} names another peer than ${peerId.toString()}`);
  return address;
}
