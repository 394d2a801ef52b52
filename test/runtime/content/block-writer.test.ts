/** The batching writer: batches by size, several in flight at most, every block stored by flush, a failure surfaced. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlockWriter } from '../../../src/runtime/content/block-writer.ts';
import { Blockstore, type BlockInput, type PutManyOptions, type PutResult } from '../../../src/runtime/storage/blockstore.ts';
import { testBlock } from '../storage/blockstore-harness.ts';
import { waitFor } from '../../support/wait-for.ts';

let work: string;
let store: Blockstore;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'peergrid-block-writer-'));
  store = await Blockstore.open(join(work, 'blocks'), { durability: 'none' });
});
after(async () => {
  await store.close();
  await rm(work, { recursive: true, force: true });
});

/** The store, with each putMany held until the test lets it go, and the most ever running at once counted. */
function gatedStore(): { store: Blockstore; running: () => number; most: () => number; release: () => void; fail: (error: Error) => void } {
  let running = 0;
  let most = 0;
  const waiting: (() => void)[] = [];
  let failure: Error | null = null;
  const gated = Object.create(store) as Blockstore;
  gated.putMany = async (blocks: readonly BlockInput[], options?: PutManyOptions): Promise<PutResult> => {
    running++;
    most = Math.max(most, running);
    await new Promise<void>((resolve) => waiting.push(resolve));
    running--;
    if (failure !== null) throw failure;
    return store.putMany(blocks, options);
  };
  return {
    store: gated,
    running: () => running,
    most: () => most,
    release: () => {
      for (const resolve of waiting.splice(0)) resolve();
    },
    fail: (error) => (failure = error),
  };
}

describe('BlockWriter', () => {
  it('keeps at most writesInFlightMax batches in flight, and flush stores every block', async () => {
    const gate = gatedStore();
    const session = store.openSession();
    const writer = new BlockWriter(gate.store, session, { batchBytes: 4096, writesInFlightMax: 2 });
    const blocks = Array.from({ length: 12 }, (_, index) => testBlock(`writer-${index}`, 4096));
    const adding = (async () => {
      for (const block of blocks) await writer.add([block]);
    })();
    // Two batches go out; the third waits for one of them, however long it is given.
    await waitFor('two batches to go out', () => gate.running() >= 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(gate.running(), 2);
    const releasing = setInterval(gate.release, 5);
    try {
      await adding;
      await writer.flush();
    } finally {
      clearInterval(releasing);
    }
    assert.equal(gate.most(), 2);
    assert.equal(writer.batches, 12);
    for (const block of blocks) assert.ok(store.has(block.cid));
    session.close();
  });

  it('surfaces a failed batch at the next add or at flush', async () => {
    const gate = gatedStore();
    const session = store.openSession();
    const writer = new BlockWriter(gate.store, session, { batchBytes: 1, writesInFlightMax: 2 });
    await writer.add([testBlock('failing-1', 100)]);
    gate.fail(new Error('disk full'));
    gate.release();
    await assert.rejects(async () => {
      for (let index = 0; index < 5; index++) {
        await writer.add([testBlock(`failing-${index + 2}`, 100)]);
        gate.release();
      }
      await writer.flush();
    }, /disk full/);
    session.close();
  });

  it('flush with a pin sends the last batch after the others are stored, carrying the pin; a failed batch leaves no pin', async () => {
    const gate = gatedStore();
    const seen: { blocks: number; pin: boolean; running: number }[] = [];
    const putMany = gate.store.putMany;
    gate.store.putMany = (blocks, options) => {
      seen.push({ blocks: blocks.length, pin: options?.pin !== undefined, running: gate.running() });
      return putMany(blocks, options);
    };
    const releasing = setInterval(gate.release, 5);
    const session = store.openSession();
    try {
      const writer = new BlockWriter(gate.store, session, { batchBytes: 4096, writesInFlightMax: 2 });
      const blocks = Array.from({ length: 3 }, (_, index) => testBlock(`pinned-writer-${index}`, 4096));
      for (const block of blocks) await writer.add([block]);
      // Smaller than a batch: still pending when flush is called.
      await writer.add([testBlock('pinned-writer-tail', 100)]);
      await writer.flush({ cid: blocks[0].cid, name: 'writer-pin' });
      // Batches went out as they filled; the pin rode on one sent with nothing else in flight.
      const pinned = seen.filter((call) => call.pin);
      assert.equal(pinned.length, 1);
      assert.equal(pinned[0].running, 0);
      assert.deepEqual(store.listPins({ name: 'writer-pin' }).map((pin) => pin.cid.toString()), [blocks[0].cid.toString()]);

      // All sent before flush: the pin gets a commit of its own.
      const sentAll = new BlockWriter(gate.store, session, { batchBytes: 1 });
      const lone = testBlock('pinned-writer-lone', 100);
      await sentAll.add([lone]);
      await sentAll.flush({ cid: lone.cid, name: 'writer-pin-alone' });
      assert.equal(store.listPins({ name: 'writer-pin-alone' }).length, 1);

      // A failed batch: flush throws and pins nothing.
      const failing = new BlockWriter(gate.store, session, { batchBytes: 1 });
      const doomed = testBlock('pinned-writer-doomed', 100);
      gate.fail(new Error('disk full'));
      await failing.add([doomed]);
      await assert.rejects(failing.flush({ cid: doomed.cid, name: 'writer-pin-never' }), /disk full/);
      assert.equal(store.listPins({ name: 'writer-pin-never' }).length, 0);
    } finally {
      clearInterval(releasing);
      session.close();
    }
  });
});
