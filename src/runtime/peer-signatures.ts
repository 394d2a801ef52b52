/**
 * Checking a peer's signature with the public key inside its libp2p peer id (an Ed25519 peer id
 * carries its key; an RSA one does not, and its signatures cannot be checked this way), and
 * signing with this node's own key. Used by computation (reports and receipts) and search
 * (postings and records).
 *
 * An Ed25519 key is turned into a node:crypto KeyObject once and kept: libp2p's Ed25519 keys build
 * one from a JWK on every call, which cost about a quarter of a check (214.5 against 279.9 µs) and
 * two thirds of a signature (69.7 against 208.8 µs) on the Intel VM (`npm run bench -- signatures`,
 * 2026-11-29), where checking and making signatures took about a sixth of the CPU of eight nodes
 * publishing for search. Signatures are the same bytes either way (Ed25519 is deterministic;
 * tested against libp2p's keys).
 */
import type { PrivateKey, PublicKey } from '@libp2p/interface';
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { peerIdFromString } from '@libp2p/peer-id';

/** How a peer's signatures are checked: by a KeyObject for Ed25519, by libp2p's key otherwise. */
type Checker = { readonly ed25519: KeyObject } | { readonly key: PublicKey };

/** Checkers of the peers whose signatures were checked lately (null: the id carries no key); making one costs more than a check. */
const checkers = new Map<string, Checker | null>();
const CHECKERS_CACHED_MAX = 4096;

/** Checks `peerId`'s signature of `bytes`; false when it is wrong or cannot be checked. Never throws. */
export async function verifySignature(peerId: string, bytes: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    let checker = checkers.get(peerId);
    if (checker === undefined) {
      checker = checkerOf(peerIdFromString(peerId).publicKey);
      checkers.set(peerId, checker);
      if (checkers.size > CHECKERS_CACHED_MAX) checkers.delete(checkers.keys().next().value as string);
    }
    if (checker === null) return false;
    if ('key' in checker) return await checker.key.verify(bytes, signature);
    return signature.length === ED25519_SIGNATURE_BYTES && verify(null, bytes, checker.ed25519, signature);
  } catch {
    return false;
  }
}

const ED25519_SIGNATURE_BYTES = 64;
const ED25519_KEY_BYTES = 32;

function checkerOf(publicKey: PublicKey | undefined): Checker | null {
  if (publicKey === undefined) return null;
  if (publicKey.type !== 'Ed25519' || publicKey.raw.length !== ED25519_KEY_BYTES) return { key: publicKey };
  return { ed25519: createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: base64url(publicKey.raw) } }) };
}

/** Signs with this node's key: for an Ed25519 key, through a KeyObject made here once. */
export function signerOf(privateKey: PrivateKey): (bytes: Uint8Array) => Promise<Uint8Array> {
  // libp2p keeps an Ed25519 private key as its 32-byte seed followed by the 32-byte public key.
  if (privateKey.type !== 'Ed25519' || privateKey.raw.length !== 2 * ED25519_KEY_BYTES) return async (bytes) => privateKey.sign(bytes);
  const key = createPrivateKey({
    format: 'jwk',
    key: { kty: 'OKP', crv: 'Ed25519', d: base64url(privateKey.raw.subarray(0, ED25519_KEY_BYTES)), x: base64url(privateKey.publicKey.raw) },
  });
  return async (bytes) => new Uint8Array(sign(null, bytes, key));
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
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
