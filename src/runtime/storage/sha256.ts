/**
 * SHA-256 by node:crypto, the hash of every storage CID. A module of its own, loading nothing
 * else: the import's digest workers use it, and a worker's start should not pay for multiformats.
 */
import { createHash } from 'node:crypto';

export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}
