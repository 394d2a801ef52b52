import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { CarBlockIterator, CarWriter } from '@ipld/car';
import { createNodeContentCipher } from '../../../src/runtime/content-cipher-node.ts';
import { exportCar, importCar } from '../../../src/runtime/content/car-files.ts';
import { sha256 } from '../../../src/runtime/content/content-hash.ts';
import { getContent } from '../../../src/runtime/content/content-exporter.ts';
import { addPath } from '../../../src/runtime/content/content-importer.ts';
import { Blockstore } from '../../../src/runtime/storage/blockstore.ts';
import { chunkingConfig } from '../../../src/services/storage/chunking/chunking-config.ts';
import { cidOf, Codec } from '../../../src/services/storage/dag/cids.ts';
import { bytesOf } from '../../services/storage/helpers.ts';

const chunking = chunkingConfig({ minBytes: 4096, averageBytes: 16384, maxBytes: 65536 });
const cipher = createNodeContentCipher(new Uint8Array(32).fill(9));
let work: string;
const stores: Blockstore[] = [];

async function newStore(name: string): Promise<Blockstore> {
  const store = await Blockstore.open(join(work, name), { durability: 'none' });
  stores.push(store);
  return store;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'peergrid-car-'));
  await mkdir(join(work, 'tree', 'sub'), { recursive: true });
  await writeFile(join(work, 'tree', 'one.bin'), bytesOf(300_000, 1));
  await writeFile(join(work, 'tree', 'sub', 'two.txt'), 'two\n');
});
after(async () => {
  for (const store of stores) await store.close();
  await rm(work, { recursive: true, force: true });
});

describe('CAR export and import', () => {
  it('a plain tree round-trips through a CAR into another store, and the CAR is a standard one (roots, every block)', async () => {
    const first = await newStore('a');
    const added = await addPath(join(work, 'tree'), first, { chunking });
    const car = join(work, 'plain.car');
    const exported = await exportCar(added.root, first, car);
    assert.equal(exported.blocks, added.blocks);
    const iterator = await CarBlockIterator.fromBytes(await readFile(car));
    assert.deepEqual((await iterator.getRoots()).map(String), [added.root.toString()]);
    let count = 0;
    for await (const _block of iterator) count++;
    assert.equal(count, added.blocks);

    const second = await newStore('b');
    const imported = await importCar(car, second);
    assert.equal(imported.refused, 0);
    assert.equal(imported.blocks, added.blocks);
    await second.gc({ graceMs: 0 });
    await getContent({ kind: 'plain', root: added.root }, join(work, 'plain-out'), (cid) => second.get(cid), null);
    assert.deepEqual(await readFile(join(work, 'plain-out', 'one.bin')), await readFile(join(work, 'tree', 'one.bin')));
    assert.equal(await readFile(join(work, 'plain-out', 'sub', 'two.txt'), 'utf8'), 'two\n');
  });

  it('encrypted content round-trips too, and survives a gc after import (its opaque blocks are pinned)', async () => {
    const first = await newStore('c');
    const added = await addPath(join(work, 'tree'), first, { chunking, cipher });
    assert.ok(added.capability);
    const car = join(work, 'encrypted.car');
    await exportCar(added.root, first, car);
    const second = await newStore('d');
    await importCar(car, second);
    const removed = await second.gc({ graceMs: 0 });
    assert.equal(removed.blocksRemoved, 0);
    await getContent({ kind: 'encrypted', capability: added.capability }, join(work, 'encrypted-out'), (cid) => second.get(cid), cipher);
    assert.deepEqual(await readFile(join(work, 'encrypted-out', 'one.bin')), await readFile(join(work, 'tree', 'one.bin')));
  });

  it('a block that does not match its CID is refused and named; the good ones are stored', async () => {
    const good = new TextEncoder().encode('good');
    const goodCid = cidOf(Codec.raw, good, sha256);
    const badCid = cidOf(Codec.raw, new TextEncoder().encode('what it claims'), sha256);
    const car = join(work, 'bad.car');
    const { writer, out } = CarWriter.create([goodCid]);
    const writing = pipeline(out, createWriteStream(car));
    await writer.put({ cid: goodCid, bytes: good });
    await writer.put({ cid: badCid, bytes: new TextEncoder().encode('something else') });
    await writer.close();
    await writing;
    const store = await newStore('e');
    const imported = await importCar(car, store);
    assert.equal(imported.blocks, 1);
    assert.equal(imported.refused, 1);
    assert.deepEqual(imported.refusedCids, [badCid.toString()]);
    assert.equal(store.has(goodCid), true);
    assert.equal(store.has(badCid), false);
  });

  it('a file that is not a CAR is a clear error', async () => {
    const path = join(work, 'not.car');
    await writeFile(path, 'hello, this is not a CAR file');
    await assert.rejects(importCar(path, await newStore('f')));
  });
});
