/** Corrupt and missing files, fsck and the recovery at open, each inconsistency made by hand. */
import assert from 'node:assert/strict';
import { readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { BlockCodecs } from '../../../src/runtime/storage/block-cid.ts';
import { Blockstore } from '../../../src/runtime/storage/blockstore.ts';
import { BlockstoreLimits } from '../../../src/runtime/storage/blockstore-limits.ts';
import { TemporaryDirs, filePathOf, freshStore, testBlock } from './blockstore-harness.ts';

const dirs = new TemporaryDirs();
after(() => dirs.removeAll());

async function flipByte(path: string, offset: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[offset] ^= 0xff;
  await writeFile(path, bytes);
}

describe('blockstore: reads of damaged files', () => {
  it('never returns bad bytes: a corrupt file is quarantined and reported, and a new put restores the block', async () => {
    const store = await freshStore(dirs);
    const block = testBlock('rot', 4096);
    await store.put(block.cid, block.bytes);
    await flipByte(filePathOf(store.dir, block.cid), 100);
    await assert.rejects(store.get(block.cid), (error: Error & { cid?: string; quarantinedAs?: string }) => {
      assert.equal(error.name, 'BlockCorruptError');
      assert.equal(error.cid, block.cid.toString());
      assert.match(error.message, /sha2-256 digest is/);
      assert.ok(error.quarantinedAs?.startsWith(join(store.dir, 'quarantine')));
      return true;
    });
    assert.equal(store.has(block.cid), false);
    assert.equal((await readdir(join(store.dir, 'quarantine'))).length, 1);
    await assert.rejects(store.get(block.cid), { name: 'BlockNotFoundError' });
    await store.put(block.cid, block.bytes);
    assert.deepEqual(await store.get(block.cid), block.bytes);
    assert.equal((await store.fsck()).ok, true);
    await store.close();
  });

  it('catches a truncated or grown file by its size (reading no more than the limit), and a vanished file as not found', async () => {
    const store = await freshStore(dirs);
    const short = testBlock('short', 4096);
    const gone = testBlock('gone', 4096);
    await store.putMany([short, gone]);
    await truncate(filePathOf(store.dir, short.cid), 1000);
    await assert.rejects(store.get(short.cid), { name: 'BlockCorruptError', message: /1000 bytes, the index says 4096/ });
    const grown = testBlock('grown', 4096);
    await store.put(grown.cid, grown.bytes);
    await writeFile(filePathOf(store.dir, grown.cid), new Uint8Array(BlockstoreLimits.blockBytesMax + 100));
    await assert.rejects(store.get(grown.cid), { name: 'BlockCorruptError', message: /4194305 bytes, the index says 4096/ });
    await rm(filePathOf(store.dir, gone.cid));
    await assert.rejects(store.get(gone.cid), { name: 'BlockNotFoundError', message: /file was missing/ });
    assert.equal(store.has(gone.cid), false);
    assert.equal((await store.fsck()).ok, true);
    await store.close();
  });
});

describe('blockstore: fsck', () => {
  it('finds every kind of inconsistency, repairs them, and then finds none', async () => {
    const store = await freshStore(dirs);
    const good = testBlock('good');
    const missing = testBlock('missing');
    const corrupt = testBlock('corrupt');
    const resized = testBlock('resized');
    const orphan = testBlock('orphan', 777);
    const badOrphan = testBlock('bad-orphan');
    await store.putMany([good, missing, corrupt, resized]);
    const pinnedAbsent = testBlock('never-fetched');
    store.pin(pinnedAbsent.cid);

    await rm(filePathOf(store.dir, missing.cid));
    await flipByte(filePathOf(store.dir, corrupt.cid), 0);
    await writeFile(filePathOf(store.dir, resized.cid), new Uint8Array(10));
    // A crash between rename and commit leaves a valid file without a row.
    await writeFile(filePathOf(store.dir, orphan.cid), orphan.bytes);
    await writeFile(filePathOf(store.dir, badOrphan.cid), testBlock('something else').bytes);
    await writeFile(join(store.dir, '00', 'notes.txt'), 'hello');
    const goodHex = Buffer.from(good.cid.multihash.digest).toString('hex');
    await writeFile(join(store.dir, goodHex.startsWith('ff') ? 'fe' : 'ff', goodHex), good.bytes);
    await writeFile(join(store.dir, 'tmp', 'left-over'), 'partial');

    const found = await store.fsck();
    assert.equal(found.ok, false);
    assert.equal(found.repaired, false);
    assert.equal(found.blocksChecked, 4);
    assert.deepEqual(found.missing, [missing.cid.toString()]);
    assert.deepEqual([...found.corrupt].sort(), [corrupt.cid.toString(), resized.cid.toString(), badOrphan.cid.toString()].sort());
    assert.deepEqual(found.unindexed, [orphan.cid.toString()]);
    assert.deepEqual(found.adopted, []);
    assert.equal(found.strays.length, 2);
    assert.equal(found.tmpFound, 1);
    assert.equal(found.tmpRemoved, 0);
    assert.deepEqual(found.indexProblems, []);
    assert.deepEqual(found.pinnedMissing, { count: 1, cids: [pinnedAbsent.cid.toString()] });
    assert.deepEqual(found.counts, { missing: 1, corrupt: 3, unindexed: 1, strays: 2 });
    // Reporting changed nothing.
    assert.equal(store.has(missing.cid), true);
    assert.equal((await readdir(join(store.dir, 'tmp'))).length, 1);

    const repaired = await store.fsck({ repair: true });
    assert.equal(repaired.ok, false);
    assert.equal(repaired.repaired, true);
    assert.deepEqual(repaired.adopted, [orphan.cid.toString()]);
    assert.equal(repaired.tmpRemoved, 1);

    const after = await store.fsck();
    assert.equal(after.ok, true, JSON.stringify(after));
    assert.equal(after.repaired, false);
    assert.equal(after.blocksChecked, 2);
    assert.deepEqual(await store.get(orphan.cid), orphan.bytes);
    assert.deepEqual(await store.get(good.cid), good.bytes);
    for (const block of [missing, corrupt, resized, badOrphan]) assert.equal(store.has(block.cid), false);
    assert.deepEqual(await readdir(join(store.dir, 'tmp')), []);
    // Three corrupt files and two strays went to quarantine; nothing was deleted.
    assert.equal((await readdir(join(store.dir, 'quarantine'))).length, 5);
    await store.close();
  });

  it('without verify compares sizes only: fast, and blind to same-size damage', async () => {
    const store = await freshStore(dirs);
    const flipped = testBlock('flipped');
    const cut = testBlock('cut');
    await store.putMany([flipped, cut]);
    await flipByte(filePathOf(store.dir, flipped.cid), 5);
    await truncate(filePathOf(store.dir, cut.cid), 3);
    const report = await store.fsck({ verify: false });
    assert.deepEqual(report.corrupt, [cut.cid.toString()]);
    assert.equal(report.bytesVerified, 0);
    assert.deepEqual((await store.fsck()).counts.corrupt, 2);
    await store.close();
  });
});

describe('blockstore: recovery at open', () => {
  it('settles exactly what an interrupted operation can leave: tmp files and unsettled digests', async () => {
    const dir = await dirs.make();
    const store = await Blockstore.open(dir, { durability: 'none' });
    const kept = testBlock('kept');
    const deleted = testBlock('deleted');
    await store.putMany([kept, deleted]);
    await store.close();

    // What a crash at each step leaves, written by hand.
    const renamed = testBlock('renamed-not-committed', 300, BlockCodecs.dagPb); // put: file in place, no row
    const torn = testBlock('torn'); // put: a bad file in place, no row (durability 'none', then power loss)
    const unwritten = testBlock('never-renamed'); // put: intent only, links recorded
    const child = testBlock('child-of-unwritten');
    await writeFile(filePathOf(dir, renamed.cid), renamed.bytes);
    await writeFile(filePathOf(dir, torn.cid), new Uint8Array(torn.bytes.length));
    await writeFile(join(dir, 'tmp', 'half-written.tmp'), 'partial');
    const database = new DatabaseSync(join(dir, 'index.sqlite'));
    const intent = database.prepare("INSERT INTO unsettled (digest, operation, codec, owner, since_ms) VALUES (?, ?, ?, ?, 0)");
    intent.run(renamed.cid.multihash.digest, 'put', BlockCodecs.dagPb, 'peer-X');
    intent.run(torn.cid.multihash.digest, 'put', BlockCodecs.raw, 'local');
    intent.run(unwritten.cid.multihash.digest, 'put', BlockCodecs.raw, 'local');
    database.prepare('INSERT INTO links (parent, child) VALUES (?, ?)').run(unwritten.cid.multihash.digest, child.cid.multihash.digest);
    // delete: row dropped, file still there.
    database.prepare('DELETE FROM blocks WHERE digest = ?').run(deleted.cid.multihash.digest);
    intent.run(deleted.cid.multihash.digest, 'delete', 0, '');
    database.close();
    // A file no journal knows of (a stray from a power loss, say) is fsck's business, not recovery's.
    const unknown = testBlock('unknown');
    await writeFile(filePathOf(dir, unknown.cid), unknown.bytes);

    const reopened = await Blockstore.open(dir);
    const recovery = reopened.recovery;
    assert.equal(recovery.tmpRemoved, 1);
    assert.equal(recovery.unsettled, 4);
    assert.deepEqual(recovery.adopted, [renamed.cid.toString()]);
    assert.equal(recovery.discarded, 1);
    assert.equal(recovery.removed, 1);
    assert.equal(reopened.stat(renamed.cid)?.owner, 'peer-X');
    assert.equal(reopened.stat(renamed.cid)?.cid.code, BlockCodecs.dagPb);
    assert.deepEqual(await reopened.get(renamed.cid), renamed.bytes);
    assert.equal(reopened.has(torn.cid), false);
    await assert.rejects(stat(filePathOf(dir, torn.cid)), { code: 'ENOENT' });
    await assert.rejects(stat(filePathOf(dir, deleted.cid)), { code: 'ENOENT' });
    assert.deepEqual(reopened.references(child.cid), { parents: 0, pins: 0 });
    assert.deepEqual(await readdir(join(dir, 'tmp')), []);
    assert.equal(reopened.has(unknown.cid), false);
    const report = await reopened.fsck();
    assert.deepEqual(report.unindexed, [unknown.cid.toString()]);
    await reopened.fsck({ repair: true });
    assert.equal((await reopened.fsck()).ok, true);
    await reopened.close();
  });

  it('creates a missing shard directory again', async () => {
    const dir = await dirs.make();
    const store = await Blockstore.open(dir);
    await store.close();
    await rm(join(dir, 'ab'), { recursive: true });
    await rm(join(dir, 'tmp'), { recursive: true });
    const reopened = await Blockstore.open(dir);
    assert.ok((await stat(join(dir, 'ab'))).isDirectory());
    assert.ok((await stat(join(dir, 'tmp'))).isDirectory());
    await reopened.close();
  });
});
