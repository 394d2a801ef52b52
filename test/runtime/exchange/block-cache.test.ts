/**
 * The cache of hot blocks pushed here (block-cache.ts): bounded by its budget, least recently
 * served dropped first, never charged to a quota, rebuilt from its pins after a restart, and
 * refusing bytes that are not the block.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BlockCache, CACHE_PIN } from '../../../src/runtime/exchange/block-cache.ts';
import { bytesKeptForOthers } from '../../../src/runtime/exchange/exchange-service.ts';
import { Blockstore } from '../../../src/runtime/storage/blockstore.ts';
import { BlockMismatchError } from '../../../src/runtime/storage/blockstore-errors.ts';
import { CACHE_OWNER } from '../../../src/runtime/storage/blockstore-limits.ts';
import { TemporaryDirs, TestClock, freshStore, testBlock } from '../storage/blockstore-harness.ts';

describe('block cache', () => {
  const dirs = new TemporaryDirs();
  after(() => dirs.removeAll());

  it('keeps at most its budget, dropping the least recently served copy first', async () => {
    const clock = new TestClock();
    const store = await freshStore(dirs, { nowUnixMs: clock.now });
    const cache = BlockCache.load(store, 3000);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((seed) => testBlock(seed, 1000));
    for (const block of [a, b, c]) assert.equal(await cache.admit(block.cid, block.bytes, 'pusher'), 'cached');
    cache.touch(a.cid);
    assert.equal(await cache.admit(d.cid, d.bytes, 'pusher'), 'cached');
    assert.deepEqual([a, b, c, d].map((block) => store.has(block.cid)), [true, false, true, true], 'b was the least recently served');
    assert.deepEqual(cache.stats(), { blocks: 3, bytes: 3000, bytesMax: 3000, admitted: 4, evicted: 1, refused: 0 });
    // Cached blocks are nobody's: they count against no peer's quota.
    assert.equal(store.usage(CACHE_OWNER).bytes, 3000);
    assert.equal(bytesKeptForOthers(store), 0);
    await store.close();
  });

  it('refuses when disabled or when a block is larger than the whole cache; a block already here costs nothing', async () => {
    const store = await freshStore(dirs);
    const block = testBlock('x', 2000);
    assert.equal(await BlockCache.load(store, 0).admit(block.cid, block.bytes, 'pusher'), 'disabled');
    assert.equal(await BlockCache.load(store, 1000).admit(block.cid, block.bytes, 'pusher'), 'tooLarge');
    await store.put(block.cid, block.bytes);
    const cache = BlockCache.load(store, 10_000);
    assert.equal(await cache.admit(block.cid, block.bytes, 'pusher'), 'alreadyHere');
    assert.equal(cache.stats().blocks, 0);
    assert.equal(store.stat(block.cid)?.owner, 'local', 'our own block stays ours');
    await store.close();
  });

  it('refuses bytes that do not match the CID, and stores nothing', async () => {
    const store = await freshStore(dirs);
    const cache = BlockCache.load(store, 10_000);
    const block = testBlock('y', 500);
    const forged = Uint8Array.from(block.bytes);
    forged[0] ^= 1;
    await assert.rejects(cache.admit(block.cid, forged, 'pusher'), BlockMismatchError);
    assert.equal(store.has(block.cid), false);
    assert.equal(cache.stats().bytes, 0);
    await store.close();
  });

  it('a cached block then stored for a peer is theirs: released from the cache, never dropped by it', async () => {
    const store = await freshStore(dirs);
    const cache = BlockCache.load(store, 1000);
    const [kept, other] = [testBlock('k', 1000), testBlock('o', 1000)];
    await cache.admit(kept.cid, kept.bytes, 'pusher');
    await store.put(kept.cid, kept.bytes, { owner: 'peer-1' });
    store.pin(kept.cid, { name: 'grid', recursive: false });
    cache.release(kept.cid);
    assert.equal(store.stat(kept.cid)?.owner, 'peer-1', 'the store put takes the cache tag over');
    assert.equal(await cache.admit(other.cid, other.bytes, 'pusher'), 'cached');
    assert.ok(store.has(kept.cid) && store.has(other.cid));
    assert.equal(store.references(kept.cid).pins, 1, 'only the grid pin is left');
    await store.close();
  });

  it('takes at most its budget from one peer per window, and then again', async () => {
    const store = await freshStore(dirs);
    let nowMs = 0;
    const cache = BlockCache.load(store, 1_000_000, () => nowMs, { bytesPerPeerPerWindow: 2500, windowMs: 1000, peersTrackedMax: 2 });
    const blocks = ['p', 'q', 'r', 's'].map((seed) => testBlock(seed, 1000));
    assert.equal(await cache.admit(blocks[0].cid, blocks[0].bytes, 'flooder'), 'cached');
    assert.equal(await cache.admit(blocks[1].cid, blocks[1].bytes, 'flooder'), 'cached');
    assert.equal(await cache.admit(blocks[2].cid, blocks[2].bytes, 'flooder'), 'tooMuchFromPeer');
    assert.equal(store.has(blocks[2].cid), false);
    assert.equal(await cache.admit(blocks[2].cid, blocks[2].bytes, 'another'), 'cached', 'other peers have budgets of their own');
    nowMs = 1000;
    assert.equal(await cache.admit(blocks[3].cid, blocks[3].bytes, 'flooder'), 'cached', 'a new window');
    await store.close();
  });

  it('is rebuilt from its pins after a restart, oldest access first', async () => {
    const clock = new TestClock();
    const store = await freshStore(dirs, { nowUnixMs: clock.now });
    const dir = store.dir;
    const cache = BlockCache.load(store, 2000);
    const [old, recent] = [testBlock('old', 1000), testBlock('recent', 1000)];
    await cache.admit(old.cid, old.bytes, 'pusher');
    clock.nowMs += 1000;
    await cache.admit(recent.cid, recent.bytes, 'pusher');
    await store.close();
    const reopened = await Blockstore.open(dir, { durability: 'none', nowUnixMs: clock.now });
    const again = BlockCache.load(reopened, 2000);
    assert.deepEqual({ blocks: again.stats().blocks, bytes: again.stats().bytes }, { blocks: 2, bytes: 2000 });
    const fresh = testBlock('fresh', 1000);
    await again.admit(fresh.cid, fresh.bytes, 'pusher');
    assert.deepEqual([reopened.has(old.cid), reopened.has(recent.cid)], [false, true]);
    assert.ok(reopened.listPins().every((pin) => pin.name === CACHE_PIN));
    await reopened.close();
  });
});
