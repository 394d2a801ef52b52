/** The local blockstore: put, get, has, delete, batches, bad input, the lock. */
import assert from 'node:assert/strict';
import { readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { BlockCodecs, blockKeyOf, cidOfBytes, parseCid } from '../../../src/runtime/storage/block-cid.ts';
import { Blockstore } from '../../../src/runtime/storage/blockstore.ts';
import { BlockstoreLimits, LOCAL_OWNER } from '../../../src/runtime/storage/blockstore-limits.ts';
import { TemporaryDirs, TestClock, bytesInPack, freshStore, locationOf, testBlock } from './blockstore-harness.ts';

const dirs = new TemporaryDirs();
after(() => dirs.removeAll());

describe('blockstore: put and get', () => {
  it('stores a block, reads it back verified, and deletes it', async () => {
    const store = await freshStore(dirs);
    const block = testBlock('a', 5000);
    assert.equal(store.has(block.cid), false);
    assert.deepEqual(await store.put(block.cid, block.bytes), { written: 1, existing: 0, bytesWritten: 5000 });
    assert.equal(store.has(block.cid), true);
    assert.equal(store.size(block.cid), 5000);
    assert.deepEqual(await store.get(block.cid), block.bytes);
    // The bytes are in a pack file in packs/, where the index says.
    const { path } = locationOf(store, block.cid);
    assert.equal(dirname(path), join(store.dir, 'packs'));
    assert.deepEqual(await bytesInPack(store, block.cid), block.bytes);
    assert.equal((await stat(path)).mode & 0o077, 0, 'files are private to the owner');
    assert.equal(await store.delete(block.cid), true);
    assert.equal(await store.delete(block.cid), false);
    assert.equal(store.has(block.cid), false);
    await assert.rejects(store.get(block.cid), { name: 'BlockNotFoundError' });
    await assert.rejects(stat(path), { code: 'ENOENT' }, 'a pack with nothing live left is removed');
    assert.deepEqual(await readdir(join(store.dir, 'tmp')), []);
    await store.close();
  });

  it('records the links of a block stored without them, beside any recorded; a block not stored gets none', async () => {
    const store = await freshStore(dirs);
    const [parent, a, b] = [testBlock('parent', 300), testBlock('child a', 300), testBlock('child b', 300)];
    await store.put(parent.cid, parent.bytes);
    assert.deepEqual(store.links(parent.cid), []);
    store.addLinks(parent.cid, [a.cid]);
    store.addLinks(parent.cid, [a.cid, b.cid]);
    assert.deepEqual(store.links(parent.cid).map(String).sort(), [a.cid, b.cid].map(String).sort());
    store.addLinks(a.cid, [b.cid]);
    assert.deepEqual(store.links(a.cid), [], 'a block not stored is left alone');
    // gc follows them from a recursive pin.
    await store.put(a.cid, a.bytes);
    await store.put(b.cid, b.bytes);
    store.pin(parent.cid, { name: 'kept', recursive: true });
    await store.gc({ graceMs: 0 });
    assert.deepEqual([store.has(a.cid), store.has(b.cid)], [true, true]);
    await store.close();
  });

  it('is idempotent: a second put only refreshes the access time', async () => {
    const clock = new TestClock();
    const store = await freshStore(dirs, { nowUnixMs: clock.now });
    const block = testBlock('b');
    await store.put(block.cid, block.bytes);
    const first = store.stat(block.cid);
    clock.advance(5000);
    assert.deepEqual(await store.put(block.cid, block.bytes), { written: 0, existing: 1, bytesWritten: 0 });
    const second = store.stat(block.cid);
    assert.equal(second?.addedAtMs, first?.addedAtMs);
    assert.equal(second?.accessedAtMs, (first?.accessedAtMs ?? 0) + 5000);
    await store.close();
  });

  it('keys blocks by multihash: the same bytes as raw, dag-cbor or CIDv0 are one block', async () => {
    const store = await freshStore(dirs);
    const block = testBlock('c', 100, BlockCodecs.raw);
    const asCbor = CID.createV1(BlockCodecs.dagCbor, block.cid.multihash);
    const asV0 = CID.createV0(Digest.create(0x12, block.cid.multihash.digest));
    await store.put(block.cid, block.bytes);
    assert.deepEqual(await store.put(asCbor, block.bytes), { written: 0, existing: 1, bytesWritten: 0 });
    assert.deepEqual(await store.get(asV0), block.bytes);
    assert.equal(store.stat(asCbor)?.cid.code, BlockCodecs.raw, 'the codec of the first put is kept');
    assert.deepEqual([...store.cids()].map(String), [block.cid.toString()]);
    await store.close();
  });

  it('refuses bytes that do not match their CID, and writes nothing', async () => {
    const store = await freshStore(dirs);
    const block = testBlock('d');
    const other = testBlock('e');
    await assert.rejects(store.put(block.cid, other.bytes), (error: Error & { cid?: string }) => {
      assert.equal(error.name, 'BlockMismatchError');
      assert.equal(error.cid, block.cid.toString());
      return true;
    });
    // One bad block in a batch refuses the batch.
    await assert.rejects(store.putMany([other, { cid: block.cid, bytes: other.bytes }]), { name: 'BlockMismatchError' });
    assert.equal(store.has(block.cid), false);
    assert.equal(store.has(other.cid), false);
    assert.deepEqual(await readdir(join(store.dir, 'packs')), [], 'no pack was written');
    assert.deepEqual(await readdir(join(store.dir, 'tmp')), []);
    assert.equal((await store.fsck()).ok, true);
    await store.close();
  });

  it('refuses hashes other than sha2-256, oversized blocks and things that are not CIDs', async () => {
    const store = await freshStore(dirs);
    const bytes = new Uint8Array([1, 2, 3]);
    const identity = CID.createV1(BlockCodecs.raw, Digest.create(0x00, bytes));
    await assert.rejects(store.put(identity, bytes), { name: 'UnsupportedHashError', message: /sha2-256/ });
    const sha512 = CID.createV1(BlockCodecs.raw, Digest.create(0x13, new Uint8Array(64)));
    assert.throws(() => store.has(sha512), { name: 'UnsupportedHashError' });
    const truncated = CID.createV1(BlockCodecs.raw, Digest.create(0x12, new Uint8Array(20)));
    assert.throws(() => store.has(truncated), { name: 'UnsupportedHashError' });
    const big = new Uint8Array(BlockstoreLimits.blockBytesMax + 1);
    await assert.rejects(store.put(cidOfBytes(big), big), { name: 'BlockTooLargeError' });
    assert.throws(() => store.has('bafkrei' as unknown as CID), { name: 'InvalidCidError' });
    assert.throws(() => parseCid('../../etc/passwd'), { name: 'InvalidCidError' });
    await assert.rejects(store.put(testBlock('f').cid, testBlock('f').bytes, { owner: '' }), { name: 'BlockstoreArgumentError' });
    await assert.rejects(store.put(testBlock('f').cid, 'text' as unknown as Uint8Array), { name: 'BlockstoreArgumentError' });
    await assert.rejects(store.put(testBlock('f').cid, testBlock('f').bytes, { durability: 'sometimes' as never }), { name: 'BlockstoreArgumentError' });
    assert.equal(store.usage().blocks, 0);
    await store.close();
  });

  it('names files only by numbers it allocated: packs are 16 hex digits, never reused', async () => {
    const store = await freshStore(dirs);
    const block = testBlock('g');
    const key = blockKeyOf(block.cid);
    assert.match(key.hex, /^[0-9a-f]{64}$/);
    assert.equal(key.canonical, block.cid.toString());
    await store.put(block.cid, block.bytes);
    const first = basename(locationOf(store, block.cid).path);
    assert.match(first, /^[0-9a-f]{16}\.pack$/);
    await store.delete(block.cid);
    await store.put(block.cid, block.bytes);
    assert.notEqual(basename(locationOf(store, block.cid).path), first, 'a removed pack id is not given out again');
    await store.close();
  });

  it('writes one pack per call, holding every new block of it', async () => {
    const store = await freshStore(dirs);
    const blocks = Array.from({ length: 12 }, (_, index) => testBlock(`packed-${index}`, 3000 + index));
    await store.putMany(blocks);
    assert.equal(new Set(blocks.map((block) => locationOf(store, block.cid).path)).size, 1);
    assert.deepEqual(await readdir(join(store.dir, 'packs')), [basename(locationOf(store, blocks[0].cid).path)]);
    for (const block of blocks) assert.deepEqual(await bytesInPack(store, block.cid), block.bytes);
    // A block already stored is not written again by a later call.
    const more = [blocks[0], testBlock('packed-new', 100)];
    assert.deepEqual(await store.putMany(more), { written: 1, existing: 1, bytesWritten: 100 });
    assert.equal(locationOf(store, blocks[0].cid).path, locationOf(store, blocks[1].cid).path);
    await store.close();
  });

  it('stores batches and streams in one transaction per batch, with duplicates merged', async () => {
    const store = await freshStore(dirs);
    const blocks = Array.from({ length: 300 }, (_, index) => testBlock(`batch-${index}`, 512));
    const result = await store.putMany([...blocks.slice(0, 10), ...blocks.slice(0, 10)]);
    assert.deepEqual(result, { written: 10, existing: 0, bytesWritten: 5120 });
    async function* stream() {
      for (const block of blocks) yield block;
    }
    assert.deepEqual(await store.putAll(stream()), { written: 290, existing: 10, bytesWritten: 290 * 512 });
    assert.equal(store.usage().blocks, 300);
    for (const block of blocks.slice(0, 20)) assert.deepEqual(await store.get(block.cid), block.bytes);
    await store.close();
  });

  it('pins with the last batch of a put: one durable commit for a put and its pin, and no pin when the put fails', async () => {
    const store = await freshStore(dirs);
    const index = (store as unknown as { index: { transaction: (durable: boolean, body: () => unknown) => unknown } }).index;
    const transaction = index.transaction.bind(index);
    let durableCommits = 0;
    index.transaction = (durable, body) => {
      if (durable) durableCommits++;
      return transaction(durable, body);
    };
    const names = (): string[][] => store.listPins().map((pin) => [pin.cid.toString(), pin.name]);
    // One batch: its commit carries the pin.
    const small = testBlock('pinned-small', 512);
    await store.putMany([small], { pin: { cid: small.cid, name: 'one' } });
    assert.equal(durableCommits, 1);
    assert.deepEqual(names(), [[small.cid.toString(), 'one']]);
    // Two batches (over blocksPerBatchMax blocks): pinned once both are in.
    const many = Array.from({ length: BlockstoreLimits.blocksPerBatchMax + 10 }, (_, at) => testBlock(`pinned-${at}`, 64));
    await store.putMany(many, { pin: { cid: many[0].cid, name: 'two' } });
    assert.deepEqual(names().filter(([, name]) => name === 'two'), [[many[0].cid.toString(), 'two']]);
    // Blocks already stored, or none at all: still pinned.
    await store.putMany([small], { pin: { cid: small.cid, name: 'again' } });
    await store.putMany([], { pin: { cid: many[1].cid, name: 'nothing-put' } });
    assert.deepEqual(names().filter(([, name]) => name === 'again' || name === 'nothing-put').sort(), [[small.cid.toString(), 'again'], [many[1].cid.toString(), 'nothing-put']].sort());
    // A refused put (one bad block in its last batch: nothing of it is written) pins nothing.
    const failing = Array.from({ length: BlockstoreLimits.blocksPerBatchMax + 1 }, (_, at) => testBlock(`failing-${at}`, 64));
    const wrong = testBlock('failing-wrong', 64);
    await assert.rejects(store.putMany([...failing.slice(0, -1), { cid: failing[failing.length - 1].cid, bytes: wrong.bytes }], { pin: { cid: failing[0].cid, name: 'never' } }), { name: 'BlockMismatchError' });
    assert.equal(names().some(([, name]) => name === 'never'), false);
    // A bad pin name is refused before anything is written.
    const unwritten = testBlock('bad-pin-name', 64);
    await assert.rejects(store.putMany([unwritten], { pin: { cid: unwritten.cid, name: 'x'.repeat(10_000) } }));
    assert.equal(store.has(unwritten.cid), false);
    await store.close();
  });

  it('writes each block once when the same block is put concurrently', async () => {
    const store = await freshStore(dirs);
    const block = testBlock('concurrent', 100_000);
    const results = await Promise.all(Array.from({ length: 5 }, () => store.put(block.cid, block.bytes)));
    assert.equal(results.reduce((sum, result) => sum + result.written, 0), 1);
    assert.deepEqual(await store.get(block.cid), block.bytes);
    await store.close();
  });

  it('gives the same answers in every durability mode', async () => {
    for (const durability of ['block', 'batch', 'deferred', 'none'] as const) {
      const store = await freshStore(dirs, { durability });
      const blocks = Array.from({ length: 6 }, (_, index) => testBlock(`${durability}-${index}`, 2048));
      await store.put(blocks[0].cid, blocks[0].bytes);
      await store.putMany(blocks.slice(1));
      for (const block of blocks) assert.deepEqual(await store.get(block.cid), block.bytes);
      assert.equal((await store.fsck()).ok, true);
      await store.close();
    }
  });

  it('leaves packs of deferred and unsynced puts for sync(); a durable put of a block among them syncs its pack first', async () => {
    const store = await freshStore(dirs);
    const [a, b, c] = [testBlock('deferred-a', 3000), testBlock('unsynced-b', 3000), testBlock('durable-c', 3000)];
    await store.put(a.cid, a.bytes, { durability: 'deferred' });
    await store.put(b.cid, b.bytes, { durability: 'none' });
    assert.ok(store.packsUnsynced >= 1 && store.packsUnsynced <= 2, `${store.packsUnsynced} packs unsynced`);
    // A durable put finding b already here does not rest on b's unsynced pack.
    await store.putMany([{ cid: b.cid, bytes: b.bytes }, { cid: c.cid, bytes: c.bytes }], { durability: 'batch' });
    await store.sync();
    assert.equal(store.packsUnsynced, 0);
    await store.sync();
    for (const block of [a, b, c]) assert.deepEqual(await store.get(block.cid), block.bytes);
    await store.close();
    const again = await Blockstore.open(store.dir);
    for (const block of [a, b, c]) assert.deepEqual(await again.get(block.cid), block.bytes);
    assert.equal((await again.fsck()).ok, true);
    await again.close();
  });

  it('syncs the pack of a block a durable put finds here unsynced', async () => {
    const store = await freshStore(dirs);
    const block = testBlock('found-unsynced', 3000);
    await store.put(block.cid, block.bytes, { durability: 'none' });
    assert.equal(store.packsUnsynced, 1);
    const result = await store.put(block.cid, block.bytes, { durability: 'batch' });
    assert.deepEqual([result.written, result.existing], [0, 1]);
    assert.equal(store.packsUnsynced, 0, 'synced before the durable put returned');
    await store.close();
  });

  it('repairs a stored block whose file was lost when it is put again', async () => {
    const store = await freshStore(dirs);
    const block = testBlock('lost');
    await store.put(block.cid, block.bytes);
    await rm(locationOf(store, block.cid).path);
    assert.deepEqual(await store.put(block.cid, block.bytes), { written: 1, existing: 0, bytesWritten: 1024 });
    assert.deepEqual(await store.get(block.cid), block.bytes);
    await store.close();
  });

  it('accounts bytes per owner with one SUM; local data is never charged to a peer', async () => {
    const store = await freshStore(dirs);
    const mine = testBlock('mine', 1000);
    const theirs = testBlock('theirs', 3000);
    const shared = testBlock('shared', 500);
    await store.put(mine.cid, mine.bytes);
    await store.put(theirs.cid, theirs.bytes, { owner: 'peer-A' });
    await store.put(shared.cid, shared.bytes, { owner: 'peer-A' });
    assert.deepEqual(store.usage('peer-A'), { blocks: 2, bytes: 3500 });
    await store.put(shared.cid, shared.bytes);
    assert.deepEqual(store.usage('peer-A'), { blocks: 1, bytes: 3000 });
    assert.deepEqual(store.usage(LOCAL_OWNER), { blocks: 2, bytes: 1500 });
    assert.deepEqual(store.usage(), { blocks: 3, bytes: 4500 });
    await store.put(shared.cid, shared.bytes, { owner: 'peer-B' });
    assert.equal(store.stat(shared.cid)?.owner, LOCAL_OWNER);
    await store.close();
  });

  it('records reads in batches: the access time is seen at once and written later', async () => {
    const clock = new TestClock();
    const store = await freshStore(dirs, { nowUnixMs: clock.now });
    const block = testBlock('read');
    await store.put(block.cid, block.bytes);
    const putAt = clock.nowMs;
    clock.advance(10);
    await store.get(block.cid);
    assert.equal(store.stat(block.cid)?.accessedAtMs, putAt + 10);
    await store.close();
    const reopened = await Blockstore.open(store.dir, { nowUnixMs: clock.now });
    assert.equal(reopened.stat(block.cid)?.accessedAtMs, putAt + 10, 'close writes pending access times');
    await reopened.close();
  });

  it('lets one process at a time open a directory, and is unusable once closed', async () => {
    const dir = await dirs.make();
    const store = await Blockstore.open(dir);
    await assert.rejects(Blockstore.open(dir), (error: Error) => {
      assert.equal(error.name, 'BlockstoreLockedError');
      assert.match(error.message, new RegExp(`pid ${process.pid}`));
      return true;
    });
    const block = testBlock('lock');
    await store.put(block.cid, block.bytes);
    await store.close();
    await store.close();
    assert.throws(() => store.has(block.cid), { name: 'BlockstoreClosedError' });
    await assert.rejects(store.get(block.cid), { name: 'BlockstoreClosedError' });
    const again = await Blockstore.open(dir);
    assert.deepEqual(await again.get(block.cid), block.bytes);
    await again.close();
  });

  it('refuses a directory whose index.sqlite is not its own', async () => {
    const dir = await dirs.make();
    await writeFile(join(dir, 'index.sqlite'), 'this is not a database, it is long enough to have a header of sorts......................................................');
    await assert.rejects(Blockstore.open(dir), { name: 'BlockstoreFormatError', message: /not an SQLite database/ });
    const foreign = await dirs.make();
    const database = new DatabaseSync(join(foreign, 'index.sqlite'));
    database.exec('CREATE TABLE someone_elses (x)');
    database.close();
    await assert.rejects(Blockstore.open(foreign), { name: 'BlockstoreFormatError', message: /another program/ });
    const untouched = new DatabaseSync(join(foreign, 'index.sqlite'));
    assert.equal((untouched.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'delete', 'refused, not altered');
    untouched.close();
  });

  it('refuses an index.sqlite cut short, naming it (SQLite\'s own message names no file)', async () => {
    const dir = await dirs.make();
    const store = await Blockstore.open(dir, { durability: 'none' });
    for (let index = 0; index < 50; index++) {
      const block = testBlock(`cut-${index}`, 300);
      await store.put(block.cid, block.bytes);
    }
    await store.close();
    await truncate(join(dir, 'index.sqlite'), (await stat(join(dir, 'index.sqlite'))).size / 2);
    await assert.rejects(Blockstore.open(dir), { name: 'BlockstoreFormatError', message: /index\.sqlite: database disk image is malformed/ });
  });

  it('waits for puts in progress before closing', async () => {
    const store = await freshStore(dirs, { durability: 'block' });
    const blocks = Array.from({ length: 8 }, (_, index) => testBlock(`closing-${index}`, 4096));
    const puts = blocks.map((block) => store.put(block.cid, block.bytes));
    await store.close();
    await Promise.all(puts);
    const reopened = await Blockstore.open(store.dir);
    assert.equal(reopened.usage().blocks, 8);
    await reopened.close();
  });
});
