/**
 * Checking a peer's signature with the public key inside its libp2p peer id (an Ed25519 peer id
 * carries its key; an RSA one does not, and its signatures cannot be checked this way). Used by
 * computation (reports and receipts) and search (postings and records).
 */
import type { PublicKey } from '@libp2p/interface';
import { createHash } from 'node:crypto';
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

/** Signatures checked lately and found good, by signer, signature and the bytes' digest. */
const goodSignatures = new Set<string>();
const GOOD_SIGNATURES_CACHED_MAX = 65_536;

/**
 * verifySignature, remembering good signatures: search checks the same postings again and again
 * (every query of a popular term, every repair round), and a check costs ~0.1 ms beside a hash's
 * microsecond. A signature counts as checked only for the very bytes it was checked over (their
 * SHA-256 is part of the key), so the cache cannot make a forgery pass.
 */
export async function verifySignatureCached(peerId: string, bytes: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const key = `${peerId}\u0000${Buffer.from(signature).toString('base64')}\u0000${createHash('sha256').update(bytes).digest('base64')}`;
  if (goodSignatures.has(key)) return true;
  const valid = await verifySignature(peerId, bytes, signature);
  if (valid) {
    goodSignatures.add(key);
    if (goodSignatures.size > GOOD_SIGNATURES_CACHED_MAX) goodSignatures.delete(goodSignatures.values().next().value as string);
  }
  return valid;
}
