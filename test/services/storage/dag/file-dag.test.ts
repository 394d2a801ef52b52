import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as DagPb from '@ipld/dag-pb';
import fc from 'fast-check';
import { UnixFS } from 'ipfs-unixfs';
import { cidOf, Codec, parseStorageCid, type Block, type CID } from '../../../../src/services/storage/dag/cids.ts';
import { DagError } from '../../../../src/services/storage/dag/dag-error.ts';
import { FileDagBuilder } from '../../../../src/services/storage/dag/file-layout.ts';
import { fileBlocks, fileHead, readFile } from '../../../../src/services/storage/dag/file-reader.ts';
import { DagLimits } from '../../../../src/services/storage/dag/limits.ts';
import { bytesOf, collect, memoryStore, sha256, type MemoryStore } from '../helpers.ts';



function build(chunks: readonly Uint8Array[], linksPerNodeMax?: number): { root: CID; fileBytes: number; store: MemoryStore } {
  const store = memoryStore();
  const builder = new FileDagBuilder(sha256, linksPerNodeMax);
  for (const chunk of chunks) for (const block of builder.add(chunk)) store.put([block]);
  const { blocks, dag } = builder.finish();
  for (const block of blocks) store.put([block]);
  return { root: dag.root, fileBytes: dag.fileBytes, store };
}



describe('file DAGs (UnixFS over raw leaves, balanced layout)', () => {
  it('an empty file is the raw block of no bytes, the CID every IPFS tool gives it', () => {
    const { root, fileBytes } = build([]);
    assert.equal(root.toString(), 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku');
    assert.equal(fileBytes, 0);
  });

  it('a file of one chunk is that raw leaf itself', async () => {
    const chunk = bytesOf(1000, 7);
    const { root, store } = build([chunk]);
    assert.equal(root.code, Codec.raw);
    assert.deepEqual(root, cidOf(Codec.raw, chunk, sha256));
    assert.deepEqual(await collect(readFile(root, store.get)), chunk);
  });

  it('any chunking and any fan-out read back byte for byte, also from any offset; all leaves sit at one depth', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 0, maxLength: 60 }),
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.nat(),
        async (sizes, fanOut, seed, skipSeed) => {
          const chunks = sizes.map((size, i) => bytesOf(size, seed + i));
          const whole = Buffer.concat(chunks);
          const { root, fileBytes, store } = build(chunks, fanOut);
          assert.equal(fileBytes, whole.length);
          assert.deepEqual(await collect(readFile(root, store.get)), new Uint8Array(whole));
          assert.equal((await fileHead(root, store.get)).fileBytes, whole.length);
          const skip = whole.length === 0 ? 0 : skipSeed % (whole.length + 1);
          assert.deepEqual(await collect(readFile(root, store.get, skip)), new Uint8Array(whole.subarray(skip)));
          // Uniform leaf depth, and every node within the fan-out.
          const depths = new Set<number>();
          const walk = async (cid: CID, depth: number): Promise<void> => {
            if (cid.code === Codec.raw) {
              depths.add(depth);
              return;
            }
            const node = DagPb.decode(await store.get(cid));
            assert.ok(node.Links.length <= fanOut && node.Links.length >= 1);
            for (const link of node.Links) await walk(link.Hash, depth + 1);
          };
          await walk(root, 0);
          assert.ok(depths.size <= 1, `leaves at depths ${[...depths]}`);
          // fileBlocks names every block exactly once per reference, parents first.
          let listed = 0;
          for await (const block of fileBlocks(root, store.get)) {
            assert.ok(store.blocks.has(block.cid.toString()));
            listed++;
          }
          assert.ok(listed >= 1);
        },
      ),
      { numRuns: 120, seed: 0x4d41 },
    );
  });

  it('174 links per node by default; a parent records its children\'s sizes for IPFS tools (UnixFS blockSizes, Tsize)', async () => {
    const chunks = Array.from({ length: 400 }, (_, i) => bytesOf(64 + (i % 7), i));
    const { root, store } = build(chunks);
    const node = DagPb.decode(await store.get(root));
    const unixfs = UnixFS.unmarshal(node.Data as Uint8Array);
    assert.equal(unixfs.type, 'file');
    assert.equal(unixfs.fileSize(), BigInt(chunks.reduce((sum, chunk) => sum + chunk.length, 0)));
    assert.equal(node.Links.length, 3, '400 leaves = 174 + 174 + 52 under the root');
    const first = DagPb.decode(await store.get(node.Links[0].Hash));
    assert.equal(first.Links.length, 174);
    assert.equal(node.Links[0].Tsize, (await store.get(node.Links[0].Hash)).length + chunks.slice(0, 174).reduce((sum, chunk) => sum + chunk.length, 0));
  });

  it('refuses bad arguments: a chunk over the block limit, a fan-out out of range, use after finish', () => {
    assert.throws(() => new FileDagBuilder(sha256, 1), RangeError);
    assert.throws(() => new FileDagBuilder(sha256, 175), RangeError);
    const builder = new FileDagBuilder(sha256);
    assert.throws(() => builder.add(new Uint8Array(DagLimits.blockBytesMax + 1)), RangeError);
    builder.finish();
    assert.throws(() => builder.add(new Uint8Array(1)), /finished/);
  });

  it('parses only CIDv1 with SHA-256', () => {
    assert.ok(parseStorageCid('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'));
    assert.equal(parseStorageCid('QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH'), null, 'CIDv0');
    assert.equal(parseStorageCid('not a cid'), null);
    assert.equal(parseStorageCid('../../etc/passwd'), null);
  });
});

describe('reading a hostile file DAG', () => {
  function node(links: { cid: CID; size: number }[], sizes?: bigint[], type: 'file' | 'directory' = 'file'): Block {
    const unixfs = new UnixFS({ type, blockSizes: type === 'file' ? (sizes ?? links.map((link) => BigInt(link.size))) : [] });
    const bytes = DagPb.encode({ Data: unixfs.marshal(), Links: links.map((link) => ({ Hash: link.cid, Name: '', Tsize: link.size })) });
    return { cid: cidOf(Codec.dagPb, bytes, sha256), bytes, links: links.map((link) => link.cid) };
  }

  async function readError(root: CID, store: MemoryStore): Promise<DagError> {
    try {
      await collect(readFile(root, store.get));
    } catch (error) {
      assert.ok(error instanceof DagError, `a DagError, not ${error}`);
      return error;
    }
    assert.fail('the read should have failed');
  }

  it('a parent claiming more bytes than its child holds', async () => {
    const store = memoryStore();
    const leaf = { cid: cidOf(Codec.raw, bytesOf(10, 1), sha256), bytes: bytesOf(10, 1), links: [] };
    store.put([leaf]);
    const parent = node([{ cid: leaf.cid, size: 10 }], [11n]);
    store.put([parent]);
    assert.match((await readError(parent.cid, store)).message, /parent says 11 bytes, the block says 10/);
  });

  it('links and block sizes that do not pair up, absurd sizes, and a directory where a file should be', async () => {
    const store = memoryStore();
    const leaf = { cid: cidOf(Codec.raw, bytesOf(10, 1), sha256), bytes: bytesOf(10, 1), links: [] };
    store.put([leaf]);
    const unpaired = node([{ cid: leaf.cid, size: 10 }], [10n, 5n]);
    store.put([unpaired]);
    assert.match((await readError(unpaired.cid, store)).message, /1 links but 2 block sizes/);
    const absurd = node([{ cid: leaf.cid, size: 10 }], [2n ** 60n]);
    store.put([absurd]);
    assert.match((await readError(absurd.cid, store)).message, /absurd block size/);
    const directory = node([], undefined, 'directory');
    store.put([directory]);
    assert.match((await readError(directory.cid, store)).message, /expected a file/);
    const garbage = { cid: cidOf(Codec.dagPb, bytesOf(40, 3), sha256), bytes: bytesOf(40, 3), links: [] };
    store.put([garbage]);
    assert.match((await readError(garbage.cid, store)).message, /not a UnixFS node/);
  });

  it('a chain deeper than the limit, and one subtree named over and over, stop at the bounds instead of expanding', async () => {
    const store = memoryStore();
    const leafBytes = bytesOf(1000, 5);
    let top: { cid: CID; size: number } = { cid: cidOf(Codec.raw, leafBytes, sha256), size: 1000 };
    store.put([{ cid: top.cid, bytes: leafBytes, links: [] }]);
    for (let level = 0; level <= DagLimits.depthMax; level++) {
      const parent = node([top]);
      store.put([parent]);
      top = { cid: parent.cid, size: top.size };
    }
    assert.match((await readError(top.cid, store)).message, /deeper than/);
    // A "zip bomb": each level names the one below 174 times; its claimed size passes the limit first.
    let bomb: { cid: CID; size: number } = { cid: cidOf(Codec.raw, leafBytes, sha256), size: 1000 };
    for (let level = 0; level < 6; level++) {
      const parent = node(Array.from({ length: 174 }, () => bomb));
      store.put([parent]);
      bomb = { cid: parent.cid, size: bomb.size * 174 };
    }
    assert.match((await readError(bomb.cid, store)).message, /over the .*-byte limit|absurd block size/);
  });
});
