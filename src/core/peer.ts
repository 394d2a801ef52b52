/**
 * A reference to a peer: its node id and the opaque address the transport dials it by
 * (a libp2p peer id and multiaddrs on a real node, a host index in the simulator).
 *
 * A PeerRef extends Id, so a peer can be passed wherever an id is compared. PeerRefs are immutable
 * and may be shared between nodes (the simulator hands the same object around); mutable per-peer
 * state lives in the routing table, never here.
 */
import { idFromBytes, idShort, type Id } from './id.ts';
import { utf8ByteLength } from './utf8-length.ts';

export interface PeerRef extends Id {
  readonly address: string;
  /** The address's length in UTF-8 bytes, which the wire codec needs for every contact it sizes. */
  readonly addressBytes: number;
}

export function peerRef(id: Id, address: string): PeerRef {
  return { bytes: id.bytes, head: id.head, address, addressBytes: utf8ByteLength(address) };
}

export function peerFromBytes(bytes: Uint8Array, address: string): PeerRef {
  return peerRef(idFromBytes(bytes), address);
}

export function peerLabel(peer: PeerRef): string {
  return `${idShort(peer)}@${peer.address}`;
}
