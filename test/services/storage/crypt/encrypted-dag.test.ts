import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createNodeContentCipher } from '../../../../src/runtime/content-cipher-node.ts';
import type { Block } from '../../../../src/services/storage/dag/cids.ts';
import { DagError } from '../../../../src/services/storage/dag/dag-error.ts';
import type { GetBlock } from '../../../../src/services/storage/dag/file-reader.ts';
import { formatCapability, parseCapability, type Capability } from '../../../../src/services/storage/crypt/capability.ts';
import { encryptedDirectoryBlock } from '../../../../src/services/storage/crypt/encrypted-directory.ts';
import { EncryptedFileDagBuilder, sealBlock } from '../../../../src/services/storage/crypt/encrypted-file-layout.ts';
import { encodeEncryptedNode } from '../../../../src/services/storage/crypt/encrypted-node.ts';
import { openNode, readEncryptedDirectory, readEncryptedFile } from '../../../../src/services/storage/crypt/encrypted-reader.ts';
import { bytesOf, collect, memoryStore, sha256, type MemoryStore } from '../helpers.ts';

const secretA = new Uint8Array(32).fill(1);
const secretB = new Uint8Array(32).fill(2);
const cipherA = createNodeContentCipher(secretA);



function store(chunks: readonly Uint8Array[], cipher = cipherA, fanOut?: number): { capability: Capability; fileBytes: number; memory: MemoryStore } {
  const memory = memoryStore();
  const builder = new EncryptedFileDagBuilder(cipher, sha256, fanOut);
  for (const chunk of chunks) memory.put(builder.add(chunk));
  const { blocks, file } = builder.finish();
  memory.put(blocks);
  return { capability: file.capability, fileBytes: file.fileBytes, memory };
}


describe('encrypted files (convergent encryption)', () => {
  it('read back byte for byte for any chunking and fan-out, also from any offset', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 40 }), fc.integer({ min: 2, max: 5 }), fc.nat(), fc.nat(),
        async (sizes, fanOut, seed, skipSeed) => {
          const chunks = sizes.map((size, i) => bytesOf(size, seed + i));
          const whole = new Uint8Array(Buffer.concat(chunks));
          const { capability, fileBytes, memory } = store(chunks, cipherA, fanOut);
          assert.equal(fileBytes, whole.length);
          assert.deepEqual(await collect(readEncryptedFile(capability, memory.get, cipherA)), whole);
          const skip = skipSeed % (whole.length + 1);
          assert.deepEqual(await collect(readEncryptedFile(capability, memory.get, cipherA, skip)), whole.subarray(skip));
        },
      ),
      { numRuns: 80, seed: 0xc4 },
    );
  });

  it('storage nodes see only ciphertext: no block contains any 16 bytes of the plaintext', () => {
    const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog. '.repeat(200));
    const chunks = [text.subarray(0, 3000), text.subarray(3000, 6000), text.subarray(6000)];
    const { memory } = store(chunks);
    const needle = Buffer.from(text.subarray(100, 116));
    for (const bytes of memory.blocks.values()) assert.equal(Buffer.from(bytes).indexOf(needle), -1);
  });

  it('converges: the same content under the same secret gives the same blocks and capability; another secret gives others', () => {
    const chunks = [bytesOf(500, 1), bytesOf(700, 2), bytesOf(500, 1)];
    const first = store(chunks);
    const again = store(chunks);
    assert.equal(formatCapability(first.capability), formatCapability(again.capability));
    assert.deepEqual([...first.memory.blocks.keys()].sort(), [...again.memory.blocks.keys()].sort());
    assert.equal(first.memory.blocks.size, 3, 'two distinct chunks (one repeated) and the file node');
    const other = store(chunks, createNodeContentCipher(secretB));
    const shared = [...other.memory.blocks.keys()].filter((cid) => first.memory.blocks.has(cid));
    assert.deepEqual(shared, [], 'no block in common under another secret');
  });

  it('a wrong key or an altered block fails with a clear error, never garbage', async () => {
    const { capability, memory } = store([bytesOf(400, 9), bytesOf(400, 10)]);
    const wrongKey = { root: capability.root, key: new Uint8Array(32) };
    await assert.rejects(collect(readEncryptedFile(wrongKey, memory.get, cipherA)), (error) => error instanceof DagError && /cannot decrypt/.test(error.message));
    const otherSecret = createNodeContentCipher(secretB);
    assert.deepEqual((await collect(readEncryptedFile(capability, memory.get, otherSecret))).length, 800, 'the key is in the capability: the secret is needed to write, not to read');
    // A holder that flips a bit in a chunk (and a getBlock that did not check the CID) is caught by GCM.
    const altered: GetBlock = async (cid) => {
      const bytes = new Uint8Array(await memory.get(cid));
      if (cid.toString() !== capability.root.toString()) bytes[0] ^= 1;
      return bytes;
    };
    await assert.rejects(collect(readEncryptedFile(capability, altered, cipherA)), /cannot decrypt/);
  });

  it('a hostile file node (sizes that do not add up, a child that is not what it says) is refused', async () => {
    const memory = memoryStore();
    const blocks: Block[] = [];
    const chunk = sealBlock(bytesOf(100, 3), cipherA, sha256, [], blocks);
    const mismatched = sealBlock(encodeEncryptedNode({ kind: 'file', depth: 1, size: 99, links: [{ ...chunk, size: 99 }] }), cipherA, sha256, [], blocks);
    memory.put(blocks);
    await assert.rejects(collect(readEncryptedFile({ root: mismatched.cid, key: mismatched.key }, memory.get, cipherA)), /parent says 99 bytes/);
    const unbalanced = sealBlock(encodeEncryptedNode({ kind: 'file', depth: 1, size: 150, links: [{ ...chunk, size: 100 }] }), cipherA, sha256, [], blocks);
    memory.put(blocks);
    await assert.rejects(collect(readEncryptedFile({ root: unbalanced.cid, key: unbalanced.key }, memory.get, cipherA)), /links add up to 100 bytes, the node says 150/);
    const deeper = sealBlock(encodeEncryptedNode({ kind: 'file', depth: 2, size: 100, links: [{ ...chunk, size: 100 }] }), cipherA, sha256, [], blocks);
    memory.put(blocks);
    await assert.rejects(collect(readEncryptedFile({ root: deeper.cid, key: deeper.key }, memory.get, cipherA)), DagError);
  });
});

describe('encrypted directories and capabilities', () => {
  it('a directory lists its entries with their capabilities; names are checked', async () => {
    const a = store([bytesOf(10, 1)]);
    const b = store([bytesOf(20, 2)]);
    const memory = memoryStore();
    for (const source of [a.memory, b.memory]) for (const [key, bytes] of source.blocks) memory.blocks.set(key, bytes);
    const { blocks, capability } = encryptedDirectoryBlock([
      { name: 'b.bin', cid: b.capability.root, key: b.capability.key, size: 20 },
      { name: 'a.bin', cid: a.capability.root, key: a.capability.key, size: 10 },
    ], cipherA, sha256);
    memory.put(blocks);
    const directory = await readEncryptedDirectory(capability, memory.get, cipherA);
    assert.deepEqual(directory.entries.map((entry) => entry.name), ['a.bin', 'b.bin']);
    const child = directory.entries[1];
    assert.equal((await collect(readEncryptedFile({ root: child.cid, key: child.key }, memory.get, cipherA))).length, 20);
    assert.equal((await openNode(capability, memory.get, cipherA)).kind, 'dir');
    await assert.rejects(collect(readEncryptedFile(capability, memory.get, cipherA)), /names a directory/);
    assert.throws(() => encryptedDirectoryBlock([{ name: '../x', cid: a.capability.root, key: a.capability.key, size: 10 }], cipherA, sha256), DagError);
    // A hostile directory node, sealed by hand, with a traversal name.
    const hostile: Block[] = [];
    const sealed = sealBlock(encodeEncryptedNode({ kind: 'dir', entries: [{ name: '/etc/passwd', cid: a.capability.root, key: a.capability.key, size: 10 }] }), cipherA, sha256, [], hostile);
    memory.put(hostile);
    await assert.rejects(readEncryptedDirectory({ root: sealed.cid, key: sealed.key }, memory.get, cipherA), /path separator/);
  });

  it('capabilities round-trip; anything else is not one', () => {
    const { capability } = store([bytesOf(10, 1)]);
    const text = formatCapability(capability);
    assert.match(text, /^pgcap1:bafk[a-z2-7]+:[a-z2-7]+$/);
    const parsed = parseCapability(text);
    assert.ok(parsed);
    assert.equal(parsed.root.toString(), capability.root.toString());
    assert.deepEqual(parsed.key, new Uint8Array(capability.key));
    for (const bad of ['', 'pgcap1:', `pgcap1:${capability.root}`, `pgcap1:${capability.root}:abc`, `pgcap1:nonsense:${text.split(':')[2]}`, text.replace('pgcap1', 'pgcap2')]) {
      assert.equal(parseCapability(bad), null, bad);
    }
  });
});
