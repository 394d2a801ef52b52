/**
 * Directory nodes made from children that are already stored (`peergrid put` of a directory: the
 * client uploads each file, then asks for the directories bottom-up). What a directory entry must
 * say of its child is read from the child's root block — nothing is taken from the caller but
 * names and refs — so the node is exactly what content-importer.ts makes when it adds the same
 * tree from disk: the same CIDs, plain or encrypted.
 *
 * Plain (UnixFS): each link's Tsize is the encoded size of everything under the child, which is
 * the child's root block plus the Tsizes its own links record. Encrypted: each entry carries the
 * child's key and plaintext size, read by opening the child's node with its capability.
 */
import type { Capability } from '../../services/storage/crypt/capability.ts';
import type { ContentCipher } from '../../services/storage/crypt/content-cipher.ts';
import { encryptedDirectoryBlock } from '../../services/storage/crypt/encrypted-directory.ts';
import type { EncryptedDirectoryEntry } from '../../services/storage/crypt/encrypted-node.ts';
import { openNode } from '../../services/storage/crypt/encrypted-reader.ts';
import { Codec, type Block, type CID } from '../../services/storage/dag/cids.ts';
import { DagError } from '../../services/storage/dag/dag-error.ts';
import { directoryBlock, readDirectory, type DirectoryEntry } from '../../services/storage/dag/directory-node.ts';
import { decodeFileNode, type GetBlock } from '../../services/storage/dag/file-reader.ts';
import { DagLimits } from '../../services/storage/dag/limits.ts';
import { decodeUnixfsNode } from '../../services/storage/dag/unixfs-node.ts';
import { sha256 } from './content-hash.ts';

export interface StoredDirectory {
  readonly blocks: Block[];
  readonly root: CID;
  /** Null for a plain directory. */
  readonly capability: Capability | null;
  /** Plaintext bytes of every file under it. */
  readonly fileBytes: number;
}

/** What a plain child's root says of it. */
export interface PlainChild {
  readonly kind: 'file' | 'directory';
  /** Encoded bytes of everything under it (UnixFS Tsize). */
  readonly dagBytes: number;
  /** File bytes under it; for a directory, known only by walking it (null here). */
  readonly fileBytes: number | null;
}

export function describePlainChild(cid: CID, bytes: Uint8Array): PlainChild {
  if (cid.code === Codec.raw) return { kind: 'file', dagBytes: bytes.length, fileBytes: bytes.length };
  if (cid.code !== Codec.dagPb) throw new DagError(`not a UnixFS file or directory (codec 0x${cid.code.toString(16)})`, cid.toString());
  const { node, unixfs } = decodeUnixfsNode(cid, bytes);
  let dagBytes = bytes.length;
  for (const link of node.Links) dagBytes += link.Tsize ?? 0;
  if (unixfs.type === 'directory') return { kind: 'directory', dagBytes, fileBytes: null };
  return { kind: 'file', dagBytes, fileBytes: decodeFileNode(cid, bytes).fileBytes };
}

/**
 * Plain file bytes under a root: a file's own size, or the sum over a directory's tree (reading
 * its directory nodes and its files' roots only). `known` remembers subtrees already summed.
 */
export async function plainTreeBytes(cid: CID, getBlock: GetBlock, known: Map<string, number>, depth = 0): Promise<number> {
  const cached = known.get(cid.toString());
  if (cached !== undefined) return cached;
  if (depth > DagLimits.depthMax * 4) throw new DagError('directories nested too deep', cid.toString());
  const bytes = await getBlock(cid);
  const child = describePlainChild(cid, bytes);
  let total = child.fileBytes ?? 0;
  if (child.kind === 'directory') {
    for (const entry of readDirectory(cid, bytes)) total += await plainTreeBytes(entry.cid, getBlock, known, depth + 1);
  }
  known.set(cid.toString(), total);
  return total;
}

export async function plainDirectoryOfStored(
  entries: readonly { readonly name: string; readonly cid: CID }[], getBlock: GetBlock, known: Map<string, number>,
): Promise<StoredDirectory> {
  const children: DirectoryEntry[] = [];
  let fileBytes = 0;
  for (const entry of entries) {
    const child = describePlainChild(entry.cid, await getBlock(entry.cid));
    children.push({ name: entry.name, cid: entry.cid, dagBytes: child.dagBytes });
    fileBytes += child.fileBytes ?? await plainTreeBytes(entry.cid, getBlock, known);
  }
  const block = directoryBlock(children, sha256);
  return { blocks: [block], root: block.cid, capability: null, fileBytes };
}

export async function encryptedDirectoryOfStored(
  entries: readonly { readonly name: string; readonly capability: Capability }[], getBlock: GetBlock, cipher: ContentCipher,
): Promise<StoredDirectory> {
  const children: EncryptedDirectoryEntry[] = [];
  let fileBytes = 0;
  for (const entry of entries) {
    const node = await openNode(entry.capability, getBlock, cipher);
    const size = node.kind === 'file' ? node.size : node.entries.reduce((sum, child) => sum + child.size, 0);
    children.push({ name: entry.name, cid: entry.capability.root, key: entry.capability.key, size });
    fileBytes += size;
  }
  const { blocks, capability } = encryptedDirectoryBlock(children, cipher, sha256);
  return { blocks, root: capability.root, capability, fileBytes };
}
