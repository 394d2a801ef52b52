/**
 * The messages between an add's main thread and its worker threads: file-chunks.ts and
 * cutting-worker.ts (reading and cutting a file), chunk-digests.ts and digest-worker.ts (hashing,
 * or sealing and hashing, the chunks).
 */
import type { ChunkingConfig } from '../../services/storage/chunking/chunking-config.ts';

export type CuttingRequest =
  /**
   * Cut this file, reading `pieceBytes` at a time into the buffers given (each config.maxBytes +
   * pieceBytes long, transferred): one piece per buffer, and no more pieces than buffers.
   */
  | { readonly type: 'cut'; readonly path: string; readonly config: ChunkingConfig; readonly pieceBytes: number; readonly buffers: readonly Uint8Array[] }
  /** One piece taken: a buffer for one more. */
  | { readonly type: 'more'; readonly buffer: Uint8Array };

export type CuttingReply =
  /** The chunks one piece completed, in order (their memory transferred). */
  | { readonly type: 'chunks'; readonly chunks: readonly Uint8Array[] }
  /** The file's last chunk, if any, and the bytes read in all. */
  | { readonly type: 'end'; readonly chunks: readonly Uint8Array[]; readonly bytes: number }
  /** The job failed: the error's message, and its code and syscall when it had them (ENOENT, read). */
  | { readonly type: 'error'; readonly message: string; readonly code: string | null; readonly syscall: string | null };

/** Hash these chunks; with a convergence secret, seal each first and hash its ciphertext. */
export interface DigestRequest {
  readonly id: number;
  readonly chunks: readonly Uint8Array[];
  readonly convergenceSecret: Uint8Array | null;
}

export type DigestReply =
  /** The chunks given back (their memory transferred again), each one's digest, and when sealed its key and ciphertext. */
  | { readonly id: number; readonly chunks: readonly Uint8Array[]; readonly digests: readonly Uint8Array[]; readonly keys: readonly Uint8Array[] | null; readonly ciphertexts: readonly Uint8Array[] | null }
  | { readonly id: number; readonly error: string };

/**
 * The memory to transfer (not copy) with a message carrying `arrays`: each distinct ArrayBuffer
 * under them, once (a piece's chunks are views of one). Buffers of Buffer.poolSize bytes or less are
 * copied instead: one may be Node's shared pool for small Buffers, which other code still uses.
 */
export function transferableBuffers(...groups: readonly (readonly Uint8Array[] | null)[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const arrays of groups) {
    for (const array of arrays ?? []) {
      if (array.buffer instanceof ArrayBuffer && array.buffer.byteLength > Buffer.poolSize) buffers.add(array.buffer);
    }
  }
  return [...buffers];
}
