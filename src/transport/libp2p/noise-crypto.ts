/**
 * The crypto Noise runs with: @chainsafe/libp2p-noise's default, except that the ChaCha20-Poly1305
 * of messages long enough to go to node:crypto is given a KeyObject made once per session key
 * rather than the raw key. Given raw bytes, node:crypto builds a new KeyObject for every message
 * (prepareSecretKey); a profile of a node fetching blocks put that at about a tenth of its CPU,
 * as much as the decryption itself (docs/BENCHMARKS.md, "Retrieval over libp2p"). The bytes on
 * the wire are the same: peers on the default crypto interoperate (tested).
 *
 * A session's key is the same Uint8Array for all its messages (the Noise CipherState keeps it), so
 * the KeyObjects are kept in a WeakMap keyed by it and go when the connection does.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { ICryptoInterface } from '@chainsafe/libp2p-noise';
import { defaultCrypto, nodeCrypto } from '@chainsafe/libp2p-noise/crypto';

/** Below this the default hands messages to a WebAssembly ChaCha20-Poly1305, which takes raw keys. */
const NODE_CRYPTO_BYTES_MIN = 1200;

const keyObjects = new WeakMap<Uint8Array, KeyObject>();

/** node:crypto accepts a KeyObject wherever it takes a key; the interface's type says Uint8Array. */
function keyOf(key: Uint8Array): Uint8Array {
  let keyObject = keyObjects.get(key);
  if (keyObject === undefined) {
    keyObject = createSecretKey(key);
    keyObjects.set(key, keyObject);
  }
  return keyObject as unknown as Uint8Array;
}

export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt(plaintext, nonce, ad, key) {
    if (plaintext.byteLength < NODE_CRYPTO_BYTES_MIN) return defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key);
    return nodeCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, keyOf(key));
  },
  chaCha20Poly1305Decrypt(ciphertext, nonce, ad, key, dst) {
    if (ciphertext.byteLength < NODE_CRYPTO_BYTES_MIN) return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, key, dst);
    return nodeCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, keyOf(key), dst);
  },
};
