/** What the placement tests share: peers at chosen distances from a key, and SHA-256. */
import { idFromBytes, type Id } from '../../../../src/core/id.ts';
import { peerRef, type PeerRef } from '../../../../src/core/peer.ts';

export { sha256 } from '../helpers.ts';

/** The all-zero key: a peer's XOR distance to it is the peer's id itself. */
export const KEY: Id = idFromBytes(new Uint8Array(32));

/** The peer whose id is `rank` in its first two bytes: the larger the rank, the farther from KEY. */
export function peerAt(rank: number, address = `host-${rank}`): PeerRef {
  const bytes = new Uint8Array(32);
  bytes[0] = rank >> 8;
  bytes[1] = rank & 0xff;
  bytes[31] = 1; // never the key itself
  return peerRef(idFromBytes(bytes), address);
}

/** A peer's rank back from its id (for readable assertions). */
export function rankOf(peer: Id): number {
  return (peer.bytes[0] << 8) | peer.bytes[1];
}

export function ranksOf(peers: readonly Id[]): number[] {
  return peers.map(rankOf);
}
