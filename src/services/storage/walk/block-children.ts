/**
 * What a block of stored content links to, so that a fetcher can walk a DAG it does not have yet:
 * fetch the root, learn its children, fetch them (many at once, from many holders), and so on down
 * (docs/storage-network.md, retrieval). Each child carries what is needed to read it in turn:
 *
 * - plain content (UnixFS over raw leaves): a raw block has no children; a dag-pb node's links are
 *   its children (file nodes and directories alike);
 * - encrypted content: every block is raw ciphertext, so what a block *is* comes from its parent —
 *   the key that opens it and whether it is a node (a sealed dag-cbor map of keyed links) or a
 *   chunk. The capability's root is a node; a directory's entries are the roots of files or
 *   directories, so nodes; a file node of depth 1 points at chunks, a deeper one at nodes.
 *
 * The block's bytes must already be checked against its CID (the blockstore and the fetcher do).
 * Failures are DagErrors naming the block, as the readers' are.
 */
import * as DagPb from '@ipld/dag-pb';
import { Codec, type CID } from '../dag/cids.ts';
import { DagError } from '../dag/dag-error.ts';
import { isDirectoryBlock } from '../dag/directory-node.ts';
import { fileNodeOf } from '../dag/file-reader.ts';
import { decodeUnixfsNode } from '../dag/unixfs-node.ts';
import { DagLimits } from '../dag/limits.ts';
import type { ContentCipher } from '../crypt/content-cipher.ts';
import { decodeEncryptedNode } from '../crypt/encrypted-node.ts';

/** How to read a block: plainly, or with the key its parent gave, as a node or as a chunk. */
export type BlockReading =
  | { readonly kind: 'plain' }
  | { readonly kind: 'sealed'; readonly key: Uint8Array; readonly node: boolean };

export interface ChildBlock {
  readonly cid: CID;
  readonly reading: BlockReading;
}

const PLAIN: BlockReading = { kind: 'plain' };

export function plainReading(): BlockReading {
  return PLAIN;
}

/** The root of encrypted content, opened with the capability's key. */
export function sealedRootReading(key: Uint8Array): BlockReading {
  return { kind: 'sealed', key, node: true };
}

/** The children of a verified block, each with how to read it. */
export function blockChildren(cid: CID, bytes: Uint8Array, reading: BlockReading, cipher: ContentCipher): ChildBlock[] {
  if (reading.kind === 'plain') return plainChildren(cid, bytes);
  if (!reading.node) return [];
  const node = openSealedNode(cid, bytes, reading.key, cipher);
  if (node.kind === 'dir') return node.entries.map((entry) => ({ cid: entry.cid, reading: { kind: 'sealed', key: entry.key, node: true } }));
  return node.links.map((link) => ({ cid: link.cid, reading: { kind: 'sealed', key: link.key, node: node.depth > 1 } }));
}

/**
 * Whether a verified block is a directory node, whose children are its entries: what a listing
 * reads beyond the root (each entry's root, for its kind and size), and no further.
 */
export function isDirectoryNode(cid: CID, bytes: Uint8Array, reading: BlockReading, cipher: ContentCipher): boolean {
  if (reading.kind === 'plain') return isDirectoryBlock(cid, bytes);
  return reading.node && openSealedNode(cid, bytes, reading.key, cipher).kind === 'dir';
}

/** A child of a file node and the part of the file under it: `fileBytes` bytes from `offset` into its parent's. */
export interface ChildSpan {
  readonly child: ChildBlock;
  readonly offset: number;
  readonly fileBytes: number;
}

/**
 * The children of a verified file node with the bytes of the file under each, in order (what a
 * fetch of one byte range walks: runtime/exchange/content-fetcher.ts); null for a block that is
 * not a file node (a leaf, a directory).
 */
export function fileChildSpans(cid: CID, bytes: Uint8Array, reading: BlockReading, cipher: ContentCipher): ChildSpan[] | null {
  const spans: ChildSpan[] = [];
  if (reading.kind === 'plain') {
    if (cid.code !== Codec.dagPb) return null;
    const decoded = decodeUnixfsNode(cid, bytes);
    if (decoded.unixfs.type !== 'file' && decoded.unixfs.type !== 'raw') return null;
    const node = fileNodeOf(cid, decoded);
    // Bytes kept in the node itself come before its children's.
    let offset = node.data.length;
    for (const link of node.links) {
      spans.push({ child: { cid: link.cid, reading: PLAIN }, offset, fileBytes: link.fileBytes });
      offset += link.fileBytes;
    }
    return spans;
  }
  if (!reading.node) return null;
  const node = openSealedNode(cid, bytes, reading.key, cipher);
  if (node.kind !== 'file') return null;
  let offset = 0;
  for (const link of node.links) {
    spans.push({ child: { cid: link.cid, reading: { kind: 'sealed', key: link.key, node: node.depth > 1 } }, offset, fileBytes: link.size });
    offset += link.size;
  }
  return spans;
}

function openSealedNode(cid: CID, bytes: Uint8Array, key: Uint8Array, cipher: ContentCipher): ReturnType<typeof decodeEncryptedNode> {
  const plaintext = cipher.decrypt(key, bytes);
  if (plaintext === null) throw new DagError('cannot decrypt: a wrong key, or the block was altered', cid.toString());
  return decodeEncryptedNode(plaintext, cid.toString());
}

function plainChildren(cid: CID, bytes: Uint8Array): ChildBlock[] {
  if (cid.code === Codec.raw) return [];
  if (cid.code !== Codec.dagPb) throw new DagError(`a block of codec 0x${cid.code.toString(16)} in plain content (expected raw or dag-pb)`, cid.toString());
  let node: DagPb.PBNode;
  try {
    node = DagPb.decode(bytes);
  } catch (error) {
    throw new DagError(`not a dag-pb node: ${(error as Error).message}`, cid.toString());
  }
  // A directory has the most links (one per entry); a file node far fewer.
  if (node.Links.length > DagLimits.directoryEntriesMax) throw new DagError(`a node of ${node.Links.length} links (at most ${DagLimits.directoryEntriesMax})`, cid.toString());
  return node.Links.map((link) => ({ cid: link.Hash, reading: PLAIN }));
}
