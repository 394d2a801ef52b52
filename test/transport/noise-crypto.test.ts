/**
 * Noise's crypto with cached session keys (noise-crypto.ts) makes the very bytes the default
 * does, small and large messages, and refuses a tampered one.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto';
import { noiseCrypto } from '../../src/transport/libp2p/noise-crypto.ts';

/** The bytes, as a Buffer whatever the implementation returned (a Buffer, a Uint8Array or a list). */
const bytesOf = (value: Uint8Array | { subarray(): Uint8Array }): Buffer => Buffer.from(value instanceof Uint8Array ? value : value.subarray());

describe('noise crypto with cached keys', () => {
  it('interoperates with the default both ways, for messages under and over the node:crypto threshold', () => {
    const key = randomBytes(32);
    const ad = randomBytes(32);
    for (const size of [0, 100, 1199, 1200, 65_519]) {
      const nonce = randomBytes(12);
      const plaintext = randomBytes(size);
      const ours = bytesOf(noiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key));
      assert.deepEqual(ours, bytesOf(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key)), `size ${size}`);
      assert.deepEqual(bytesOf(defaultCrypto.chaCha20Poly1305Decrypt(ours, nonce, ad, key)), plaintext);
      assert.deepEqual(bytesOf(noiseCrypto.chaCha20Poly1305Decrypt(ours, nonce, ad, key)), plaintext);
      // The same key object again: the cached KeyObject must give the same result.
      assert.deepEqual(bytesOf(noiseCrypto.chaCha20Poly1305Decrypt(ours, nonce, ad, key)), plaintext);
    }
  });

  it('refuses a tampered message or a wrong key', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const ad = randomBytes(32);
    const sealed = Uint8Array.from(bytesOf(noiseCrypto.chaCha20Poly1305Encrypt(randomBytes(4096), nonce, ad, key)));
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, randomBytes(32)));
    sealed[10] ^= 1;
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, key));
  });
});
