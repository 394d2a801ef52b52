/**
 * `heliaAddSpeedup` (issue 4): Helia's local add of a file against ours, over the same file in the
 * same run. The file is the one bench/storage/add.ts adds (helia-test-file.ts), read from the page
 * cache by both (it is read once before). Ours is add.ts's plain add: `addPath` into a fresh
 * blockstore in this process, timed from the call to its return (FastCDC chunks, every block hashed,
 * written and indexed, fsynced in batches). Helia's runs in a Helia node process
 * (bench/helia/helia-node.mjs), timed there from the first read to the root's CID: 1 MiB
 * fixed-size chunks, raw leaves, blockstore-fs, which never fsyncs. Because of that last
 * difference two like-for-like pairs are reported beside the issue's figure: Helia's add followed
 * by a `sync` of the file system against ours (both durable when they end), and ours with the
 * blockstore's durability `none` (no fsync: the OS writes back when it likes, as for Helia) against
 * Helia's add. The issue's `heliaAddSpeedup` stays ours as it runs by default against Helia's.
 */
import { tuneHeapForBulkData } from '../../src/runtime/heap-tuning.ts';
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addPath } from '../../src/runtime/content/content-importer.ts';
import { Blockstore, Durability } from '../../src/runtime/storage/blockstore.ts';
import { finishMachineLoad, machineLoadNow, type MachineLoad } from './grid.ts';
import { withHeliaNodes, type HeliaNodeStarted } from './helia-process.ts';
import { writePseudoRandomFile } from './pseudo-random-file.ts';
import { mibps, round1, round3 } from '../support/figures.ts';

type Say = (line: string) => void;

const MiB = 1 << 20;

export interface HeliaAddResult {
  readonly fileBytes: number;
  readonly oursAddMs: number;
  readonly oursAddMiBps: number;
  readonly oursChunks: number;
  readonly heliaAddMs: number;
  readonly heliaAddMiBps: number;
  readonly heliaCid: string;
  /** Helia's add followed by `sync -f` of the file system its blocks are on: blockstore-fs leaves them unsynced, ours syncs. */
  readonly heliaAddThenSyncMs: number | null;
  readonly heliaAddThenSyncMiBps: number | null;
  /** Helia's add time ÷ ours: above 1, ours is faster. */
  readonly heliaAddSpeedup: number;
  /** Ours with the blockstore's durability `none` (no fsync, like blockstore-fs). */
  readonly oursUnsyncedAddMs: number;
  readonly oursUnsyncedAddMiBps: number;
  /** Both without fsync: Helia's add time ÷ ours unsynced. */
  readonly heliaAddSpeedupWithoutFsync: number;
  /** Both durable at the end: Helia's add and sync time ÷ ours (which fsyncs as it goes); null without a sync. */
  readonly heliaAddSpeedupBothDurable: number | null;
  readonly heliaVersions: HeliaNodeStarted['versions'];
  readonly machine: MachineLoad;
}

export async function heliaAddBenchmark(say: Say, fileBytes: number): Promise<HeliaAddResult> {
  // Ours runs in this process with the node's GC settings (heap-tuning.ts), Helia in its own with its defaults.
  tuneHeapForBulkData();
  const machine = machineLoadNow();
  const dir = await mkdtemp(join(tmpdir(), 'peergrid-bench-helia-add-'));
  try {
    const file = join(dir, 'input.bin');
    say(`  writing the ${fileBytes / MiB} MiB file of the local add benchmark`);
    await writePseudoRandomFile(file, fileBytes);
    await readAll(file);
    const ours = await oursAdd(file, join(dir, 'ours-store'), Durability.batch);
    say(`  ours: ${mibps(fileBytes, ours.ms)} MiB/s (${ours.chunks} chunks)`);
    const unsynced = await oursAdd(file, join(dir, 'ours-store-unsynced'), Durability.none);
    say(`  ours without fsync: ${mibps(fileBytes, unsynced.ms)} MiB/s`);
    // What it left for the OS to write back would otherwise slow the add that follows.
    syncFileSystem(dir);
    return await withHeliaNodes(join(dir, 'helia'), ['helia'], say, async ([helia]) => {
      const startedMs = performance.now();
      const added = await helia.process.add(file);
      const syncMs = syncFileSystem(dir);
      const addThenSyncMs = syncMs === null ? null : performance.now() - startedMs;
      if (added.bytes !== fileBytes) throw new Error(`Helia added ${added.bytes} bytes, not ${fileBytes}`);
      say(`  Helia: ${mibps(fileBytes, added.durationMs)} MiB/s (${addThenSyncMs === null ? 'no sync' : `${mibps(fileBytes, addThenSyncMs)} MiB/s with a sync after`})`);
      return {
        fileBytes,
        oursAddMs: round1(ours.ms),
        oursAddMiBps: mibps(fileBytes, ours.ms),
        oursChunks: ours.chunks,
        heliaAddMs: round1(added.durationMs),
        heliaAddMiBps: mibps(fileBytes, added.durationMs),
        heliaCid: added.cid,
        heliaAddThenSyncMs: addThenSyncMs === null ? null : round1(addThenSyncMs),
        heliaAddThenSyncMiBps: addThenSyncMs === null ? null : mibps(fileBytes, addThenSyncMs),
        heliaAddSpeedup: round3(added.durationMs / ours.ms),
        oursUnsyncedAddMs: round1(unsynced.ms),
        oursUnsyncedAddMiBps: mibps(fileBytes, unsynced.ms),
        heliaAddSpeedupWithoutFsync: round3(added.durationMs / unsynced.ms),
        heliaAddSpeedupBothDurable: addThenSyncMs === null ? null : round3(addThenSyncMs / ours.ms),
        heliaVersions: helia.started.versions,
        machine: finishMachineLoad(machine),
      };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** add.ts's plain add: a fresh blockstore, `addPath` timed alone (not the store's opening or closing). */
async function oursAdd(file: string, storeDir: string, durability: Durability): Promise<{ ms: number; chunks: number }> {
  const store = await Blockstore.open(storeDir, { durability });
  try {
    const startedMs = performance.now();
    const added = await addPath(file, store);
    return { ms: performance.now() - startedMs, chunks: added.chunks };
  } finally {
    await store.close();
    // Its blocks would only take room (and page cache) from Helia's add that follows.
    await rm(storeDir, { recursive: true, force: true });
  }
}

/** `sync -f`: syncs the file system holding `path` (Helia's blocks among whatever else is on it); null when it fails. */
function syncFileSystem(path: string): number | null {
  const startedMs = performance.now();
  const result = spawnSync('sync', ['-f', path]);
  return result.status === 0 ? performance.now() - startedMs : null;
}

/** Reads the file once, so that both adds read it from memory. */
async function readAll(path: string): Promise<void> {
  for await (const piece of createReadStream(path, { highWaterMark: MiB })) void piece;
}

