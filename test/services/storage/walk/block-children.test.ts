/**
 * What a block links to, and whether it is a directory node (block-children.ts): the walk a fetch
 * makes, and how far a listing's fetch goes (a directory's entries' roots, nothing under a file).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNodeContentCipher } from '../../../../src/runtime/content-cipher-node.ts';
import type { Block } from '../../../../src/services/storage/dag/cids.ts';
import { directoryBlock } from '../../../../src/services/storage/dag/directory-node.ts';
import { FileDagBuilder } from '../../../../src/services/storage/dag/file-layout.ts';
import { encryptedDirectoryBlock } from '../../../../src/services/storage/crypt/encrypted-directory.ts';
import { EncryptedFileDagBuilder } from '../../../../src/services/storage/crypt/encrypted-file-layout.ts';
import { blockChildren, isDirectoryNode, plainReading, sealedRootReading } from '../../../../src/services/storage/walk/block-children.ts';
import { bytesOf, sha256 } from '../helpers.ts';

const cipher = createNodeContentCipher(new Uint8Array(32).fill(7));

function blockOf(blocks: readonly Block[], cid: string): Block {
  const found = blocks.find((block) => block.cid.toString() === cid);
  assert.ok(found, `block ${cid}`);
  return found;
}

describe('block children', () => {
  it('plain: a directory node is one, its children its entries; a file root and a raw leaf are not', () => {
    const builder = new FileDagBuilder(sha256, 2);
    const blocks: Block[] = [];
    for (let i = 0; i < 3; i++) blocks.push(...builder.add(bytesOf(1000, i)));
    const { blocks: last, dag } = builder.finish();
    blocks.push(...last);
    const file = blockOf(blocks, dag.root.toString());
    const directory = directoryBlock([{ name: 'f', cid: dag.root, dagBytes: dag.dagBytes }], sha256);
    assert.equal(isDirectoryNode(directory.cid, directory.bytes, plainReading(), cipher), true);
    assert.deepEqual(blockChildren(directory.cid, directory.bytes, plainReading(), cipher).map((child) => child.cid.toString()), [dag.root.toString()]);
    assert.equal(isDirectoryNode(file.cid, file.bytes, plainReading(), cipher), false);
    assert.ok(blockChildren(file.cid, file.bytes, plainReading(), cipher).length > 0);
    const leaf = blocks.find((block) => block.cid.code === 0x55) as Block;
    assert.equal(isDirectoryNode(leaf.cid, leaf.bytes, plainReading(), cipher), false);
  });

  it('sealed: a directory node is one and names its entries with their keys; a file root is not, and a chunk is never read', () => {
    const builder = new EncryptedFileDagBuilder(cipher, sha256, 2);
    const blocks: Block[] = [];
    for (let i = 0; i < 3; i++) blocks.push(...builder.add(bytesOf(1000, 10 + i)));
    const { blocks: last, file } = builder.finish();
    blocks.push(...last);
    const root = blockOf(blocks, file.capability.root.toString());
    const directory = encryptedDirectoryBlock([{ name: 'f', cid: file.capability.root, key: file.capability.key, size: file.fileBytes }], cipher, sha256);
    const dirBlock = blockOf(directory.blocks, directory.capability.root.toString());
    const reading = sealedRootReading(directory.capability.key);
    assert.equal(isDirectoryNode(dirBlock.cid, dirBlock.bytes, reading, cipher), true);
    const children = blockChildren(dirBlock.cid, dirBlock.bytes, reading, cipher);
    assert.deepEqual(children.map((child) => child.cid.toString()), [file.capability.root.toString()]);
    assert.equal(isDirectoryNode(root.cid, root.bytes, children[0].reading, cipher), false);
    // A chunk's reading says it is no node: nothing is decrypted to answer.
    assert.equal(isDirectoryNode(root.cid, root.bytes, { kind: 'sealed', key: file.capability.key, node: false }, cipher), false);
    // The wrong key is a clear error, not a guess.
    assert.throws(() => isDirectoryNode(dirBlock.cid, dirBlock.bytes, sealedRootReading(new Uint8Array(32)), cipher), /cannot decrypt/);
  });
});
