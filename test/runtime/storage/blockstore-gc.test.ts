/** Pins, links, sessions and garbage collection, with a property test against a naive model. */
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { BlockCodecs } from '../../../src/runtime/storage/block-cid.ts';
import { Blockstore } from '../../../src/runtime/storage/blockstore.ts';
import { GC_GRACE_MS_DEFAULT } from '../../../src/runtime/storage/blockstore-limits.ts';
import { TemporaryDirs, TestClock, locationOf, overwriteInPack, freshStore, testBlock, type TestBlock } from './blockstore-harness.ts';

const dirs = new TemporaryDirs();
after(() => dirs.removeAll());

function stored(store: Blockstore, blocks: Record<string, TestBlock>): string[] {
  return Object.entries(blocks)
    .filter(([, block]) => store.has(block.cid))
    .map(([name]) => name)
    .sort();
}

describe('blockstore: pins and gc', () => {
  it('keeps what recursive pins reach through links and what direct pins name, and collects the rest', async () => {
    const clock = new TestClock();
    const store = await freshStore(dirs, { nowUnixMs: clock.now });
    const b = {
      c: testBlock('c', 100),
      a: testBlock('a', 200),
      b: testBlock('b', 300),
      e: testBlock('e', 400),
      u: testBlock('u', 500),
    };
    const blocks = { ...b, root: testBlock('root', 50, BlockCodecs.dagCbor), d: testBlock('d', 60, BlockCodecs.dagPb) };
    await store.putMany([b.c, b.b, b.e, b.u]);
    await store.put(b.a.cid, b.a.bytes, { links: [b.c.cid] });
    await store.put(blocks.root.cid, blocks.root.bytes, { links: [b.a.cid, b.b.cid] });
    await store.put(blocks.d.cid, blocks.d.bytes, { links: [b.e.cid] });
    store.pin(blocks.root.cid, { recursive: true });
    store.pin(blocks.d.cid, { recursive: false });
    clock.advance(1);
    const firstPack = locationOf(store, b.u.cid).path;
    const firstPackBytes = (await stat(firstPack)).size;
    const report = await store.gc({ graceMs: 0 });
    // u and e went; c and b, the rest of their pack (400 of 1,300 bytes), moved to a new pack.
    const newPack = locationOf(store, b.c.cid).path;
    assert.deepEqual(report, { blocksRemoved: 2, bytesRemoved: 900, blocksKept: 5, packsCompacted: 1, diskBytesFreed: firstPackBytes - (await stat(newPack)).size });
    assert.deepEqual(stored(store, blocks), ['a', 'b', 'c', 'd', 'root']);
    await assert.rejects(stat(firstPack), { code: 'ENOENT' });
    assert.equal(locationOf(store, b.b.cid).path, newPack);
    assert.deepEqual(await store.get(b.c.cid), b.c.bytes);
    assert.deepEqual(await store.get(b.b.cid), b.b.bytes);
    assert.deepEqual(store.references(b.a.cid), { parents: 1, pins: 0 });
    assert.deepEqual(store.references(blocks.root.cid), { parents: 0, pins: 1 });

    store.unpin(blocks.root.cid);
    clock.advance(1);
    assert.equal((await store.gc({ graceMs: 0 })).blocksRemoved, 4);
    assert.deepEqual(stored(store, blocks), ['d']);
    assert.equal((await store.fsck()).ok, true);
    await store.close();
  });

  it('keeps a block while any named pin holds it', async () => {
    const clock = new TestClock();
    const store = await freshStore(dirs, { nowUnixMs: clock.now });
    const block = testBlock('named');
    await store.put(block.cid, block.bytes);
    store.pin(block.cid, { name: 'alice' });
    store.pin(block.cid, { name: 'contract-7', recursive: false });
    assert.deepEqual(
      store.listPins().map((pin) => [pin.cid.toString(), pin.name, pin.recursive]),
      [
        [block.cid.toString(), 'alice', true],
        [block.cid.toString(), 'contract-7', false],
      ],
    );
    assert.equal(store.unpin(block.cid, { name: 'alice' }), 1);
    clock.advance(1);
    await store.gc({ graceMs: 0 });
    assert.equal(store.has(block.cid), true);
    assert.equal(store.unpin(block.cid), 1);
    clock.advance(1);
    await store.gc({ graceMs: 0 });
    assert.equal(store.has(block.cid), false);
    await store.close();
  });

  it('unpinMany removes the named pins of many blocks at once, and only those', async () => {
    const store = await freshStore(dirs);
    const blocks = ['a', 'b', 'c'].map((name) => testBlock(`many-${name}`));
    for (const block of blocks) {
      await store.put(block.cid, block.bytes);
      store.pin(block.cid, { name: 'staging' });
    }
    store.pin(blocks[0].cid, { name: 'kept' });
    // Two of three, and one never pinned under that name: two removed.
    const never = testBlock('many-never');
    assert.equal(store.unpinMany([blocks[0].cid, blocks[1].cid, never.cid], { name: 'staging' }), 2);
    assert.deepEqual(
      store.listPins().map((pin) => [pin.cid.toString(), pin.name]).sort(),
      [[blocks[0].cid.toString(), 'kept'], [blocks[2].cid.toString(), 'staging']].sort(),
    );
    assert.equal(store.unpinMany([]), 0);
    await store.close();
  });

  it('refuses to delete a pinned block, directly or through a recursive pin', async () => {
    const store = await freshStore(dirs);
    const leaf = testBlock('leaf');
    const root = testBlock('root-del', 64, BlockCodecs.dagPb);
    await store.put(leaf.cid, leaf.bytes);
    await store.put(root.cid, root.bytes, { links: [leaf.cid] });
    store.pin(root.cid, { name: 'mine' });
    await assert.rejects(store.delete(root.cid), { name: 'BlockPinnedError', message: /pin "mine"/ });
    await assert.rejects(store.delete(leaf.cid), { name: 'BlockPinnedError', message: /recursive pin "mine" on/ });
    store.unpin(root.cid);
    assert.equal(await store.delete(leaf.cid), true);
    await store.close();
  });

  it('spares blocks put or read within the grace period', async () => {
    const clock = new TestClock();
    const store = await freshStore(dirs, { nowUnixMs: clock.now });
    const old = testBlock('old');
    const read = testBlock('read');
    const fresh = testBlock('fresh');
    await store.putMany([old, read]);
    clock.advance(GC_GRACE_MS_DEFAULT);
    await store.get(read.cid);
    await store.put(fresh.cid, fresh.bytes);
    clock.advance(1);
    assert.equal((await store.gc()).blocksRemoved, 1);
    assert.deepEqual(stored(store, { old, read, fresh }), ['fresh', 'read']);
    clock.advance(GC_GRACE_MS_DEFAULT);
    assert.equal((await store.gc()).blocksRemoved, 2);
    await store.close();
  });

  it('does not collect the blocks of a session until it is closed or expires', async () => {
    const clock = new TestClock();
    const store = await freshStore(dirs, { nowUnixMs: clock.now });
    const leaves = [testBlock('leaf-1'), testBlock('leaf-2')];
    const manifest = testBlock('manifest', 80, BlockCodecs.dagPb);
    const before = testBlock('already-there');
    await store.put(before.cid, before.bytes);
    const session = store.openSession({ ttlMs: 10_000 });
    // A file being added: leaves first (one of them found already stored), gc in between, the manifest last.
    await store.putMany([...leaves, before], { session });
    clock.advance(1);
    assert.equal((await store.gc({ graceMs: 0 })).blocksRemoved, 0);
    await store.put(manifest.cid, manifest.bytes, { links: [...leaves, before].map((block) => block.cid), session });
    store.pin(manifest.cid);
    session.close();
    assert.equal(session.open, false);
    clock.advance(1);
    assert.equal((await store.gc({ graceMs: 0 })).blocksRemoved, 0, 'the pin keeps them now');

    const forgotten = store.openSession({ ttlMs: 1000 });
    const orphan = testBlock('orphan');
    await store.put(orphan.cid, orphan.bytes, { session: forgotten });
    clock.advance(500);
    forgotten.renew(1000);
    clock.advance(999);
    assert.equal((await store.gc({ graceMs: 0 })).blocksRemoved, 0);
    clock.advance(1);
    assert.equal((await store.gc({ graceMs: 0 })).blocksRemoved, 1, 'an expired session protects nothing');
    await assert.rejects(store.put(orphan.cid, orphan.bytes, { session: forgotten }), { name: 'BlockstoreArgumentError' });
    assert.throws(() => forgotten.renew(), { name: 'BlockstoreArgumentError' });
    await store.close();
  });

  it('waits for a put in progress, and does not collect it', async () => {
    // A clock that moves on every reading, so the gc always runs after the put's commit.
    let nowMs = 1_750_000_000_000;
    const store = await freshStore(dirs, { nowUnixMs: () => nowMs++, durability: 'block' });
    const blocks = (tag: string) => Array.from({ length: 12 }, (_, index) => testBlock(`${tag}-${index}`, 64 * 1024));
    const session = store.openSession();
    const protectedPut = store.putMany(blocks('session'), { session });
    const gc = await store.gc({ graceMs: 0 });
    await protectedPut;
    assert.equal(gc.blocksRemoved, 0, 'the session keeps them');
    assert.equal(store.usage().blocks, 12);
    // The control: with neither a session nor a grace period, the gc waits for the put and then takes its blocks.
    const bare = store.putMany(blocks('bare'));
    const gc2 = await store.gc({ graceMs: 0 });
    await bare;
    assert.equal(gc2.blocksRemoved, 12);
    // Without a session, the default grace period covers the gap between a put and its pin.
    const graced = store.putMany(blocks('graced'));
    const gc3 = await store.gc();
    await graced;
    assert.equal(gc3.blocksRemoved, 0);
    assert.equal(store.usage().blocks, 24);
    await store.close();
  });

  it('ends the walk on cycles in declared links, and protects a fetch by pinning its root first', async () => {
    const clock = new TestClock();
    const store = await freshStore(dirs, { nowUnixMs: clock.now });
    const x = testBlock('x');
    const y = testBlock('y');
    const root = testBlock('fetched-root', 70, BlockCodecs.dagCbor);
    const child = testBlock('fetched-child');
    await store.put(x.cid, x.bytes, { links: [y.cid] });
    await store.put(y.cid, y.bytes, { links: [x.cid] });
    store.pin(x.cid);
    store.pin(root.cid, { name: 'fetch' });
    await store.put(root.cid, root.bytes, { links: [child.cid] });
    await store.put(child.cid, child.bytes);
    clock.advance(1);
    assert.equal((await store.gc({ graceMs: 0 })).blocksRemoved, 0);
    assert.deepEqual(stored(store, { x, y, root, child }), ['child', 'root', 'x', 'y']);
    const report = await store.fsck();
    assert.equal(report.pinnedMissing.count, 0);
    await store.delete(child.cid).catch(() => undefined);
    store.unpin(root.cid);
    await store.close();
  });

  it('collects exactly what a naive model says is unreachable (property)', async () => {
    type Op = { kind: 'put'; block: number; links: number[] } | { kind: 'pin'; block: number; recursive: boolean } | { kind: 'unpin'; block: number } | { kind: 'gc' };
    const blockCount = 12;
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), block: fc.nat(blockCount - 1), links: fc.array(fc.nat(blockCount - 1), { maxLength: 3 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('pin' as const), block: fc.nat(blockCount - 1), recursive: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('unpin' as const), block: fc.nat(blockCount - 1) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('gc' as const) }) },
    );
    const blocks = Array.from({ length: blockCount }, (_, index) => testBlock(`model-${index}`, 32));
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 25 }), async (ops) => {
        const clock = new TestClock();
        const store = await freshStore(dirs, { nowUnixMs: clock.now });
        const present = new Set<number>();
        const links = new Map<number, Set<number>>();
        const pins = new Map<number, boolean>();
        try {
          for (const op of [...ops, { kind: 'gc' } as Op]) {
            if (op.kind === 'put') {
              await store.put(blocks[op.block].cid, blocks[op.block].bytes, { links: op.links.map((index) => blocks[index].cid) });
              present.add(op.block);
              const edges = links.get(op.block) ?? new Set();
              for (const child of op.links) edges.add(child);
              links.set(op.block, edges);
            } else if (op.kind === 'pin') {
              store.pin(blocks[op.block].cid, { recursive: op.recursive });
              pins.set(op.block, op.recursive);
            } else if (op.kind === 'unpin') {
              store.unpin(blocks[op.block].cid);
              pins.delete(op.block);
            } else {
              const live = new Set<number>();
              const stack = [...pins].filter(([, recursive]) => recursive).map(([block]) => block);
              for (const [block] of pins) live.add(block);
              while (stack.length > 0) {
                const block = stack.pop() as number;
                live.add(block);
                for (const child of links.get(block) ?? []) if (!live.has(child)) stack.push(child);
              }
              clock.advance(1);
              await store.gc({ graceMs: 0 });
              for (const block of [...present]) {
                if (!live.has(block)) {
                  present.delete(block);
                  links.delete(block);
                }
              }
              const actual = blocks.map((block, index) => (store.has(block.cid) ? index : -1)).filter((index) => index >= 0);
              assert.deepEqual(actual, [...present].sort((a, b) => a - b));
            }
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 12 },
    );
  });
});

describe('blockstore: compaction of mostly dead packs', () => {
  it('rewrites what is live, verified, into a new pack and removes the old one; bad bytes go to quarantine, not along', async () => {
    const clock = new TestClock();
    const store = await freshStore(dirs, { nowUnixMs: clock.now });
    const blocks = Array.from({ length: 10 }, (_, index) => testBlock(`compact-${index}`, 10_000 + index));
    await store.putMany(blocks);
    const oldPack = locationOf(store, blocks[0].cid).path;
    for (const block of blocks.slice(0, 4)) store.pin(block.cid, { name: 'keep' });
    // One kept block rots on disk before the gc.
    await overwriteInPack(store, blocks[3].cid, new Uint8Array(100).fill(7));
    clock.advance(1);
    const report = await store.gc({ graceMs: 0 });
    assert.equal(report.blocksRemoved, 6);
    assert.equal(report.packsCompacted, 1);
    await assert.rejects(stat(oldPack), { code: 'ENOENT' });
    for (const block of blocks.slice(0, 3)) {
      assert.notEqual(locationOf(store, block.cid).path, oldPack);
      assert.deepEqual(await store.get(block.cid), block.bytes);
    }
    assert.equal(store.has(blocks[3].cid), false, 'the rotten block was dropped, not copied');
    assert.equal((await readdir(join(store.dir, 'quarantine'))).length, 1);
    assert.deepEqual(await readdir(join(store.dir, 'packs')), [basename(locationOf(store, blocks[0].cid).path)]);
    const check = await store.fsck();
    assert.equal(check.ok, true, JSON.stringify(check));
    await store.close();
  });

  it('leaves packs that are mostly live alone', async () => {
    const clock = new TestClock();
    const store = await freshStore(dirs, { nowUnixMs: clock.now });
    const blocks = Array.from({ length: 4 }, (_, index) => testBlock(`dense-${index}`, 4000));
    await store.putMany(blocks);
    const pack = locationOf(store, blocks[0].cid).path;
    for (const block of blocks.slice(0, 3)) store.pin(block.cid, { name: 'keep' });
    clock.advance(1);
    const report = await store.gc({ graceMs: 0 });
    assert.deepEqual([report.blocksRemoved, report.packsCompacted, report.diskBytesFreed], [1, 0, 0]);
    assert.equal(locationOf(store, blocks[0].cid).path, pack);
    await store.close();
  });

  it('compacts after deletions once enough is dead, and a reopened store reads everything', async () => {
    const store = await freshStore(dirs, { compactAfterDeadBytes: 22_000 });
    const blocks = Array.from({ length: 8 }, (_, index) => testBlock(`deleted-${index}`, 5000));
    await store.putMany(blocks);
    const oldPack = locationOf(store, blocks[7].cid).path;
    for (const block of blocks.slice(0, 4)) await store.delete(block.cid);
    assert.equal(locationOf(store, blocks[7].cid).path, oldPack, '20 kB dead of 40 kB: not yet worth a rewrite');
    await store.delete(blocks[4].cid);
    assert.notEqual(locationOf(store, blocks[7].cid).path, oldPack);
    await assert.rejects(stat(oldPack), { code: 'ENOENT' });
    const dir = store.dir;
    await store.close();
    const reopened = await Blockstore.open(dir, { durability: 'none' });
    for (const block of blocks.slice(5)) assert.deepEqual(await reopened.get(block.cid), block.bytes);
    assert.equal((await reopened.fsck()).ok, true);
    await reopened.close();
  });
});
