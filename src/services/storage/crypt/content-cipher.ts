/**
 * Convergent encryption, as the storage layer sees it (issue 4, item 7; Tahoe-LAFS's CHK files):
 * each block is encrypted under a key derived from its own plaintext and a convergence secret, so
 * the same content under the same secret always gives the same ciphertext (and deduplicates),
 * while storage nodes see only ciphertext. The primitives are injected: the runtime implements
 * them with node:crypto (runtime/storage/node-content-cipher.ts), keeping this folder pure.
 */
export interface ContentCipher {
  /** The key for a plaintext block: derived from its content and the convergence secret. */
  keyFor(plaintext: Uint8Array): Uint8Array;
  /** Authenticated encryption of `plaintext` under `key` (which never encrypts anything else). */
  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** The plaintext, or null when the ciphertext was not made under this key (tampered, or a wrong key). */
  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array | null;
}

/** AES-256 keys. */
export const CONTENT_KEY_BYTES = 32;
/** What encryption adds to a block: the GCM tag. */
export const CIPHERTEXT_OVERHEAD_BYTES = 16;
