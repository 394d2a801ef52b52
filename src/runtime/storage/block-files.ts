/**
 * Block files: writing them into place under a durability mode, reading them back, and moving a
 * bad one to quarantine. No index here; blockstore.ts orders these steps around its transactions.
 *
 * Every write goes to a fresh file in tmp/ and is renamed into its shard: rename(2) replaces the
 * name atomically, so a reader or a crash sees no file or the whole file, never a part.
 */
import { open, rename, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { blockPath, fsyncDirectory, quarantinePath, removeFile, shardOf, shardPath, temporaryPath } from './block-layout.ts';
import { BlockstoreLimits } from './blockstore-limits.ts';
import { forEachLimited } from './parallel.ts';

/**
 * How much a put waits for the disk before it returns (and before its index commit):
 *
 * - 'block'  each block: write, fsync, rename, fsync its shard directory — one after another.
 * - 'batch'  all blocks of the batch written first, then one fsync pass over them (issued
 *            together, so the file system can merge their journal commits), the renames, and one
 *            fsync per shard directory touched. The same promise as 'block' when put returns,
 *            with far fewer waits for the disk; the default.
 * - 'none'   no fsync: the OS writes back when it likes. Survives any process crash (kill -9),
 *            not a power loss: after one, a block may read as corrupt (and be quarantined and
 *            fetched again) or be missing (fsck). For caches of blocks that can be fetched again.
 *
 * In 'block' and 'batch' the index commit that follows is synchronous=FULL, so once put returns
 * the block and its row survive a power loss.
 */
export const Durability = {
  block: 'block',
  batch: 'batch',
  none: 'none',
} as const;
export type Durability = (typeof Durability)[keyof typeof Durability];

export function isDurability(value: unknown): value is Durability {
  return value === Durability.block || value === Durability.batch || value === Durability.none;
}

export interface BlockFile {
  readonly hex: string;
  readonly bytes: Uint8Array;
}

const FILE_MODE = 0o600;

/**
 * Writes the blocks' files into place. If it throws, some blocks may already be in place and the
 * others are not; its temporary files are removed. The caller reconciles the digests.
 */
export async function writeBlockFiles(root: string, blocks: readonly BlockFile[], durability: Durability): Promise<void> {
  if (durability === Durability.block) {
    for (const block of blocks) await writeOneSynced(root, block);
  } else {
    await writeConcurrently(root, blocks, durability === Durability.batch);
  }
}

/** 'block': write, fsync, rename, fsync the shard — each block on its own. */
async function writeOneSynced(root: string, block: BlockFile): Promise<void> {
  const temporary = temporaryPath(root, block.hex);
  try {
    const handle = await open(temporary, 'wx', FILE_MODE);
    try {
      await handle.writeFile(block.bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, blockPath(root, block.hex));
  } catch (error) {
    await removeFile(temporary).catch(() => false);
    throw error;
  }
  await fsyncDirectory(shardPath(root, shardOf(block.hex)));
}

interface PendingFile {
  readonly temporary: string;
  readonly hex: string;
  handle: FileHandle | undefined;
  renamed: boolean;
}

/**
 * 'batch' and 'none': the files are written a few at a time; with `sync`, each stays open until
 * one fsync pass over all of them (blocksPerBatchMax bounds the descriptors), then all are
 * renamed and each shard directory touched is fsynced once.
 */
async function writeConcurrently(root: string, blocks: readonly BlockFile[], sync: boolean): Promise<void> {
  const files: PendingFile[] = [];
  try {
    await forEachLimited(blocks, BlockstoreLimits.ioParallelism, async (block) => {
      const file: PendingFile = { temporary: temporaryPath(root, block.hex), hex: block.hex, handle: undefined, renamed: false };
      files.push(file);
      file.handle = await open(file.temporary, 'wx', FILE_MODE);
      await file.handle.writeFile(block.bytes);
      if (!sync) await closeFile(file);
    });
    if (sync) await Promise.all(files.map((file) => file.handle?.sync()));
    await Promise.all(files.map(closeFile));
    await forEachLimited(files, BlockstoreLimits.ioParallelism, async (file) => {
      await rename(file.temporary, blockPath(root, file.hex));
      file.renamed = true;
    });
    if (sync) {
      const shards = new Set(files.map((file) => shardOf(file.hex)));
      await forEachLimited([...shards], BlockstoreLimits.ioParallelism, (shard) => fsyncDirectory(shardPath(root, shard)));
    }
  } catch (error) {
    await Promise.allSettled(files.map(closeFile));
    await Promise.allSettled(files.filter((file) => !file.renamed).map((file) => removeFile(file.temporary)));
    throw error;
  }
}

async function closeFile(file: PendingFile): Promise<void> {
  const handle = file.handle;
  file.handle = undefined;
  await handle?.close();
}

/**
 * The file's bytes, or undefined if there is no file. Reads at most blockBytesMax + 1 bytes, so a
 * file grown on disk (by hand, by accident) cannot make a read take unbounded memory: its excess
 * length makes it fail verification like any other damage.
 */
export async function readBlockFile(root: string, hex: string): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(blockPath(root, hex), 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.allocUnsafe(Math.min(size, BlockstoreLimits.blockBytesMax + 1));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === buffer.length ? buffer : buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** The file's size, or undefined if there is no file. */
export async function blockFileSize(root: string, hex: string): Promise<number | undefined> {
  try {
    return (await stat(blockPath(root, hex))).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Moves a block's file to quarantine/; returns its new path, or undefined if there was no file. */
export async function quarantineBlockFile(root: string, hex: string, nowUnixMs: number): Promise<string | undefined> {
  const target = quarantinePath(root, hex, nowUnixMs);
  try {
    await rename(blockPath(root, hex), target);
    return target;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function removeBlockFile(root: string, hex: string): Promise<boolean> {
  return removeFile(blockPath(root, hex));
}
