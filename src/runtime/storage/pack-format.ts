/**
 * The bytes of a pack file (docs/storage-blockstore.md, "Packs"): an 8-byte magic, then one entry
 * per block — a 40-byte header (the block's sha2-256 digest, its codec and its size, big-endian)
 * followed by the block's bytes. The index records where each block's bytes start, so a read is
 * one positioned read; the headers make a pack readable without the index, which fsck uses to
 * adopt the blocks of a pack the index does not know (a lost or replaced index.sqlite).
 */
import { SHA2_256_DIGEST_BYTES } from './block-cid.ts';

export const PACK_MAGIC: Uint8Array = Buffer.from('PGPACK\x00\x01', 'latin1');
export const ENTRY_HEADER_BYTES = SHA2_256_DIGEST_BYTES + 8;

export interface PackEntryHeader {
  readonly digest: Uint8Array;
  readonly codec: number;
  readonly size: number;
  /** Where the block's bytes start in the pack. */
  readonly offset: number;
}

export function encodeEntryHeader(digest: Uint8Array, codec: number, size: number): Buffer {
  const header = Buffer.allocUnsafe(ENTRY_HEADER_BYTES);
  header.set(digest, 0);
  header.writeUInt32BE(codec >>> 0, SHA2_256_DIGEST_BYTES);
  header.writeUInt32BE(size, SHA2_256_DIGEST_BYTES + 4);
  return header;
}

/** Reads an entry header at `headerOffset` (the bytes of `header` came from there); undefined if they cannot be one. */
export function decodeEntryHeader(header: Uint8Array, headerOffset: number, blockBytesMax: number): PackEntryHeader | undefined {
  if (header.length < ENTRY_HEADER_BYTES) return undefined;
  const view = Buffer.from(header.buffer, header.byteOffset, ENTRY_HEADER_BYTES);
  const size = view.readUInt32BE(SHA2_256_DIGEST_BYTES + 4);
  if (size > blockBytesMax) return undefined;
  return {
    digest: Uint8Array.from(view.subarray(0, SHA2_256_DIGEST_BYTES)),
    codec: view.readUInt32BE(SHA2_256_DIGEST_BYTES),
    size,
    offset: headerOffset + ENTRY_HEADER_BYTES,
  };
}

export function hasPackMagic(start: Uint8Array): boolean {
  return start.length >= PACK_MAGIC.length && Buffer.compare(Buffer.from(start.buffer, start.byteOffset, PACK_MAGIC.length), PACK_MAGIC) === 0;
}
