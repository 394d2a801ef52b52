/**
 * Builds the DAG of one encrypted file, streaming, in the same balanced layout as a plain one
 * (dag/balanced-tree.ts): each chunk is encrypted under its own convergent key and stored as a raw
 * block; file nodes list their children's CIDs, keys and sizes and are encrypted the same way. The
 * root is always a file node, so a capability always names a node whose kind it can read.
 */
import { BalancedTree } from '../dag/balanced-tree.ts';
import { cidOf, Codec, type Block, type Sha256 } from '../dag/cids.ts';
import { ChunkIntake, checkFanOut } from '../dag/chunk-intake.ts';
import { DagLimits } from '../dag/limits.ts';
import type { Capability } from './capability.ts';
import type { ContentCipher } from './content-cipher.ts';
import { encodeEncryptedNode, type EncryptedNode, type KeyedLink } from './encrypted-node.ts';

interface Subtree extends KeyedLink {
  readonly depth: number;
}

export interface EncryptedFile {
  readonly capability: Capability;
  readonly fileBytes: number;
}

/** Encrypts a node or chunk convergently and emits it as a raw block; returns its link. */
export function sealBlock(plaintext: Uint8Array, cipher: ContentCipher, sha256: Sha256, links: Block['links'], out: Block[]): { cid: Block['cid']; key: Uint8Array } {
  const key = cipher.keyFor(plaintext);
  const ciphertext = cipher.encrypt(key, plaintext);
  const cid = cidOf(Codec.raw, ciphertext, sha256);
  out.push({ cid, bytes: ciphertext, links });
  return { cid, key };
}

export class EncryptedFileDagBuilder {
  private readonly cipher: ContentCipher;
  private readonly sha256: Sha256;
  private readonly tree: BalancedTree<Subtree>;
  private out: Block[] = [];
  private readonly intake = new ChunkIntake();

  constructor(cipher: ContentCipher, sha256: Sha256, linksPerNodeMax: number = DagLimits.fileLinksPerNodeMax) {
    this.cipher = cipher;
    this.sha256 = sha256;
    this.tree = new BalancedTree(checkFanOut(linksPerNodeMax), (children) => this.fileNode(children));
  }

  add(chunk: Uint8Array): Block[] {
    if (!this.intake.accept(chunk)) return [];
    const sealed = sealBlock(chunk, this.cipher, this.sha256, [], this.out);
    this.tree.addLeaf({ ...sealed, size: chunk.length, depth: 0 });
    return this.take();
  }

  finish(): { blocks: Block[]; file: EncryptedFile } {
    this.intake.finish();
    let root = this.tree.close();
    // A file of one chunk (or none) still gets a file node on top: a capability always names a node.
    if (root === null) root = this.fileNode([]);
    else if (root.depth === 0) root = this.fileNode([root]);
    return { blocks: this.take(), file: { capability: { root: root.cid, key: root.key }, fileBytes: root.size } };
  }

  private fileNode(children: readonly Subtree[]): Subtree {
    const depth = children.length === 0 ? 1 : children[0].depth + 1;
    let size = 0;
    for (const child of children) size += child.size;
    const node: EncryptedNode = { kind: 'file', depth, size, links: children.map(({ cid, key, size: bytes }) => ({ cid, key, size: bytes })) };
    const sealed = sealBlock(encodeEncryptedNode(node), this.cipher, this.sha256, children.map((child) => child.cid), this.out);
    return { ...sealed, size, depth };
  }

  private take(): Block[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}
