/** Damaged packs, fsck and the recovery at open, each inconsistency made by hand. */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { BlockCodecs } from '../../../src/runtime/storage/block-cid.ts';
import { packName } from '../../../src/runtime/storage/block-layout.ts';
import { Blockstore } from '../../../src/runtime/storage/blockstore.ts';
import { writePackFile } from '../../../src/runtime/storage/pack-files.ts';
import { TemporaryDirs, freshStore, locationOf, overwriteInPack, testBlock, type TestBlock } from './blockstore-harness.ts';

const dirs = new TemporaryDirs();
after(() => dirs.removeAll());

async function flipByte(store: Blockstore, block: TestBlock, at: number): Promise<void> {
  const bytes = Uint8Array.from(block.bytes);
  bytes[at] ^= 0xff;
  await overwriteInPack(store, block.cid, bytes);
}

/** A pack file the index does not know, as a lost or replaced index.sqlite would leave. */
async function unknownPack(dir: string, id: number, entries: readonly { readonly block: TestBlock; readonly bytes?: Uint8Array }[]): Promise<void> {
  await writePackFile(dir, id, entries.map(({ block, bytes }) => ({ digest: block.cid.multihash.digest, codec: block.cid.code, bytes: bytes ?? block.bytes })), false);
}

describe('blockstore: reads of damaged packs', () => {
  it('never returns bad bytes: a corrupt block is quarantined and reported, its neighbours still read, and a new put restores it', async () => {
    const store = await freshStore(dirs);
    const block = testBlock('rot', 4096);
    const neighbour = testBlock('neighbour', 4096);
    await store.putMany([block, neighbour]);
    await flipByte(store, block, 100);
    await assert.rejects(store.get(block.cid), (error: Error & { cid?: string; quarantinedAs?: string }) => {
      assert.equal(error.name, 'BlockCorruptError');
      assert.equal(error.cid, block.cid.toString());
      assert.match(error.message, /sha2-256 digest is/);
      assert.ok(error.quarantinedAs?.startsWith(join(store.dir, 'quarantine')));
      return true;
    });
    assert.equal(store.has(block.cid), false);
    const quarantined = await readdir(join(store.dir, 'quarantine'));
    assert.equal(quarantined.length, 1);
    assert.equal((await readFile(join(store.dir, 'quarantine', quarantined[0]))).length, 4096, 'the bad bytes are kept for a human');
    await assert.rejects(store.get(block.cid), { name: 'BlockNotFoundError' });
    assert.deepEqual(await store.get(neighbour.cid), neighbour.bytes);
    await store.put(block.cid, block.bytes);
    assert.deepEqual(await store.get(block.cid), block.bytes);
    assert.equal((await store.fsck()).ok, true);
    await store.close();
  });

  it('catches a pack cut short by its size, and a vanished pack as not found', async () => {
    const store = await freshStore(dirs);
    const first = testBlock('first', 4096);
    const cut = testBlock('cut', 4096);
    const gone = testBlock('gone', 4096);
    await store.putMany([first, cut]);
    await store.put(gone.cid, gone.bytes);
    const { path, offset } = locationOf(store, cut.cid);
    await truncate(path, offset + 1000);
    await assert.rejects(store.get(cut.cid), { name: 'BlockCorruptError', message: /1000 bytes, the index says 4096/ });
    assert.deepEqual(await store.get(first.cid), first.bytes, 'what lies before the cut still reads');
    await rm(locationOf(store, gone.cid).path);
    await assert.rejects(store.get(gone.cid), { name: 'BlockNotFoundError', message: /pack file was missing/ });
    assert.equal(store.has(gone.cid), false);
    assert.equal((await store.fsck()).ok, true);
    await store.close();
  });

  it('takes a directory in a pack\'s place for a missing pack: fsck reports it, a read finds the block gone, and the store opens again', async () => {
    const dir = await dirs.make();
    let store = await Blockstore.open(dir, { durability: 'none' });
    const block = testBlock('in-a-pack-that-became-a-directory', 300);
    await store.put(block.cid, block.bytes);
    const { path } = locationOf(store, block.cid);
    await store.close();
    await rm(path);
    await mkdir(path);
    store = await Blockstore.open(dir, { durability: 'none' });
    assert.deepEqual((await store.fsck()).missing, [block.cid.toString()]);
    await assert.rejects(store.get(block.cid), { name: 'BlockNotFoundError' });
    await store.close();
    // The pack's rows went with the read; the directory is left for fsck, not a removal every open fails to finish.
    store = await Blockstore.open(dir, { durability: 'none' });
    assert.deepEqual((await store.fsck()).strays, [join('packs', basename(path))]);
    assert.equal((await store.fsck({ repair: true })).repaired, true);
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
    const cut = testBlock('cut');
    const orphan = testBlock('orphan', 777);
    const badOrphan = testBlock('bad-orphan');
    await store.putMany([good, corrupt]);
    await store.put(missing.cid, missing.bytes);
    await store.put(cut.cid, cut.bytes);
    const pinnedAbsent = testBlock('never-fetched');
    store.pin(pinnedAbsent.cid);

    await rm(locationOf(store, missing.cid).path);
    await flipByte(store, corrupt, 0);
    await truncate(locationOf(store, cut.cid).path, locationOf(store, cut.cid).offset + 10);
    // A pack the index does not know: one valid block it lacks, one that does not match its digest, one it has.
    await unknownPack(store.dir, 99, [{ block: orphan }, { block: badOrphan, bytes: testBlock('something else').bytes }, { block: good }]);
    // A pack with nothing usable, and a file that is no pack.
    await unknownPack(store.dir, 98, [{ block: good }]);
    await writeFile(join(store.dir, 'packs', 'notes.txt'), 'hello');
    await writeFile(join(store.dir, 'tmp', 'left-over'), 'partial');

    const found = await store.fsck();
    assert.equal(found.ok, false);
    assert.equal(found.repaired, false);
    assert.equal(found.blocksChecked, 4);
    assert.deepEqual(found.missing, [missing.cid.toString()]);
    assert.deepEqual([...found.corrupt].sort(), [corrupt.cid.toString(), cut.cid.toString(), badOrphan.cid.toString()].sort());
    assert.deepEqual(found.unindexed, [orphan.cid.toString()]);
    assert.deepEqual(found.adopted, []);
    assert.deepEqual([...found.strays].sort(), [join('packs', packName(98)), join('packs', 'notes.txt')]);
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
    assert.equal(basename(locationOf(store, orphan.cid).path), packName(99), 'adopted where it lies');
    assert.deepEqual(await store.get(good.cid), good.bytes);
    for (const block of [missing, corrupt, cut, badOrphan]) assert.equal(store.has(block.cid), false);
    assert.deepEqual(await readdir(join(store.dir, 'tmp')), []);
    // One corrupt block's bytes and the two strays went to quarantine; nothing was deleted.
    assert.equal((await readdir(join(store.dir, 'quarantine'))).length, 3);
    // A new pack never takes the id of one found on disk.
    const later = testBlock('later');
    await store.put(later.cid, later.bytes);
    assert.ok(basename(locationOf(store, later.cid).path) > packName(99));
    await store.close();
  });

  it('without verify compares sizes only: fast, and blind to same-size damage', async () => {
    const store = await freshStore(dirs);
    const flipped = testBlock('flipped');
    const cut = testBlock('cut');
    await store.put(flipped.cid, flipped.bytes);
    await store.put(cut.cid, cut.bytes);
    await flipByte(store, flipped, 5);
    await truncate(locationOf(store, cut.cid).path, locationOf(store, cut.cid).offset + 3);
    const report = await store.fsck({ verify: false });
    assert.deepEqual(report.corrupt, [cut.cid.toString()]);
    assert.equal(report.bytesVerified, 0);
    assert.deepEqual((await store.fsck()).counts.corrupt, 2);
    await store.close();
  });

  it('finds pack counters that disagree with the rows, and sets them', async () => {
    const dir = await dirs.make();
    const store = await Blockstore.open(dir, { durability: 'none' });
    const blocks = [testBlock('counted-1'), testBlock('counted-2')];
    await store.putMany(blocks);
    await store.close();
    const database = new DatabaseSync(join(dir, 'index.sqlite'));
    database.prepare('UPDATE packs SET live_blocks = 7, live_bytes = 1').run();
    database.close();
    const reopened = await Blockstore.open(dir);
    const found = await reopened.fsck();
    assert.equal(found.ok, false);
    assert.match(found.indexProblems.join('\n'), /its rows hold 2 blocks of 2048 bytes/);
    assert.equal((await reopened.fsck({ repair: true })).repaired, true);
    assert.equal((await reopened.fsck()).ok, true);
    await reopened.close();
  });
});

describe('blockstore: recovery at open', () => {
  it('settles exactly what an interrupted operation can leave: tmp files, packs being written and packs being removed', async () => {
    const dir = await dirs.make();
    const store = await Blockstore.open(dir, { durability: 'none' });
    const kept = testBlock('kept');
    const removed = testBlock('removed');
    await store.put(kept.cid, kept.bytes);
    await store.put(removed.cid, removed.bytes);
    const removedPack = locationOf(store, removed.cid).path;
    await store.close();

    // What a crash at each step leaves, written by hand.
    const renamed = testBlock('renamed-not-committed');
    await writeFile(join(dir, 'tmp', 'half-written.tmp'), 'partial');
    const database = new DatabaseSync(join(dir, 'index.sqlite'));
    const begin = database.prepare("INSERT INTO packs (state, bytes, live_blocks, live_bytes, since_ms) VALUES ('writing', 0, 0, 0, 0) RETURNING id");
    const inPlace = (begin.get() as { id: number }).id; // put: pack renamed into place, never committed
    const neverWritten = (begin.get() as { id: number }).id; // put: pack allocated, file never renamed
    await unknownPack(dir, inPlace, [{ block: renamed }]);
    // A removal: the row dropped and the pack marked, the file still there.
    database.prepare('DELETE FROM blocks WHERE digest = ?').run(removed.cid.multihash.digest);
    database.prepare("UPDATE packs SET state = 'removing', live_blocks = 0, live_bytes = 0 WHERE id = (SELECT max(id) FROM packs WHERE state = 'live')").run();
    database.close();
    // A pack no row knows of is fsck's business, not recovery's: never removed at open.
    const unknown = testBlock('unknown');
    await unknownPack(dir, 500, [{ block: unknown }]);

    const reopened = await Blockstore.open(dir);
    assert.deepEqual(reopened.recovery, { tmpRemoved: 1, unsettled: 3, discarded: 1, removed: 1, migrated: 0, unindexedPacks: 1 });
    assert.equal(reopened.has(renamed.cid), false, 'a put that never returned is not kept');
    assert.deepEqual(await reopened.get(kept.cid), kept.bytes);
    await assert.rejects(stat(removedPack), { code: 'ENOENT' });
    assert.deepEqual(await readdir(join(dir, 'tmp')), []);
    assert.deepEqual((await readdir(join(dir, 'packs'))).sort(), [basename(locationOf(reopened, kept.cid).path), packName(500)].sort());
    assert.ok(neverWritten > 0);
    const report = await reopened.fsck();
    assert.deepEqual(report.unindexed, [unknown.cid.toString()]);
    assert.equal(report.unsettled, 0);
    await reopened.fsck({ repair: true });
    assert.equal((await reopened.fsck()).ok, true);
    assert.deepEqual(await reopened.get(unknown.cid), unknown.bytes);
    await reopened.close();
  });

  it('creates missing packs/ and tmp/ directories again', async () => {
    const dir = await dirs.make();
    const store = await Blockstore.open(dir);
    await store.close();
    await rm(join(dir, 'packs'), { recursive: true });
    await rm(join(dir, 'tmp'), { recursive: true });
    const reopened = await Blockstore.open(dir);
    assert.ok((await stat(join(dir, 'packs'))).isDirectory());
    assert.ok((await stat(join(dir, 'tmp'))).isDirectory());
    await reopened.close();
  });
});

/** The index of layout version 1 (one file per block), as that version created it. */
const VERSION_ONE_SCHEMA = `
CREATE TABLE blocks (digest BLOB PRIMARY KEY NOT NULL, codec INTEGER NOT NULL, size INTEGER NOT NULL, owner TEXT NOT NULL,
  added_at_ms INTEGER NOT NULL, accessed_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX blocks_by_owner ON blocks (owner, size);
CREATE TABLE links (parent BLOB NOT NULL, child BLOB NOT NULL, PRIMARY KEY (parent, child)) WITHOUT ROWID;
CREATE INDEX links_by_child ON links (child, parent);
CREATE TABLE pins (digest BLOB NOT NULL, name TEXT NOT NULL, recursive INTEGER NOT NULL, cid TEXT NOT NULL, pinned_at_ms INTEGER NOT NULL,
  PRIMARY KEY (digest, name)) WITHOUT ROWID;
CREATE TABLE unsettled (digest BLOB PRIMARY KEY NOT NULL, operation TEXT NOT NULL CHECK (operation IN ('put', 'delete')),
  codec INTEGER NOT NULL, owner TEXT NOT NULL, since_ms INTEGER NOT NULL) WITHOUT ROWID;
PRAGMA application_id = 1346847315;
PRAGMA user_version = 1;
`;

describe('blockstore: a store of layout version 1', () => {
  it('has its loose blocks moved into packs at open, keeping owners, links and pins, and nothing else', async () => {
    const dir = await dirs.make();
    const leaves = Array.from({ length: 5 }, (_, index) => testBlock(`v1-leaf-${index}`, 3000 + index));
    const root = testBlock('v1-root', 200, BlockCodecs.dagCbor);
    const rotten = testBlock('v1-rotten');
    const deleted = testBlock('v1-deleted');
    const stray = testBlock('v1-stray');
    const database = new DatabaseSync(join(dir, 'index.sqlite'));
    database.exec(VERSION_ONE_SCHEMA);
    const row = database.prepare('INSERT INTO blocks VALUES (?, ?, ?, ?, 1, 1)');
    const loose = async (block: TestBlock, bytes = block.bytes): Promise<void> => {
      const hex = Buffer.from(block.cid.multihash.digest).toString('hex');
      await mkdir(join(dir, hex.slice(0, 2)), { recursive: true });
      await writeFile(join(dir, hex.slice(0, 2), hex), bytes);
    };
    for (const block of [...leaves, root]) {
      row.run(block.cid.multihash.digest, block.cid.code, block.bytes.length, block === leaves[0] ? 'peer-A' : 'local');
      await loose(block);
    }
    for (const leaf of leaves) database.prepare('INSERT INTO links VALUES (?, ?)').run(root.cid.multihash.digest, leaf.cid.multihash.digest);
    database.prepare("INSERT INTO pins VALUES (?, 'default', 1, ?, 1)").run(root.cid.multihash.digest, root.cid.toString());
    row.run(rotten.cid.multihash.digest, rotten.cid.code, rotten.bytes.length, 'local');
    await loose(rotten, new Uint8Array(rotten.bytes.length));
    // An interrupted deletion: row gone, file still there, journalled.
    await loose(deleted);
    database.prepare("INSERT INTO unsettled VALUES (?, 'delete', 0, '', 1)").run(deleted.cid.multihash.digest);
    // A file no row knows of.
    await loose(stray);
    database.close();

    const store = await Blockstore.open(dir);
    assert.equal(store.recovery.migrated, 6);
    for (const block of [...leaves, root]) assert.deepEqual(await store.get(block.cid), block.bytes);
    assert.equal(store.stat(leaves[0].cid)?.owner, 'peer-A');
    assert.equal(store.stat(root.cid)?.cid.code, BlockCodecs.dagCbor);
    assert.equal(store.links(root.cid).length, 5);
    assert.equal(store.listPins().length, 1);
    for (const block of [rotten, deleted, stray]) assert.equal(store.has(block.cid), false);
    const names = await readdir(dir);
    assert.deepEqual(names.filter((name) => /^[0-9a-f]{2}$/.test(name)), [], 'the shard directories are gone');
    assert.equal((await readdir(join(dir, 'quarantine'))).length, 2, 'the rotten file and the stray are kept for a human; the deleted one is gone');
    assert.equal((await store.fsck()).ok, true);
    await store.close();
    // Opening again finds nothing more to do.
    const again = await Blockstore.open(dir);
    assert.equal(again.recovery.migrated, 0);
    await again.close();
  });
});
