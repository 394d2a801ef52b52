/**
 * A real node's kernel id is the SHA-256 of its raw 32-byte Ed25519 public key (docs/PROTOCOL.md,
 * "Identifiers"). The key is what libp2p's Noise handshake authenticates, so whoever proves the key
 * owns the id: nobody can pick an id near a target without finding a key that hashes there.
 */
import { createHash } from 'node:crypto';
import type { PeerId } from '@libp2p/interface';
import { idFromBytes, type Id } from '../../core/id.ts';

export function kernelIdOfPublicKey(rawPublicKey: Uint8Array): Id {
  return idFromBytes(new Uint8Array(createHash('sha256').update(rawPublicKey).digest()));
}

/**
 * The kernel id of a libp2p peer, or null when its key is not Ed25519: an Ed25519 peer id embeds
 * its public key, so the id follows from the peer id alone. Other key types are refused rather
 * than hashed some other way, so that one rule gives one id.
 */
export function kernelIdOfPeerId(peerId: PeerId): Id | null {
  if (peerId.type !== 'Ed25519') return null;
  return kernelIdOfPublicKey(peerId.publicKey.raw);
}
