/**
 * The child process of the kill -9 test (blockstore-crash.test.ts): opens the store in argv[2] and
 * writes to it until it is killed, printing one JSON line per operation *after* the operation
 * returned, so that every line is a promise the store made:
 *   {"event":"kept","cids":[…]}   blocks put and recursively pinned through their manifest
 *   {"event":"deleted","cid":…}   a block deleted
 *   {"event":"gc",…}              a gc finished
 * Durability modes, single puts and batches, deletions and gcs are mixed, so the kill lands in
 * every kind of step.
 */
import { Blockstore } from '../../../src/runtime/storage/blockstore.ts';
import { BlockCodecs } from '../../../src/runtime/storage/block-cid.ts';
import { testBlock } from './blockstore-harness.ts';

const [dir, round] = process.argv.slice(2);
const modes = ['block', 'batch', 'none'] as const;

function say(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const store = await Blockstore.open(dir);
say({ event: 'open', recovery: store.recovery });
for (let step = 0; ; step++) {
  const durability = modes[step % modes.length];
  const tag = `crash-${round}-${step}`;
  if (step % 5 === 4) {
    // Scratch: unpinned blocks, one deleted, then a gc that takes the rest.
    const scratch = Array.from({ length: 3 }, (_, index) => testBlock(`${tag}-scratch-${index}`, 2048 + index * 4096));
    await store.putMany(scratch, { durability });
    await store.delete(scratch[0].cid);
    say({ event: 'deleted', cid: scratch[0].cid.toString() });
    const report = await store.gc({ graceMs: 0 });
    say({ event: 'gc', ...report });
    continue;
  }
  const leafCount = step % 2 === 0 ? 1 : 6;
  const leaves = Array.from({ length: leafCount }, (_, index) => testBlock(`${tag}-leaf-${index}`, 1024 + ((step * 7919 + index * 104729) % (96 * 1024))));
  const manifest = testBlock(`${tag}-manifest`, 200, BlockCodecs.dagCbor);
  const session = store.openSession();
  if (leafCount === 1) await store.put(leaves[0].cid, leaves[0].bytes, { durability, session });
  else await store.putMany(leaves, { durability, session });
  await store.put(manifest.cid, manifest.bytes, { links: leaves.map((leaf) => leaf.cid), durability, session });
  store.pin(manifest.cid, { name: tag });
  session.close();
  say({ event: 'kept', cids: [manifest, ...leaves].map((block) => block.cid.toString()) });
}
