/** An encrypted directory node: entries name each child's root node, CID and key (encrypted-node.ts). */
import type { Block, Sha256 } from '../dag/cids.ts';
import { checkEntryNames } from '../dag/entry-name.ts';
import type { Capability } from './capability.ts';
import type { ContentCipher } from './content-cipher.ts';
import { sealBlock } from './encrypted-file-layout.ts';
import { encodeEncryptedNode, type EncryptedDirectoryEntry } from './encrypted-node.ts';

export function encryptedDirectoryBlock(
  entries: readonly EncryptedDirectoryEntry[], cipher: ContentCipher, sha256: Sha256,
): { blocks: Block[]; capability: Capability } {
  checkEntryNames(entries.map((entry) => entry.name));
  const blocks: Block[] = [];
  const sealed = sealBlock(encodeEncryptedNode({ kind: 'dir', entries }), cipher, sha256, entries.map((entry) => entry.cid), blocks);
  return { blocks, capability: { root: sealed.cid, key: sealed.key } };
}
