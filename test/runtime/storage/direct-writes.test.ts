/**
 * Direct writes (runtime/storage/direct-writes.ts): a file written around the page cache holds
 * exactly the bytes given — whole pieces, a padded and truncated last piece, many small buffers —
 * also with more writes at once than the pool has buffers; and a blockstore whose large packs are
 * written so reads them back, passes fsck, and keeps each pack file at its true size. Where the file
 * system refuses O_DIRECT, open answers null and the store writes as before (the same tests then
 * check the buffered path).
 */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DirectWrites } from '../../../src/runtime/storage/direct-writes.ts';
import { DIRECT_PACK_BYTES_MIN } from '../../../src/runtime/storage/pack-files.ts';
import { blockBytes, freshStore, locationOf, TemporaryDirs, testBlock } from './blockstore-harness.ts';

const KiB = 1024;

describe('direct writes', () => {
  const dirs = new TemporaryDirs();
  after(() => dirs.removeAll());

  it('writes exactly the bytes given: whole pieces, a last piece padded then truncated, many small buffers; several at once through a pool of two', async (t) => {
    const dir = await dirs.make();
    const writes = await DirectWrites.open(dir, { pieceBytes: 64 * KiB, buffersMax: 2 });
    if (writes === null) {
      t.skip('this file system does not take O_DIRECT');
      return;
    }
    const cases = [
      [blockBytes('whole', 128 * KiB)],
      [blockBytes('odd', 100_003)],
      Array.from({ length: 300 }, (_, index) => blockBytes(`small-${index}`, 1 + (index * 37) % 1000)),
      [new Uint8Array(0), blockBytes('after-empty', 5000), new Uint8Array(0)],
    ];
    // Five files at once through two buffers: the others wait for one.
    await Promise.all([...cases, [blockBytes('fifth', 70_000)]].map(async (buffers, index) => {
      const path = join(dir, `file-${index}`);
      const total = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
      const handle = await writes.write(path, buffers, total);
      await handle.close();
      assert.deepEqual(await readFile(path), Buffer.concat(buffers), `file ${index}`);
      assert.equal((await stat(path)).size, total);
    }));
    await assert.rejects(writes.write(join(dir, 'file-0'), [blockBytes('again', 10)], 10), /EEXIST/, 'never replaces a file');
    await assert.rejects(writes.write(join(dir, 'short'), [blockBytes('short', 10)], 11), /direct write of 10 bytes where 11 were announced/);
    assert.equal(writes.usable, true, 'a caller\'s mistake is not a failure of the file system');
    // Nor is a file that exists: only a write that fails once the file is open stops direct writes.
    await assert.rejects(writes.write(join(dir, 'file-1'), [blockBytes('again', 10)], 10), /EEXIST/);
    assert.equal(writes.usable, true);
  });

  it('a store writes its large packs directly and reads them back, fsck clean, each pack file at its true size', async () => {
    const direct = await freshStore(dirs, { durability: 'batch' });
    const buffered = await freshStore(dirs, { durability: 'batch', directWrites: false });
    try {
      const blocks = Array.from({ length: 9 }, (_, index) => testBlock(`large-${index}`, 200_000 + index * 13));
      assert.ok(blocks.reduce((sum, block) => sum + block.bytes.length, 0) > DIRECT_PACK_BYTES_MIN);
      for (const store of [direct, buffered]) {
        await store.putMany(blocks.map((block) => ({ cid: block.cid, bytes: block.bytes })));
        for (const block of blocks) assert.deepEqual(await store.get(block.cid), block.bytes);
        const packs = new Set(blocks.map((block) => locationOf(store, block.cid).path));
        assert.equal(packs.size, 1, 'one pack');
        const report = await store.fsck();
        assert.equal(report.ok, true, JSON.stringify(report));
      }
      assert.equal(buffered.packsWrittenDirectly, null);
      if (direct.packsWrittenDirectly !== null) assert.equal(direct.packsWrittenDirectly, 1, 'the pack was written directly');
      const sizes = await Promise.all([direct, buffered].map(async (store) => (await stat(locationOf(store, blocks[0].cid).path)).size));
      assert.equal(sizes[0], sizes[1], 'no padding is left in the pack');
      assert.equal(await readFile(locationOf(direct, blocks[0].cid).path).then((bytes) => bytes.length), sizes[1]);
    } finally {
      await Promise.all([direct.close(), buffered.close()]);
    }
  });
});
