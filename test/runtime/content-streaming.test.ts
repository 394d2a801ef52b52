/**
 * Reading content while a fetch brings it (ContentStore.openFile/list with `arriving`, the
 * blockstore's awaitBlock and takeArrived): blocks are put into an empty store one at a time, in the order the
 * file is read, and the file streams from the first ones, plain and encrypted, byte for byte. A fetch
 * that fails gives its error to the reader; one that ends without a block the reader needs leaves a
 * clear "missing" error, never a reader that waits for ever. Blocks stored while a reader reads are
 * handed to it from memory, once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CID } from '../../src/services/storage/dag/cids.ts';
import { ContentStore } from '../../src/runtime/content-store.ts';
import { ContentNotFoundError } from '../../src/runtime/content-store-errors.ts';
import { bytesOf, collect } from '../services/storage/helpers.ts';
import { deferred } from '../support/deferred.ts';
import { waitFor } from '../support/wait-for.ts';

const NO_FSYNC = { blockstore: { durability: 'none' } } as const;
/** About eight chunks of the default 256 KiB average. */
const FILE_BYTES = 2_000_000;

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** The blocks of the file `ref` in `source`, in the order a reader asks for them (the root first). */
async function blocksInReadOrder(source: ContentStore, ref: string): Promise<{ cid: CID; bytes: Uint8Array; links: CID[] }[]> {
  const store = source.store;
  const order: CID[] = [];
  const get = store.get.bind(store);
  store.get = async (cid: CID) => {
    if (!order.some((seen) => seen.equals(cid))) order.push(cid);
    return get(cid);
  };
  try {
    await collect((await source.openFile(ref)).body);
  } finally {
    store.get = get;
  }
  return Promise.all(order.map(async (cid) => ({ cid, bytes: await store.get(cid), links: store.links(cid) })));
}

describe('reading content while a fetch brings it', () => {
  const dirs: string[] = [];
  let source: ContentStore;
  const bytes = bytesOf(FILE_BYTES, 7);

  async function emptyStore(): Promise<ContentStore> {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-streaming-'));
    dirs.push(dir);
    return ContentStore.open(dir, NO_FSYNC);
  }

  before(async () => {
    source = await emptyStore();
  });
  after(async () => {
    await source.close();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  for (const encrypt of [false, true]) {
    // A timeout: a reader that never gets its block must fail here, not hang the suite.
    it(`streams a ${encrypt ? 'sealed' : 'plain'} file from its first blocks, before the last is stored, byte for byte`, { timeout: 30_000 }, async () => {
      const added = await source.addFile(once(bytes), { encrypt });
      const ref = added.capability ?? added.cid;
      const blocks = await blocksInReadOrder(source, ref);
      assert.ok(blocks.length >= 4, `${blocks.length} blocks`);
      const reader = await emptyStore();
      try {
        const fetch = deferred();
        const opening = reader.openFile(ref, { arriving: fetch.promise });
        // Nothing is here yet: the open waits for the root.
        await new Promise((resolve) => setTimeout(resolve, 20));
        await reader.store.put(blocks[0].cid, blocks[0].bytes, { links: blocks[0].links });
        const file = await opening;
        assert.equal(file.bytes, FILE_BYTES);
        const iterator = file.body[Symbol.asyncIterator]();
        const firstPiece = iterator.next();
        // Every block but the last: the first piece of the file comes out before the last block is in.
        for (const block of blocks.slice(1, -1)) await reader.store.put(block.cid, block.bytes, { links: block.links });
        const first = await firstPiece;
        assert.equal(first.done, false);
        const last = blocks[blocks.length - 1];
        await reader.store.put(last.cid, last.bytes, { links: last.links });
        fetch.resolve();
        const rest: Uint8Array[] = [first.value as Uint8Array];
        for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) rest.push(next.value);
        assert.deepEqual(Buffer.concat(rest), Buffer.from(bytes));
        // The listing reads through the same wait.
        assert.equal((await reader.list(ref, { arriving: Promise.resolve() })).bytes, FILE_BYTES);
      } finally {
        await reader.close();
      }
    });
  }

  it('hands a reader the blocks stored while it reads from memory, not from the packs, and only once', { timeout: 30_000 }, async () => {
    const added = await source.addFile(once(bytes), { encrypt: false });
    const blocks = await blocksInReadOrder(source, added.cid);
    const reader = await emptyStore();
    const get = reader.store.get.bind(reader.store);
    const got: string[] = [];
    reader.store.get = async (cid: CID) => {
      got.push(cid.toString());
      return get(cid);
    };
    try {
      await reader.store.put(blocks[0].cid, blocks[0].bytes, { links: blocks[0].links });
      const fetch = deferred();
      const file = await reader.openFile(added.cid, { arriving: fetch.promise });
      // The fetch stores the rest before the reader gets to them.
      for (const block of blocks.slice(1)) await reader.store.put(block.cid, block.bytes, { links: block.links });
      fetch.resolve();
      assert.deepEqual(Buffer.from(await collect(file.body)), Buffer.from(bytes));
      assert.deepEqual(new Set(got), new Set([added.cid]), 'only the root, stored before the read began, came from the store');
      // A second read of the same content reads the packs: each kept block was handed over once.
      got.length = 0;
      assert.deepEqual(Buffer.from(await collect((await reader.openFile(added.cid, { arriving: Promise.resolve() })).body)), Buffer.from(bytes));
      assert.equal(new Set(got).size, blocks.length);
    } finally {
      await reader.close();
    }
  });

  it('gives the fetch\'s failure to a reader waiting for a block, and says "missing" when the fetch ended without it', { timeout: 30_000 }, async () => {
    const added = await source.addFile(once(bytes), { encrypt: false });
    const blocks = await blocksInReadOrder(source, added.cid);
    const reader = await emptyStore();
    try {
      const failing = deferred();
      const opening = reader.openFile(added.cid, { arriving: failing.promise });
      failing.reject(new Error('no holder of the root was found'));
      await assert.rejects(opening, /no holder of the root was found/);

      await reader.store.put(blocks[0].cid, blocks[0].bytes, { links: blocks[0].links });
      const ended = deferred();
      const file = await reader.openFile(added.cid, { arriving: ended.promise });
      const reading = collect(file.body);
      ended.resolve();
      await assert.rejects(reading, (error: unknown) => error instanceof ContentNotFoundError && /a block of the file is missing/.test((error as Error).message));
      // Without `arriving`, a missing block is an error at once, as before.
      await assert.rejects(collect((await reader.openFile(added.cid)).body), ContentNotFoundError);
    } finally {
      await reader.close();
    }
  });

  it('starts the further fetch only when a block is still missing once the first has ended, and once per read', { timeout: 30_000 }, async () => {
    const added = await source.addFile(once(bytes), { encrypt: false });
    const blocks = await blocksInReadOrder(source, added.cid);
    const put = async (store: ContentStore, some: typeof blocks): Promise<void> => {
      for (const block of some) await store.store.put(block.cid, block.bytes, { links: block.links });
    };
    let started = 0;
    const counted = (fetch: Promise<unknown>) => (): Promise<unknown> => {
      started++;
      return fetch;
    };
    const whole = await emptyStore();
    const rootOnly = await emptyStore();
    const stillRootOnly = await emptyStore();
    try {
      // All here: a read never starts the further fetch.
      await put(whole, blocks);
      const all = await whole.openFile(added.cid, { arriving: Promise.resolve(), fetchMissing: counted(Promise.resolve()) });
      assert.deepEqual(Buffer.from(await collect(all.body)), Buffer.from(bytes));
      assert.equal(started, 0);

      // The first fetch (a directory's, say) ended without the file's blocks: its own fetch brings them.
      await put(rootOnly, blocks.slice(0, 1));
      const own = deferred();
      const reading = rootOnly.openFile(added.cid, { arriving: Promise.resolve(), fetchMissing: counted(own.promise) }).then((file) => collect(file.body));
      // Should an assertion fail first, the stores close under this read: its error is not the test's.
      reading.catch(() => undefined);
      // Polled, not slept: a loaded machine may take more than a few milliseconds to reach the miss.
      await waitFor('the further fetch to start', () => started > 0);
      assert.equal(started, 1, 'started once the first fetch had ended without the block');
      await put(rootOnly, blocks.slice(1));
      own.resolve();
      assert.deepEqual(Buffer.from(await reading), Buffer.from(bytes));
      assert.equal(started, 1, 'one further fetch for all the blocks of one read');

      // The first fetch failed (for another part of a tree, say): the further one is tried, and
      // only its failure would be the answer.
      const failedFirst = await emptyStore();
      try {
        await put(failedFirst, blocks.slice(0, 1));
        const failing = Promise.reject(new Error('no holder of another file'));
        failing.catch(() => undefined);
        const rescued = await failedFirst.openFile(added.cid, {
          arriving: failing,
          fetchMissing: async () => put(failedFirst, blocks.slice(1)),
        });
        assert.deepEqual(Buffer.from(await collect(rescued.body)), Buffer.from(bytes));
        const alone = await failedFirst.openFile(added.cid, { arriving: failing });
        assert.deepEqual(Buffer.from(await collect(alone.body)), Buffer.from(bytes), 'all here now: nothing waits');
      } finally {
        await failedFirst.close();
      }

      // When the further fetch ends without the block too, the miss stands.
      await put(stillRootOnly, blocks.slice(0, 1));
      const file = await stillRootOnly.openFile(added.cid, { arriving: Promise.resolve(), fetchMissing: () => Promise.resolve() });
      await assert.rejects(collect(file.body), (error: unknown) => error instanceof ContentNotFoundError && /a block of the file is missing/.test((error as Error).message));
    } finally {
      await Promise.all([whole.close(), rootOnly.close(), stillRootOnly.close()]);
    }
  });
});
