/**
 * Reads encrypted content back: fetch a block (verified against its CID by `getBlock`), decrypt it
 * with the key its parent gave (GCM authenticates it: a wrong key or altered bytes fail), decode
 * and check the node (encrypted-node.ts), recurse. The same bounds as plain files apply: sizes must
 * add up at every level, depth is bounded.
 */
import type { CID } from '../dag/cids.ts';
import { DagError } from '../dag/dag-error.ts';
import type { GetBlock } from '../dag/file-reader.ts';
import type { Capability } from './capability.ts';
import type { ContentCipher } from './content-cipher.ts';
import { decodeEncryptedNode, type EncryptedDirectoryNode, type EncryptedFileNode, type EncryptedNode } from './encrypted-node.ts';

/** Fetches and decrypts one block. */
export async function openBlock(cid: CID, key: Uint8Array, getBlock: GetBlock, cipher: ContentCipher): Promise<Uint8Array> {
  const plaintext = cipher.decrypt(key, await getBlock(cid));
  if (plaintext === null) throw new DagError('cannot decrypt: a wrong key, or the block was altered', cid.toString());
  return plaintext;
}

export async function openNode(capability: Capability, getBlock: GetBlock, cipher: ContentCipher): Promise<EncryptedNode> {
  return decodeEncryptedNode(await openBlock(capability.root, capability.key, getBlock, cipher), capability.root.toString());
}

/** The file's plaintext, in order; `skipBytes` resumes further in without fetching what lies before. */
export async function* readEncryptedFile(capability: Capability, getBlock: GetBlock, cipher: ContentCipher, skipBytes = 0): AsyncGenerator<Uint8Array> {
  const root = await openNode(capability, getBlock, cipher);
  if (root.kind !== 'file') throw new DagError('this capability names a directory, not a file', capability.root.toString());
  yield* readFileNode(root, getBlock, cipher, skipBytes);
}

async function* readFileNode(node: EncryptedFileNode, getBlock: GetBlock, cipher: ContentCipher, skipBytes: number): AsyncGenerator<Uint8Array> {
  let skip = skipBytes;
  for (const link of node.links) {
    if (skip >= link.size) {
      skip -= link.size;
      continue;
    }
    const plaintext = await openBlock(link.cid, link.key, getBlock, cipher);
    if (node.depth === 1) {
      if (plaintext.length !== link.size) throw new DagError(`its parent says ${link.size} bytes, the chunk has ${plaintext.length}`, link.cid.toString());
      yield skip === 0 ? plaintext : plaintext.subarray(skip);
    } else {
      const child = decodeEncryptedNode(plaintext, link.cid.toString());
      if (child.kind !== 'file' || child.depth !== node.depth - 1 || child.size !== link.size) {
        throw new DagError('a file node whose child does not match what it says of it', link.cid.toString());
      }
      yield* readFileNode(child, getBlock, cipher, skip);
    }
    skip = 0;
  }
}

export async function readEncryptedDirectory(capability: Capability, getBlock: GetBlock, cipher: ContentCipher): Promise<EncryptedDirectoryNode> {
  const node = await openNode(capability, getBlock, cipher);
  if (node.kind !== 'dir') throw new DagError('this capability names a file, not a directory', capability.root.toString());
  return node;
}
