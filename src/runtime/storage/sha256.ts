/**
 * SHA-256 by node:crypto, the hash of every storage CID. A module of its own, loading nothing
 * else: the import's digest workers use it, and a worker's start should not pay for multiformats.
 *
 * `sha256` hashes on the calling thread. `sha256Pooled` hashes as a WebCrypto job on libuv's
 * thread pool, so the calling thread only copies the bytes into the job; an import computes its
 * chunks' digests ahead this way (content/hashing-ahead.ts). A fetch and a served read hash on the
 * spot: moved to the pool, they gave the same fetch rate (five alternating pairs of
 * bench/storage/single-source-get.ts, 2026-11-28: each process used as much CPU either way).
 */
import { createHash, webcrypto } from 'node:crypto';

/** Below this a WebCrypto job's setup (tens of µs) costs more than hashing on the spot. */
const POOLED_HASH_BYTES_MIN = 16 * 1024;

export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** The digest sha256 gives, computed off the calling thread unless the input is small. The job works on a copy: `bytes` may change once this returns. */
export async function sha256Pooled(bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes.length < POOLED_HASH_BYTES_MIN) return new Uint8Array(sha256(bytes));
  return new Uint8Array(await webcrypto.subtle.digest('SHA-256', bytes));
}
