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
import { blockChildren, fileChildSpans, isDirectoryNode, plainReading, sealedRootReading } from '../../../../src/services/storage/walk/block-children.ts';
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

  it('a file node says where each child\'s bytes lie, plain or sealed; a leaf or a directory has no spans', () => {
    const sizes = [1000, 2500, 700, 1800, 900];
    const plain = new FileDagBuilder(sha256, 2);
    const sealed = new EncryptedFileDagBuilder(cipher, sha256, 2);
    const plainBlocks: Block[] = [];
    const sealedBlocks: Block[] = [];
    sizes.forEach((size, i) => {
      plainBlocks.push(...plain.add(bytesOf(size, 20 + i)));
      sealedBlocks.push(...sealed.add(bytesOf(size, 20 + i)));
    });
    const plainEnd = plain.finish();
    plainBlocks.push(...plainEnd.blocks);
    const sealedEnd = sealed.finish();
    sealedBlocks.push(...sealedEnd.blocks);
    // Two links per node: the root's children hold 4 chunks and 1 (a balanced tree of depth 3).
    for (const [blocks, rootCid, reading] of [
      [plainBlocks, plainEnd.dag.root, plainReading()],
      [sealedBlocks, sealedEnd.file.capability.root, sealedRootReading(sealedEnd.file.capability.key)],
    ] as const) {
      const root = blockOf(blocks, rootCid.toString());
      const spans = fileChildSpans(root.cid, root.bytes, reading, cipher);
      assert.ok(spans !== null);
      assert.deepEqual(spans.map((span) => [span.offset, span.fileBytes]), [[0, 1000 + 2500 + 700 + 1800], [6000, 900]]);
      // Down to the chunks: each span is its chunk's place in the file.
      const chunks: [number, number][] = [];
      const walk = (cid: string, childReading: typeof reading | (typeof spans)[number]['child']['reading'], base: number): void => {
        const block = blockOf(blocks, cid);
        const below = fileChildSpans(block.cid, block.bytes, childReading, cipher);
        if (below === null) return;
        for (const span of below) {
          const next = fileChildSpans(span.child.cid, blockOf(blocks, span.child.cid.toString()).bytes, span.child.reading, cipher);
          if (next === null) chunks.push([base + span.offset, span.fileBytes]);
          else walk(span.child.cid.toString(), span.child.reading, base + span.offset);
        }
      };
      walk(rootCid.toString(), reading, 0);
      assert.deepEqual(chunks, [[0, 1000], [1000, 2500], [3500, 700], [4200, 1800], [6000, 900]]);
    }
    const leaf = plainBlocks.find((block) => block.cid.code === 0x55) as Block;
    assert.equal(fileChildSpans(leaf.cid, leaf.bytes, plainReading(), cipher), null);
    const directory = directoryBlock([{ name: 'f', cid: plainEnd.dag.root, dagBytes: plainEnd.dag.dagBytes }], sha256);
    assert.equal(fileChildSpans(directory.cid, directory.bytes, plainReading(), cipher), null);
  });
});
