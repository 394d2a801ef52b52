/**
 * A large file's add on worker threads (runtime/content/file-chunks.ts, cutting-worker.ts,
 * chunk-digests.ts, digest-worker.ts): the worker cuts exactly the chunks the main thread's
 * FastCDC cuts — across its pieces, with chunks left unfinished at a piece's end and cuts forced at
 * the maximum size — the digests and seals are those of the synchronous code, and so whole files get
 * the CIDs and capabilities of the main-thread path. A missing file fails with the read's own
 * error; a consumer that stops early ends its worker, and later files are cut as before.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chunksOf } from '../../../src/services/storage/chunking/chunk-assembler.ts';
import { chunkingConfig, DEFAULT_CHUNKING_CONFIG, type ChunkingConfig } from '../../../src/services/storage/chunking/chunking-config.ts';
import type { ContentCipher } from '../../../src/services/storage/crypt/content-cipher.ts';
import { FileDagBuilder } from '../../../src/services/storage/dag/file-layout.ts';
import { createNodeContentCipher } from '../../../src/runtime/content-cipher-node.ts';
import { digestedByWorkers, sealedByWorkers } from '../../../src/runtime/content/chunk-digests.ts';
import { sha256 } from '../../../src/runtime/content/content-hash.ts';
import { addPath, importWorkersAlive, setImportWorkersIdleMs, startImportWorkers } from '../../../src/runtime/content/content-importer.ts';
import { chunkGroupsCutByWorker, CUT_IN_WORKER_BYTES_MIN, cutsOnWorker, IMPORT_WORKERS_IDLE_MS, PieceBuffers, sharedPieceBuffers } from '../../../src/runtime/content/file-chunks.ts';
import { Blockstore } from '../../../src/runtime/storage/blockstore.ts';
import { bytesOf } from '../../services/storage/helpers.ts';

const MiB = 1 << 20;
const SECRET = new Uint8Array(32).fill(7);
/** Eleven pieces of 4 MiB: more than the buffers first given to the worker, so some are used again. */
const FORTY_MIB = 40 * MiB + 5;
const LARGE_BYTES = 320 * MiB;
/** Chunks of 1–4 KiB, most cuts forced at maxBytes (the strict mask rarely matches before it), and many span the worker's pieces. */
const FORCED_CUTS = chunkingConfig({ minBytes: 1024, averageBytes: 4096, maxBytes: 4096, normalizationLevel: 3 });

async function groupsOf(path: string, config: ChunkingConfig): Promise<Uint8Array[][]> {
  const groups: Uint8Array[][] = [];
  for await (const group of chunkGroupsCutByWorker(path, config)) groups.push([...group]);
  return groups;
}

async function* eachGroup(groups: readonly (readonly Uint8Array[])[]): AsyncGenerator<readonly Uint8Array[]> {
  for (const group of groups) yield group;
}

describe('adds on worker threads', () => {
  let dir = '';
  const files = new Map<number, { path: string; bytes: Uint8Array }>();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peergrid-import-workers-'));
    // Sizes around the worker's 4 MiB pieces, and one large enough to be cut on a worker by addPath.
    for (const size of [0, 1, 4 * MiB - 1, 4 * MiB, 9 * MiB + 12_345, CUT_IN_WORKER_BYTES_MIN + 777, FORTY_MIB]) {
      const path = join(dir, `file-${size}.bin`);
      const bytes = bytesOf(size, size + 3);
      await writeFile(path, bytes);
      files.set(size, { path, bytes });
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('cuts the chunks the main thread cuts, for every size, with the default sizes and with forced cuts', async () => {
    for (const config of [DEFAULT_CHUNKING_CONFIG, FORCED_CUTS]) {
      for (const [size, { path, bytes }] of files) {
        if (size > 10 * MiB && config === FORCED_CUTS) continue;
        const expected = [...chunksOf([bytes], config)];
        const groups = await groupsOf(path, config);
        const chunks = groups.flat();
        assert.equal(chunks.length, expected.length, `${size} bytes, max ${config.maxBytes}: chunk count`);
        chunks.forEach((chunk, index) => assert.deepEqual(chunk, expected[index], `${size} bytes: chunk ${index}`));
        if (size > 4 * MiB) assert.ok(groups.length > 1, 'handed over a piece at a time');
      }
    }
  });

  it('hashes and seals each chunk as the synchronous code does, in order', async () => {
    const groups = [[bytesOf(70_000, 1), bytesOf(5, 2)], [], [bytesOf(300_000, 3)], [new Uint8Array(0)]];
    const copies = groups.map((group) => group.map((chunk) => chunk.slice()));
    const hashed = [];
    for await (const one of digestedByWorkers(eachGroup(groups))) hashed.push(one);
    assert.deepEqual(hashed.map((one) => one.chunk), copies.flat());
    for (const one of hashed) assert.deepEqual(new Uint8Array(one.digest), new Uint8Array(sha256(one.chunk)));

    const cipher = createNodeContentCipher(SECRET);
    const sealed = [];
    for await (const one of sealedByWorkers(eachGroup(copies.map((group) => group.map((chunk) => chunk.slice()))), SECRET)) sealed.push(one);
    assert.equal(sealed.length, hashed.length);
    for (const one of sealed) {
      const key = cipher.keyFor(one.chunk);
      assert.deepEqual(new Uint8Array(one.key), new Uint8Array(key));
      const ciphertext = cipher.encrypt(key, one.chunk);
      assert.deepEqual(new Uint8Array(one.ciphertext), new Uint8Array(ciphertext));
      assert.deepEqual(new Uint8Array(one.digest), new Uint8Array(sha256(ciphertext)));
    }
  });

  it('a large file gets the CID and capability of the main-thread path, plain and encrypted', async () => {
    const { path, bytes } = files.get(CUT_IN_WORKER_BYTES_MIN + 777) as { path: string; bytes: Uint8Array };
    assert.ok(cutsOnWorker(CUT_IN_WORKER_BYTES_MIN + 777, DEFAULT_CHUNKING_CONFIG));
    const cipher = createNodeContentCipher(SECRET);
    // The same cipher without `seal` or its secret: the importer then cuts and seals on the main thread.
    const mainThread: ContentCipher = { keyFor: (p) => cipher.keyFor(p), encrypt: (k, p) => cipher.encrypt(k, p), decrypt: (k, c) => cipher.decrypt(k, c) };
    const add = async (name: string, options: Parameters<typeof addPath>[2]) => {
      const store = await Blockstore.open(join(dir, `store-${name}`), { durability: 'none' });
      try {
        return await addPath(path, store, options);
      } finally {
        await store.close();
      }
    };
    const onWorkers = await add('workers', { cipher });
    const onMain = await add('main', { cipher: mainThread });
    assert.equal(onWorkers.root.toString(), onMain.root.toString());
    assert.deepEqual(onWorkers.capability?.key, onMain.capability?.key);
    assert.equal(onWorkers.chunks, onMain.chunks);
    // Plain: against the DAG the synchronous hash builds from the main thread's chunks.
    const plain = await add('plain', {});
    const builder = new FileDagBuilder(sha256);
    for (const chunk of chunksOf([bytes], DEFAULT_CHUNKING_CONFIG)) builder.add(chunk);
    assert.equal(plain.root.toString(), builder.finish().dag.root.toString());
    assert.ok(plain.chunks > 40);
    // Chunks longer than a worker's pieces have room for are cut on the main thread.
    assert.ok(!cutsOnWorker(CUT_IN_WORKER_BYTES_MIN + 777, { ...DEFAULT_CHUNKING_CONFIG, maxBytes: 16 * MiB }));
  });

  it('idle workers do not keep a process alive, started ahead and never used, or after a file', async () => {
    const module = (path: string): string => JSON.stringify(new URL(`../../../src/runtime/${path}`, import.meta.url).href);
    const { path } = files.get(CUT_IN_WORKER_BYTES_MIN + 777) as { path: string };
    const scripts = {
      started: [`const { startImportWorkers } = await import(${module('content/content-importer.ts')});`, 'startImportWorkers();'],
      used: [
        `const { addPath, startImportWorkers } = await import(${module('content/content-importer.ts')});`,
        `const { Blockstore } = await import(${module('storage/blockstore.ts')});`,
        'startImportWorkers();',
        `const store = await Blockstore.open(${JSON.stringify(join(dir, 'store-exit'))}, { durability: 'none' });`,
        `await addPath(${JSON.stringify(path)}, store, {});`,
        'await store.close();',
      ],
    };
    for (const [name, lines] of Object.entries(scripts)) {
      const scriptPath = join(dir, `${name}.mjs`);
      await writeFile(scriptPath, [...lines, "console.log('done');"].join('\n'));
      // A process that failed to end would be killed at the timeout: status null, signal SIGKILL.
      const child = spawnSync(process.execPath, [scriptPath], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
      assert.equal(child.signal, null, `${name}: the process had to be killed: ${child.stderr}`);
      assert.equal(child.status, 0, child.stderr);
      assert.equal(child.stdout.trim(), 'done');
    }
  });

  it('reuses a piece buffer only once all its chunks are let go, and the chunks stay right meanwhile', async () => {
    const { path, bytes } = files.get(FORTY_MIB) as { path: string; bytes: Uint8Array };
    const expected = [...chunksOf([bytes], FORCED_CUTS)];
    const pieces = new PieceBuffers(FORCED_CUTS);
    let at = 0;
    const held: Uint8Array[] = [];
    for await (const { chunk, digest } of digestedByWorkers(chunkGroupsCutByWorker(path, FORCED_CUTS, pieces), pieces)) {
      assert.deepEqual(chunk, expected[at], `chunk ${at}`);
      assert.deepEqual(new Uint8Array(digest), new Uint8Array(sha256(expected[at])));
      at++;
      // Let go of chunks some way behind, as writes finishing would. A buffer given back too soon
      // would be transferred to the worker, and the chunks still held here would read as empty.
      held.push(chunk);
      while (held.length > 600) pieces.release(held.shift() as Uint8Array);
      assert.ok(held.every((kept) => kept.length > 0), 'a chunk still held lost its buffer');
    }
    assert.equal(at, expected.length);
    assert.ok(pieces.reused > 0, 'buffers given back were used again');
    const pieces2 = new PieceBuffers(FORCED_CUTS);
    const first = pieces2.take();
    const view = first.subarray(10, 20);
    pieces2.holdAll([view, first.subarray(30, 40)]);
    pieces2.release(view);
    assert.notEqual(pieces2.take(), first, 'still held by one chunk: not reused');
    pieces2.release(first.subarray(30, 40));
    assert.equal(pieces2.take().buffer, first.buffer, 'the last chunk let go gives it back');
    pieces2.release(new Uint8Array(pieces2.bytes));
  });

  it('a large add whose buffers are used again stores every block intact, plain and encrypted (fsck hashes each)', async () => {
    // Large enough that the first batches are stored, and their buffers given back, long before the
    // file is read through (a few dozen pieces would all be read before the first write ends).
    const path = join(dir, 'large.bin');
    const handle = await open(path, 'w');
    for (let written = 0; written < LARGE_BYTES; written += 16 * MiB) await handle.write(randomBytes(16 * MiB));
    await handle.close();
    for (const [name, options] of [['plain', {}], ['encrypted', { cipher: createNodeContentCipher(SECRET) }]] as const) {
      // The store's own durability: packs written directly, batches four at a time, as a node's.
      const store = await Blockstore.open(join(dir, `store-reused-${name}`));
      try {
        const added = await addPath(path, store, options);
        assert.equal(added.bytes, LARGE_BYTES);
        const report = await store.fsck({ verify: true });
        assert.ok(report.ok, `${name}: ${JSON.stringify(report.counts)}`);
        assert.deepEqual(report.corrupt, []);
        assert.ok(report.bytesVerified >= LARGE_BYTES);
      } finally {
        await store.close();
        await rm(join(dir, `store-reused-${name}`), { recursive: true, force: true });
      }
    }
    await rm(path);
  });

  it('adds share one pool of piece buffers: the next add takes the last one\'s, and an idle pool drops them', async () => {
    const { path, bytes } = files.get(FORTY_MIB) as { path: string; bytes: Uint8Array };
    const pool = sharedPieceBuffers(DEFAULT_CHUNKING_CONFIG);
    const addInto = async (name: string): Promise<void> => {
      const store = await Blockstore.open(join(dir, name));
      try {
        const added = await addPath(path, store);
        assert.equal(added.bytes, bytes.length);
        assert.ok((await store.fsck({ verify: true })).ok);
      } finally {
        await store.close();
        await rm(join(dir, name), { recursive: true, force: true });
      }
    };
    await addInto('store-pool-1');
    // Every block stored, so every piece's buffer came back (ten pieces, five granted at the start).
    const kept = pool.freeCount;
    assert.ok(kept >= 5, `${kept} buffers kept after the add`);
    const reusedBefore = pool.reused;
    await addInto('store-pool-2');
    assert.ok(pool.reused - reusedBefore >= 5, `the second add used ${pool.reused - reusedBefore} of the first add's buffers`);
    setImportWorkersIdleMs(100);
    try {
      for (let waitedMs = 0; waitedMs < 10_000 && pool.freeCount > 0; waitedMs += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(pool.freeCount, 0, 'an idle pool lets its buffers go');
    } finally {
      setImportWorkersIdleMs(IMPORT_WORKERS_IDLE_MS);
    }
  });

  it('idle workers end after the idle time, and the next large add starts them again', async () => {
    setImportWorkersIdleMs(100);
    try {
      startImportWorkers();
      const started = importWorkersAlive();
      assert.ok(started.cuttingIdle >= 1 && started.digest >= 1, JSON.stringify(started));
      for (let waitedMs = 0; waitedMs < 10_000; waitedMs += 50) {
        const alive = importWorkersAlive();
        if (alive.cuttingIdle === 0 && alive.digest === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual(importWorkersAlive(), { cuttingIdle: 0, digest: 0 });
      const { path, bytes } = files.get(CUT_IN_WORKER_BYTES_MIN + 777) as { path: string; bytes: Uint8Array };
      const again = [];
      for await (const { chunk } of digestedByWorkers(chunkGroupsCutByWorker(path, DEFAULT_CHUNKING_CONFIG))) again.push(chunk);
      assert.deepEqual(again, [...chunksOf([bytes], DEFAULT_CHUNKING_CONFIG)]);
    } finally {
      setImportWorkersIdleMs(IMPORT_WORKERS_IDLE_MS);
    }
  });

  it('a missing file fails with the read error; an abandoned cut ends its worker; later files are cut as before', async () => {
    await assert.rejects(groupsOf(join(dir, 'missing.bin'), DEFAULT_CHUNKING_CONFIG), (error: NodeJS.ErrnoException) => error.code === 'ENOENT' && /missing\.bin/.test(error.message));
    const { path, bytes } = files.get(9 * MiB + 12_345) as { path: string; bytes: Uint8Array };
    for await (const group of chunkGroupsCutByWorker(path, DEFAULT_CHUNKING_CONFIG)) {
      assert.ok(group.length >= 0);
      break;
    }
    const again = (await groupsOf(path, DEFAULT_CHUNKING_CONFIG)).flat();
    assert.deepEqual(again, [...chunksOf([bytes], DEFAULT_CHUNKING_CONFIG)]);
  });
});
