/**
 * Adds one file given as a stream of bytes (an HTTP upload) to the blockstore: the same path as
 * content-importer.ts's files (addFileStream: FastCDC, the DAG builder, the store in batches) fed
 * from the stream directly instead of a file on disk, so an upload is never
 * written twice and memory stays bounded whatever its size. A session protects the new blocks
 * from gc until the root is pinned; it is renewed with every batch, so an upload slower than the
 * session's lifetime stays protected.
 */
import type { ChunkingConfig } from '../../services/storage/chunking/chunking-config.ts';
import type { Capability } from '../../services/storage/crypt/capability.ts';
import type { ContentCipher } from '../../services/storage/crypt/content-cipher.ts';
import type { CID } from '../../services/storage/dag/cids.ts';
import type { Blockstore, BlockSession } from '../storage/blockstore.ts';
import { BlockWriter, finishBulkWrite, bulkWriteDurability } from './block-writer.ts';
import { addFileStream, IMPORT_BATCH_BYTES, IMPORT_WRITES_IN_FLIGHT } from './content-importer.ts';

export interface StreamAddOptions {
  /** Encrypt under this cipher (convergent encryption); plain UnixFS when absent. */
  readonly cipher?: ContentCipher;
  readonly chunking?: ChunkingConfig;
  /** The pin's name (default 'default'). */
  readonly pinName?: string;
}

export interface StreamAddResult {
  readonly root: CID;
  /** For encrypted content, what a reader needs; null for plain content. */
  readonly capability: Capability | null;
  readonly bytes: number;
  readonly chunks: number;
  readonly blocks: number;
}

export async function addStream(source: AsyncIterable<Uint8Array>, store: Blockstore, options: StreamAddOptions = {}): Promise<StreamAddResult> {
  const session = store.openSession();
  try {
    const durability = bulkWriteDurability(store);
    const writer = new BlockWriter(store, session, { batchBytes: IMPORT_BATCH_BYTES, writesInFlightMax: IMPORT_WRITES_IN_FLIGHT, durability });
    let bytes = 0;
    let chunks = 0;
    const added = await addFileStream(source, writer, options, (chunkBytes) => {
      bytes += chunkBytes;
      chunks++;
    });
    // The pin rides on the last batch's commit (BlockWriter.flush), made durable with the rest by finishBulkWrite.
    await writer.flush({ cid: added.cid, recursive: true, name: options.pinName ?? 'default' });
    await finishBulkWrite(store, durability);
    const capability: Capability | null = added.key === null ? null : { root: added.cid, key: added.key };
    return { root: added.cid, capability, bytes, chunks, blocks: writer.blocks };
  } finally {
    closeQuietly(session);
  }
}

/** Ends a session; on a store closed meanwhile (the node stopping) the session is gone with it. */
export function closeQuietly(session: BlockSession): void {
  try {
    session.close();
  } catch {
    // The store was closed: its sessions ended with it.
  }
}
