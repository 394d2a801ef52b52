/**
 * SHA-256 of an import's chunks off the main thread, for the files and uploads the import workers
 * do not take (content-importer.ts: files under 16 MiB, streams; file-chunks.ts has the large ones). node:crypto's `createHash` hashes on the
 * calling thread; WebCrypto's `subtle.digest` runs as a job on libuv's thread pool. An add's main
 * thread reads, cuts (FastCDC), hashes, builds the DAG and hands batches to the store, and hashing
 * was half of its time; with the digests computed ahead, several at once on the pool, the main
 * thread only copies each chunk into the job and gets 32 bytes back. Measured on 1 GiB of 256 KiB
 * chunks (2026-11-28): `createHash` 530–548 ms of main thread; `subtle.digest` 16 at a time 352–356
 * ms wall with 137–145 ms of main thread.
 *
 * `hashedAhead` keeps `depth` digests in flight and yields the chunks in their order, each with its
 * digest. `KnownDigests` hands those digests to code that takes a synchronous `Sha256` (the DAG
 * builders): the digest of a chunk it was told of, else node:crypto's.
 *
 * An encrypted add does the same with the whole seal of each chunk — its convergent key (an HMAC
 * over the chunk), its AES-256-GCM encryption, and the SHA-256 of the result — as WebCrypto jobs
 * (`sealedAhead`; NodeContentCipher.seal), which `KnownSeals` hands to the sealed DAG builder as
 * a ContentCipher. The keys, ciphertexts and CIDs are those the synchronous cipher gives (tested).
 */
import type { ContentCipher } from '../../services/storage/crypt/content-cipher.ts';
import type { Sha256 } from '../../services/storage/dag/cids.ts';
import type { NodeContentCipher } from '../content-cipher-node.ts';
import { sha256, sha256Pooled } from '../storage/sha256.ts';

/** Digests in flight at once: enough to keep the pool's 4 threads busy while the main thread cuts the next chunks. */
export const DIGESTS_IN_FLIGHT = 16;

export interface HashedChunk {
  readonly chunk: Uint8Array;
  readonly digest: Uint8Array;
}

export function hashedAhead(chunks: AsyncIterable<Uint8Array>, depth = DIGESTS_IN_FLIGHT): AsyncGenerator<HashedChunk> {
  return inOrderAhead(chunks, depth, async (chunk) => ({ chunk, digest: await sha256Pooled(chunk) }));
}

export interface SealedChunk extends HashedChunk {
  /** The chunk's convergent key. */
  readonly key: Uint8Array;
  /** The chunk sealed under it; `digest` is this ciphertext's. */
  readonly ciphertext: Uint8Array;
}

/** hashedAhead for an encrypted add: each chunk's seal and the digest of its ciphertext, `depth` chunks ahead. */
export function sealedAhead(chunks: AsyncIterable<Uint8Array>, cipher: NodeContentCipher, depth = DIGESTS_IN_FLIGHT): AsyncGenerator<SealedChunk> {
  return inOrderAhead(chunks, depth, async (chunk) => {
    const { key, ciphertext } = await cipher.seal(chunk);
    return { chunk, key, ciphertext, digest: await sha256Pooled(ciphertext) };
  });
}

/** `work` of each item of `source`, started up to `depth` items ahead, yielded in the source's order. */
export async function* inOrderAhead<T, R>(source: AsyncIterable<T>, depth: number, work: (item: T) => Promise<R>): AsyncGenerator<R> {
  const pending: Promise<R>[] = [];
  try {
    for await (const item of source) {
      pending.push(work(item));
      if (pending.length >= depth) yield await (pending.shift() as Promise<R>);
    }
    while (pending.length > 0) yield await (pending.shift() as Promise<R>);
  } finally {
    // Work still running when the import stops (an error, a closed upload) must not reject unheard.
    for (const left of pending) left.catch(() => undefined);
  }
}

/** A ContentCipher that answers keyFor and encrypt from seals computed ahead (each used once), and works itself for anything else. */
export class KnownSeals implements ContentCipher {
  private readonly cipher: ContentCipher;
  private readonly known = new Map<Uint8Array, { readonly key: Uint8Array; readonly ciphertext: Uint8Array }>();

  constructor(cipher: ContentCipher) {
    this.cipher = cipher;
  }

  /** The seal of exactly these bytes (this very array), for the next keyFor and encrypt of them. */
  know(plaintext: Uint8Array, key: Uint8Array, ciphertext: Uint8Array): void {
    this.known.set(plaintext, { key, ciphertext });
  }

  keyFor(plaintext: Uint8Array): Uint8Array {
    return this.known.get(plaintext)?.key ?? this.cipher.keyFor(plaintext);
  }

  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const seal = this.known.get(plaintext);
    if (seal === undefined || seal.key !== key) return this.cipher.encrypt(key, plaintext);
    this.known.delete(plaintext);
    return seal.ciphertext;
  }

  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    return this.cipher.decrypt(key, ciphertext);
  }
}

/** A synchronous Sha256 that answers from digests computed ahead, each used once, and hashes anything else itself. */
export class KnownDigests {
  private readonly known = new Map<Uint8Array, Uint8Array>();

  readonly sha256: Sha256 = (bytes) => {
    const digest = this.known.get(bytes);
    if (digest === undefined) return sha256(bytes);
    this.known.delete(bytes);
    return digest;
  };

  /** The digest of exactly these bytes (this very array), for the next sha256 of it. */
  know(bytes: Uint8Array, digest: Uint8Array): void {
    this.known.set(bytes, digest);
  }
}
