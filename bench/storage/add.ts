/**
 * Local add of one large file (issue 4's first storage benchmark): `addPath` into a fresh
 * blockstore, plain and encrypted, against baselines measured in the same run over the same file —
 * SHA-256 of the file (node:crypto, streamed; timed before and after the adds, the ratios using the
 * mean) and `cp` of it. Add reads, chunks (FastCDC), hashes
 * every block, (encrypts,) and writes and indexes every block; the ratios say what that costs.
 *
 * Two more figures say what bounds it: a durable copy (`cp`, then an fsync of the copy and of its
 * directory: what the disk takes when every byte must be on it, as the blockstore's default
 * durability asks) and the plain add again with the blockstore's durability `none` (no fsync: what
 * the processor alone allows).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeContentCipher } from '../../src/runtime/content-cipher-node.ts';
import { addPath, startImportWorkers } from '../../src/runtime/content/content-importer.ts';
import { tuneHeapForBulkData } from '../../src/runtime/heap-tuning.ts';
import { Blockstore } from '../../src/runtime/storage/blockstore.ts';
import { writePseudoRandomFile } from './pseudo-random-file.ts';

type Say = (line: string) => void;

const MiB = 1 << 20;

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** sync(1): writes back every dirty page of the machine before the next timed part starts. */
function flushToDisk(): void {
  spawnSync('sync');
}

function maxRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** Makes `path`'s bytes and its name in `dir` durable, as the blockstore does for a pack. */
async function fsyncFileAndDirectory(path: string, dir: string): Promise<void> {
  for (const target of [path, dir]) {
    const handle = await open(target, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/**
 * The ratios' baseline: SHA-256 of the file, read 1 MiB at a time into two buffers used over and
 * over, the next read running while one is hashed. Not a stream's fresh 1 MiB buffer per read: in a process that has loaded much code (the
 * whole `npm run bench -- storage`, which imports every benchmark and so the node runtime and
 * libp2p), each 64 MiB of such buffers set off a full mark of a larger heap, and the streamed
 * baseline ran at 1,095–1,256 MiB/s where alone it ran at 1,630–1,880 (2026-11-28) — flattering
 * the ratios by half. Reading into the same two buffers allocates nothing, and runs alike in both.
 */
async function sha256File(path: string): Promise<void> {
  const hash = createHash('sha256');
  // Two buffers: the next read runs while this one is hashed, as a stream reads ahead.
  const buffers = [Buffer.allocUnsafeSlow(MiB), Buffer.allocUnsafeSlow(MiB)];
  const handle = await open(path, 'r');
  try {
    let position = 0;
    let reading = handle.read(buffers[0], 0, MiB, position);
    for (let turn = 0; ; turn++) {
      const { bytesRead, buffer } = await reading;
      if (bytesRead === 0) break;
      position += bytesRead;
      reading = handle.read(buffers[(turn + 1) % 2], 0, MiB, position);
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  hash.digest();
}

export async function addBenchmark(say: Say, fileBytes = 1024 * MiB): Promise<Record<string, number>> {
  // An add runs in the node, whose GC `peergrid node start` tunes (heap-tuning.ts), and which starts
  // its import workers with itself (content-importer.ts): so here too. The baselines run in this
  // process as well, under the same settings.
  tuneHeapForBulkData();
  startImportWorkers();
  const dir = await mkdtemp(join(tmpdir(), 'peergrid-bench-add-'));
  try {
    const file = join(dir, 'input.bin');
    say(`writing a ${fileBytes / MiB} MiB test file`);
    await writePseudoRandomFile(file, fileBytes);
    const mibps = (ms: number): number => Math.round((fileBytes / MiB / (ms / 1000)) * 10) / 10;
    // Warm the page cache once, so every contender reads from memory alike; and start each timed
    // part with nothing left to write back (sync, untimed), so that no part pays for the flush of
    // what the one before wrote (the test file, cp's copy): the add's fsyncs would wait for it.
    await sha256File(file);
    flushToDisk();
    const hash = await timed(() => sha256File(file));
    say(`sha256: ${mibps(hash.ms)} MiB/s`);
    const copy = await timed(async () => {
      const result = spawnSync('cp', [file, join(dir, 'copy.bin')]);
      if (result.status !== 0) throw new Error(`cp failed: ${result.stderr}`);
    });
    await rm(join(dir, 'copy.bin'));
    flushToDisk();
    say(`cp: ${mibps(copy.ms)} MiB/s`);
    const durableCopy = await timed(async () => {
      const result = spawnSync('cp', [file, join(dir, 'copy.bin')]);
      if (result.status !== 0) throw new Error(`cp failed: ${result.stderr}`);
      await fsyncFileAndDirectory(join(dir, 'copy.bin'), dir);
    });
    await rm(join(dir, 'copy.bin'));
    flushToDisk();
    say(`cp and fsync: ${mibps(durableCopy.ms)} MiB/s`);
    const add = async (encrypt: boolean, durable = true): Promise<number> => {
      const storeDir = join(dir, `store-${encrypt ? 'encrypted' : 'plain'}${durable ? '' : '-no-fsync'}`);
      const store = await Blockstore.open(storeDir, durable ? {} : { durability: 'none' });
      try {
        const cipher = encrypt ? createNodeContentCipher(new Uint8Array(32).fill(3)) : undefined;
        const run = await timed(() => addPath(file, store, { cipher }));
        say(`add ${encrypt ? 'encrypted' : 'plain'}${durable ? '' : ' without fsync'}: ${mibps(run.ms)} MiB/s, ${run.value.chunks} chunks`);
        return run.ms;
      } finally {
        await store.close();
        await rm(storeDir, { recursive: true, force: true });
        flushToDisk();
      }
    };
    const rssBeforeAddMiB = maxRssMiB();
    const plainMs = await add(false);
    // The process's peak so far: the plain add's, since nothing before it held much (the baselines read into two 1 MiB buffers).
    const rssPeakPlainAddMiB = maxRssMiB();
    const encryptedMs = await add(true);
    // The baseline again, after the two adds it is compared with: their ratios use the mean of both
    // (as the fetch's raw stream is timed before and after it), so that a machine whose speed drifts
    // over the minute between them favours neither side.
    const hashAfter = await timed(() => sha256File(file));
    say(`sha256 again: ${mibps(hashAfter.ms)} MiB/s`);
    const hashMs = (hash.ms + hashAfter.ms) / 2;
    const plainNoFsyncMs = await add(false, false);
    return {
      fileBytes,
      /** SHA-256 of the file: the mean of its times before and after the two adds, the ratios' baseline. */
      sha256MiBps: mibps(hashMs),
      sha256BeforeMiBps: mibps(hash.ms),
      sha256AfterMiBps: mibps(hashAfter.ms),
      cpMiBps: mibps(copy.ms),
      addPlainMiBps: mibps(plainMs),
      addEncryptedMiBps: mibps(encryptedMs),
      addPlainVsSha256: Math.round((hashMs / plainMs) * 1000) / 1000,
      addEncryptedVsSha256: Math.round((hashMs / encryptedMs) * 1000) / 1000,
      /** Add time over cp time (kubo's maintainers call 1.1–1.2 normal). */
      addVsCp: Math.round((plainMs / copy.ms) * 1000) / 1000,
      /** `cp` and an fsync of the copy: the disk's pace when every byte must reach it. */
      durableCopyMiBps: mibps(durableCopy.ms),
      /** Add time over that durable copy's time: 1 would mean the add costs only what making the bytes durable costs. */
      addVsDurableCopy: Math.round((plainMs / durableCopy.ms) * 1000) / 1000,
      /** The plain add with durability 'none' (no fsync), against SHA-256: the processor's share of the bound. */
      addPlainNoFsyncMiBps: mibps(plainNoFsyncMs),
      addPlainNoFsyncVsSha256: Math.round((hashMs / plainNoFsyncMs) * 1000) / 1000,
      /** The process's peak resident set before the adds, and after the plain add (so, its peak). */
      rssPeakBeforeAddsMiB: rssBeforeAddMiB,
      rssPeakPlainAddMiB,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const mib = Number(process.argv[2] ?? 1024);
  console.log(JSON.stringify(await addBenchmark((line) => process.stderr.write(`${line}\n`), mib * MiB)));
}
