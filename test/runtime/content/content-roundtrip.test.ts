import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as DagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { createNodeContentCipher } from '../../../src/runtime/content-cipher-node.ts';
import { sha256 } from '../../../src/runtime/content/content-hash.ts';
import { listRef } from '../../../src/runtime/content/content-entries.ts';
import { getContent, ExistingPathError } from '../../../src/runtime/content/content-exporter.ts';
import { addPath } from '../../../src/runtime/content/content-importer.ts';
import { Blockstore } from '../../../src/runtime/storage/blockstore.ts';
import { chunkingConfig } from '../../../src/services/storage/chunking/chunking-config.ts';
import { cidOf, Codec } from '../../../src/services/storage/dag/cids.ts';
import { DagError } from '../../../src/services/storage/dag/dag-error.ts';
import { bytesOf } from '../../services/storage/helpers.ts';

const cipher = createNodeContentCipher(new Uint8Array(32).fill(7));
/** Small chunks, so that a few MiB make many of them. */
const chunking = chunkingConfig({ minBytes: 4096, averageBytes: 16384, maxBytes: 65536 });

let work: string;
let store: Blockstore;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'peergrid-content-'));
  store = await Blockstore.open(join(work, 'blocks'), { durability: 'none' });
});
after(async () => {
  await store.close();
  await rm(work, { recursive: true, force: true });
});

const getBlock = (cid: Parameters<Blockstore['get']>[0]) => store.get(cid);

async function makeTree(root: string): Promise<void> {
  await mkdir(join(root, 'docs', 'empty-dir'), { recursive: true });
  await writeFile(join(root, 'big.bin'), bytesOf(3 << 20, 11));
  await writeFile(join(root, 'docs', 'a.txt'), 'hello grid\n');
  await writeFile(join(root, 'docs', 'empty.txt'), '');
  await symlink('/etc/passwd', join(root, 'docs', 'link-out'));
}

async function sameTree(a: string, b: string): Promise<void> {
  const names = (await readdir(a, { withFileTypes: true })).filter((entry) => !entry.isSymbolicLink()).map((entry) => entry.name).sort();
  assert.deepEqual((await readdir(b)).sort(), names);
  for (const entry of await readdir(a, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await sameTree(join(a, entry.name), join(b, entry.name));
    else assert.deepEqual(await readFile(join(b, entry.name)), await readFile(join(a, entry.name)), entry.name);
  }
}

for (const encrypted of [false, true]) {
  describe(`put and get of a directory tree, ${encrypted ? 'encrypted' : 'plain'}`, () => {
    it('comes back identical; symbolic links are skipped, not followed; ls lists the entries', async () => {
      const source = join(work, `tree-${encrypted}`);
      await makeTree(source);
      const added = await addPath(source, store, { chunking, cipher: encrypted ? cipher : undefined });
      assert.deepEqual(added.skipped, [join(source, 'docs', 'link-out')]);
      assert.equal(added.files, 3);
      assert.equal(added.bytes, (3 << 20) + 11);
      assert.ok(added.chunks > 20);
      assert.equal(added.capability === null, !encrypted);
      const ref = added.capability ? { kind: 'encrypted' as const, capability: added.capability } : { kind: 'plain' as const, root: added.root };
      const out = join(work, `out-${encrypted}`);
      const got = await getContent(ref, out, getBlock, cipher);
      assert.deepEqual(got, { files: 3, directories: 3, bytes: (3 << 20) + 11 });
      await sameTree(source, out);
      const listing = (await listRef(ref, getBlock, cipher)).entries;
      assert.deepEqual(listing.map((entry) => [entry.name, entry.kind]), [['big.bin', 'file'], ['docs', 'directory']]);
      assert.equal(listing[0].bytes, 3 << 20);
      await assert.rejects(getContent(ref, out, getBlock, cipher), ExistingPathError, 'never overwrites');
    });

    it('a 1-byte edit in the middle of a file stores at most 2 new chunks', async () => {
      const original = bytesOf(2 << 20, 5);
      const edited = new Uint8Array(original.length + 1);
      edited.set(original.subarray(0, 1 << 20));
      edited[1 << 20] = 42;
      edited.set(original.subarray(1 << 20), (1 << 20) + 1);
      const first = join(work, `edit-a-${encrypted}`);
      const second = join(work, `edit-b-${encrypted}`);
      await writeFile(first, original);
      await writeFile(second, edited);
      const options = { chunking, cipher: encrypted ? cipher : undefined };
      await addPath(first, store, options);
      const before = store.usage();
      const again = await addPath(second, store, options);
      const after = store.usage();
      const newBlocks = after.blocks - before.blocks;
      // New: at most 2 chunks, plus the file nodes above them (one here: ~2 MiB / 16 KiB < 174 leaves),
      // plus the encrypted root node that wraps them.
      assert.ok(newBlocks <= 2 + 1 + (encrypted ? 1 : 0), `${newBlocks} new blocks for ${again.chunks} chunks`);
    });
  });
}

describe('get refuses hostile content', () => {
  it('a directory naming ../escape is refused and nothing is written outside the output path', async () => {
    const leaf = new TextEncoder().encode('pwned');
    const leafCid = cidOf(Codec.raw, leaf, sha256);
    const links = [{ Hash: leafCid, Name: '../escape', Tsize: leaf.length }];
    const bytes = DagPb.encode({ Data: new UnixFS({ type: 'directory' }).marshal(), Links: links });
    const root = cidOf(Codec.dagPb, bytes, sha256);
    await store.putMany([{ cid: leafCid, bytes: leaf }, { cid: root, bytes, links: [leafCid] }]);
    const out = join(work, 'hostile', 'out');
    await mkdir(join(work, 'hostile'));
    await assert.rejects(getContent({ kind: 'plain', root }, out, getBlock, null), DagError);
    assert.deepEqual(await readdir(join(work, 'hostile')), [], 'no escape file beside the output, and no output directory either');
  });
});
