/**
 * Checking a peer's signature with the public key inside its libp2p peer id (an Ed25519 peer id
 * carries its key; an RSA one does not, and its signatures cannot be checked this way). Used by
 * computation (reports and receipts) and search (postings and records).
 */
import type { PublicKey } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';

/** Public keys of the peers whose signatures were checked lately: making one costs more than a check. */
const publicKeys = new Map<string, PublicKey | null>();
const PUBLIC_KEYS_CACHED_MAX = 4096;

/** Checks `peerId`'s signature of `bytes`; false when it is wrong or cannot be checked. Never throws. */
export async function verifySignature(peerId: string, bytes: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    let publicKey = publicKeys.get(peerId);
    if (publicKey === undefined) {
      publicKey = peerIdFromString(peerId).publicKey ?? null;
      publicKeys.set(peerId, publicKey);
      if (publicKeys.size > PUBLIC_KEYS_CACHED_MAX) publicKeys.delete(publicKeys.keys().next().value as string);
    }
    return publicKey === null ? false : await publicKey.verify(bytes, signature);
  } catch {
    return false;
  }
}
