/**
 * Reads a file back from its DAG, in order, one block at a time (the caller's `getBlock` fetches
 * and verifies each: from the blockstore, or from the network). Nothing here trusts the DAG: every
 * UnixFS node's sizes must add up, children must deliver exactly the bytes their parent says,
 * depth and total size are bounded (limits.ts), so a hostile manifest cannot make a reader loop,
 * recurse without end, or stream more than it claimed. A true cycle is impossible while SHA-256
 * holds (a block cannot contain its own hash); the depth bound also stops a DAG that names one
 * subtree many times from growing past fileBytesMax.
 */
import { Codec, type CID } from './cids.ts';
import { DagError } from './dag-error.ts';
import { DagLimits } from './limits.ts';
import { decodeUnixfsNode } from './unixfs-node.ts';

/** Fetches a block by CID, verified against it; rejects when it cannot. */
export type GetBlock = (cid: CID) => Promise<Uint8Array>;

/** What a file's root says about it, without reading the rest. */
export interface FileHead {
  readonly kind: 'file';
  readonly fileBytes: number;
}

/** Decodes a UnixFS node of a file, checking what the reader relies on. */
export function decodeFileNode(cid: CID, bytes: Uint8Array): FileNode {
  if (cid.code === Codec.raw) return { data: bytes, links: [], fileBytes: bytes.length };
  if (cid.code !== Codec.dagPb) throw new DagError(`a file block must be raw or dag-pb, not codec 0x${cid.code.toString(16)}`, cid.toString());
  return fileNodeOf(cid, decodeUnixfsNode(cid, bytes));
}

export interface FileNode {
  readonly data: Uint8Array;
  readonly links: readonly { readonly cid: CID; readonly fileBytes: number }[];
  readonly fileBytes: number;
}

/** A dag-pb node already decoded (decodeUnixfsNode) read as a file node: its bytes, its links and their sizes, checked. */
export function fileNodeOf(cid: CID, { node, unixfs }: ReturnType<typeof decodeUnixfsNode>): FileNode {
  if (unixfs.type !== 'file' && unixfs.type !== 'raw') throw new DagError(`expected a file, found a UnixFS ${unixfs.type}`, cid.toString());
  if (node.Links.length !== unixfs.blockSizes.length) {
    throw new DagError(`${node.Links.length} links but ${unixfs.blockSizes.length} block sizes`, cid.toString());
  }
  const data = unixfs.data ?? new Uint8Array(0);
  let fileBytes = data.length;
  const links: { cid: CID; fileBytes: number }[] = [];
  for (let i = 0; i < node.Links.length; i++) {
    const size = unixfs.blockSizes[i];
    if (size < 0n || size > BigInt(DagLimits.fileBytesMax)) throw new DagError(`absurd block size ${size}`, cid.toString());
    fileBytes += Number(size);
    links.push({ cid: node.Links[i].Hash, fileBytes: Number(size) });
  }
  if (fileBytes > DagLimits.fileBytesMax) throw new DagError(`a file of ${fileBytes} bytes is over the ${DagLimits.fileBytesMax}-byte limit`, cid.toString());
  return { data, links, fileBytes };
}

/** The file's size, from its root block alone. */
export async function fileHead(root: CID, getBlock: GetBlock): Promise<FileHead> {
  return { kind: 'file', fileBytes: decodeFileNode(root, await getBlock(root)).fileBytes };
}

/**
 * Yields the file's bytes in order. `skipBytes` starts further in (a resumed download): whole
 * subtrees before it are not fetched at all.
 */
export async function* readFile(root: CID, getBlock: GetBlock, skipBytes = 0): AsyncGenerator<Uint8Array> {
  yield* readNode(root, getBlock, null, skipBytes, 0);
}

async function* readNode(cid: CID, getBlock: GetBlock, expectedBytes: number | null, skipBytes: number, depth: number): AsyncGenerator<Uint8Array> {
  if (depth > DagLimits.depthMax) throw new DagError(`a file DAG deeper than ${DagLimits.depthMax} levels`, cid.toString());
  const node = decodeFileNode(cid, await getBlock(cid));
  if (expectedBytes !== null && node.fileBytes !== expectedBytes) {
    throw new DagError(`its parent says ${expectedBytes} bytes, the block says ${node.fileBytes}`, cid.toString());
  }
  let skip = skipBytes;
  if (node.data.length > 0) {
    if (skip < node.data.length) yield skip === 0 ? node.data : node.data.subarray(skip);
    skip = Math.max(0, skip - node.data.length);
  }
  for (const link of node.links) {
    if (skip >= link.fileBytes) {
      skip -= link.fileBytes;
      continue;
    }
    yield* readNode(link.cid, getBlock, link.fileBytes, skip, depth + 1);
    skip = 0;
  }
}

/** Every block CID of a file DAG, parents before children (for pinning, export and fetching ahead). */
export async function* fileBlocks(root: CID, getBlock: GetBlock, depth = 0): AsyncGenerator<{ cid: CID; bytes: Uint8Array }> {
  if (depth > DagLimits.depthMax) throw new DagError(`a file DAG deeper than ${DagLimits.depthMax} levels`, root.toString());
  const bytes = await getBlock(root);
  yield { cid: root, bytes };
  for (const link of decodeFileNode(root, bytes).links) yield* fileBlocks(link.cid, getBlock, depth + 1);
}
