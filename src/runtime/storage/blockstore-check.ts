/**
 * Bringing files and index back into agreement: the cheap recovery run at every open, and the
 * full check, fsck.
 *
 * The invariant (docs/storage-blockstore.md, "Crash consistency"): outside an operation in
 * progress, a digest has an index row exactly when its file is in place; and every digest for
 * which that may be false has a row in `unsettled`, written before the file or row changes and
 * removed after both agree. So after a crash, recovery need only (1) empty tmp/ and (2) settle
 * the unsettled digests — never scan the shards. fsck scans everything, for what no journal can
 * cover: bit rot, hand edits, a power loss in 'none' durability.
 */
import { readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BlockCodecs, blockProblem, cidFromDigest } from './block-cid.ts';
import { quarantineBlockFile, readBlockFile, removeBlockFile } from './block-files.ts';
import type { BlockIndex, UnsettledRow } from './block-index.ts';
import { LayoutNames, allShards, blockPath, isDigestHex, removeFile } from './block-layout.ts';
import { BlockstoreLimits, LOCAL_OWNER } from './blockstore-limits.ts';
import { forEachLimited } from './parallel.ts';

export interface StoreParts {
  readonly root: string;
  readonly index: BlockIndex;
  readonly nowUnixMs: () => number;
}

/** What the recovery at open found and did. */
export interface RecoveryReport {
  /** Files left in tmp/ by writes that never finished, removed. */
  readonly tmpRemoved: number;
  /** Digests an interrupted operation left unsettled, each now settled one way or another. */
  readonly unsettled: number;
  /** Complete, valid files renamed into place by a put whose commit never happened: now indexed. */
  readonly adopted: readonly string[];
  /** Files of an interrupted put that did not verify: removed (the put never returned). */
  readonly discarded: number;
  /** Files of an interrupted deletion: removed. */
  readonly removed: number;
  /** Indexed blocks whose file did not verify: quarantined, rows dropped. */
  readonly quarantined: readonly string[];
  /** Indexed blocks whose file was gone: rows dropped. */
  readonly missing: readonly string[];
}

type Outcome = 'settled' | 'adopted' | 'discarded' | 'removed' | 'quarantined' | 'missing';

export async function recover(parts: StoreParts): Promise<RecoveryReport> {
  const tmpRemoved = await emptyTemporary(parts.root, true);
  const rows = parts.index.unsettled();
  const adopted: string[] = [];
  const quarantined: string[] = [];
  const missing: string[] = [];
  let discarded = 0;
  let removed = 0;
  await forEachLimited(rows, BlockstoreLimits.ioParallelism, async (row) => {
    const outcome = await settle(parts, row);
    const cid = cidFromDigest(row.codec || BlockCodecs.raw, row.digest).toString();
    if (outcome === 'adopted') adopted.push(cid);
    else if (outcome === 'quarantined') quarantined.push(cid);
    else if (outcome === 'missing') missing.push(cid);
    else if (outcome === 'discarded') discarded++;
    else if (outcome === 'removed') removed++;
  });
  return { tmpRemoved, unsettled: rows.length, adopted, discarded, removed, quarantined, missing };
}

/** Settles the given digests if they are unsettled (a put that failed half-way). The caller must keep other writers of these digests away. */
export async function settleDigests(parts: StoreParts, digests: readonly Uint8Array[]): Promise<void> {
  const wanted = new Set(digests.map((digest) => Buffer.from(digest).toString('hex')));
  const rows = parts.index.unsettled().filter((row) => wanted.has(Buffer.from(row.digest).toString('hex')));
  for (const row of rows) await settle(parts, row);
}

/** Makes one unsettled digest's file and row agree, then removes it from `unsettled`. */
async function settle(parts: StoreParts, row: UnsettledRow): Promise<Outcome> {
  const { root, index } = parts;
  const hex = Buffer.from(row.digest).toString('hex');
  const indexed = index.row(row.digest);
  const bytes = await readBlockFile(root, hex);
  let outcome: Outcome = 'settled';
  if (row.operation === 'delete' && indexed === undefined) {
    if (bytes !== undefined && (await removeBlockFile(root, hex))) outcome = 'removed';
  } else if (bytes === undefined) {
    if (indexed !== undefined) {
      index.dropMissing([row.digest]);
      outcome = 'missing';
    }
  } else if (blockProblem(row.digest, bytes, indexed?.size) === undefined) {
    if (indexed === undefined) {
      index.adopt(row.digest, row.codec || BlockCodecs.raw, bytes.length, row.owner || LOCAL_OWNER, parts.nowUnixMs());
      outcome = 'adopted';
    }
  } else if (indexed !== undefined) {
    await quarantineBlockFile(root, hex, parts.nowUnixMs());
    index.dropMissing([row.digest]);
    outcome = 'quarantined';
  } else {
    await removeBlockFile(root, hex);
    outcome = 'discarded';
  }
  index.dropLinksOfAbsentParents([row.digest]);
  index.settle([row.digest]);
  return outcome;
}

/** Counts (and, if `remove`, deletes) the files in tmp/. Only safe while no write is in progress. */
async function emptyTemporary(root: string, remove: boolean): Promise<number> {
  const folder = join(root, LayoutNames.temporary);
  const names = await readdir(folder);
  if (remove) await forEachLimited(names, BlockstoreLimits.ioParallelism, async (name) => void (await removeFile(join(folder, name))));
  return names.length;
}

export interface FsckOptions {
  /** Fix what is found (default false: only report). */
  readonly repair?: boolean;
  /** Hash every file (default true); false only compares sizes, which is much faster on a large store. */
  readonly verify?: boolean;
}

export interface FsckReport {
  /** True when the store was found consistent: nothing missing, corrupt, unindexed or stray, and SQLite's own check passed. */
  readonly ok: boolean;
  /** Whether repairs were made (repair: true and something to repair). A second fsck then reports ok. */
  readonly repaired: boolean;
  /** Index rows checked against their files. */
  readonly blocksChecked: number;
  /** Files found in the shard directories. */
  readonly filesChecked: number;
  /** Bytes hashed. */
  readonly bytesVerified: number;
  /** Indexed blocks without a file (repair: rows dropped). CIDv1 strings, at most reportListMax. */
  readonly missing: readonly string[];
  /** Blocks whose file does not match its digest or its indexed size (repair: quarantined, rows dropped). */
  readonly corrupt: readonly string[];
  /** Valid block files without an index row, such as a crash between rename and commit left behind. */
  readonly unindexed: readonly string[];
  /** The unindexed blocks that were indexed (repair only). */
  readonly adopted: readonly string[];
  /** Entries of the shard directories that are not block files, or not in their shard (repair: quarantined). */
  readonly strays: readonly string[];
  /** Leftover files in tmp/ (not an inconsistency: writes that never finished). */
  readonly tmpFound: number;
  readonly tmpRemoved: number;
  /** Digests still marked unsettled (after an interrupted operation this process did not recover). */
  readonly unsettled: number;
  /** What PRAGMA quick_check said, when it did not say ok. */
  readonly indexProblems: readonly string[];
  /** Blocks that pins want (directly or through links) but the store does not have: fetch them. Not an inconsistency. */
  readonly pinnedMissing: { readonly count: number; readonly cids: readonly string[] };
  /** Exact counts of the lists above, which are capped. */
  readonly counts: { readonly missing: number; readonly corrupt: number; readonly unindexed: number; readonly strays: number };
}

class CappedList {
  readonly items: string[] = [];
  count = 0;
  add(item: string): void {
    this.count++;
    if (this.items.length < BlockstoreLimits.reportListMax) this.items.push(item);
  }
}

/** The full check. The caller must hold the store exclusively (no write in progress). */
export async function fsck(parts: StoreParts, options: FsckOptions = {}): Promise<FsckReport> {
  const repair = options.repair ?? false;
  const verify = options.verify ?? true;
  const { root, index } = parts;
  const missing = new CappedList();
  const corrupt = new CappedList();
  const unindexed = new CappedList();
  const adopted = new CappedList();
  const strays = new CappedList();
  let repaired = false;
  let bytesVerified = 0;
  let blocksChecked = 0;
  let filesChecked = 0;

  const tmpFound = await emptyTemporary(root, repair);
  const tmpRemoved = repair ? tmpFound : 0;
  if (repair && tmpFound > 0) repaired = true;
  const indexProblems = index.quickCheck().filter((line) => line !== 'ok');

  // Every row against its file.
  let after: Uint8Array | undefined;
  for (;;) {
    const page = index.page(after);
    if (page.length === 0) break;
    after = page[page.length - 1].digest;
    const dropped: Uint8Array[] = [];
    await forEachLimited(page, BlockstoreLimits.ioParallelism, async (row) => {
      blocksChecked++;
      const hex = Buffer.from(row.digest).toString('hex');
      const cid = cidFromDigest(row.codec, row.digest).toString();
      const state = verify ? await verifyFile(root, hex, row.digest, row.size, (bytes) => (bytesVerified += bytes)) : await compareSize(root, hex, row.size);
      if (state === 'missing') {
        missing.add(cid);
        if (repair) dropped.push(row.digest);
      } else if (state === 'corrupt') {
        corrupt.add(cid);
        if (repair) {
          await quarantineBlockFile(root, hex, parts.nowUnixMs());
          dropped.push(row.digest);
        }
      }
    });
    if (dropped.length > 0) {
      index.dropMissing(dropped);
      repaired = true;
    }
  }

  // Every file against the index.
  for (const shard of allShards()) {
    const folder = join(root, shard);
    const names = await readdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    await forEachLimited(names, BlockstoreLimits.ioParallelism, async (name) => {
      filesChecked++;
      const path = join(folder, name);
      if (!isDigestHex(name) || name.slice(0, 2) !== shard || !(await stat(path)).isFile()) {
        strays.add(join(shard, name));
        if (repair) {
          await quarantineStray(root, shard, name, parts.nowUnixMs());
          repaired = true;
        }
        return;
      }
      const digest = Buffer.from(name, 'hex');
      if (index.size(digest) !== undefined) return;
      const bytes = await readBlockFile(root, name);
      if (bytes === undefined) return;
      bytesVerified += bytes.length;
      const cid = cidFromDigest(BlockCodecs.raw, digest).toString();
      if (blockProblem(digest, bytes) !== undefined) {
        corrupt.add(cid);
        if (repair) {
          await quarantineBlockFile(root, name, parts.nowUnixMs());
          repaired = true;
        }
        return;
      }
      unindexed.add(cid);
      if (repair) {
        index.adopt(digest, BlockCodecs.raw, bytes.length, LOCAL_OWNER, parts.nowUnixMs());
        adopted.add(cid);
        repaired = true;
      }
    });
  }

  // With the files and rows in agreement, nothing is unsettled any more.
  const unsettledRows = index.unsettled();
  if (repair && unsettledRows.length > 0) {
    const digests = unsettledRows.map((row) => row.digest);
    index.dropLinksOfAbsentParents(digests);
    index.settle(digests);
    repaired = true;
  }

  const wanted = index.pinnedMissing(BlockstoreLimits.reportListMax);
  const ok = missing.count === 0 && corrupt.count === 0 && unindexed.count === 0 && strays.count === 0 && indexProblems.length === 0;
  return {
    ok,
    repaired,
    blocksChecked,
    filesChecked,
    bytesVerified,
    missing: missing.items,
    corrupt: corrupt.items,
    unindexed: unindexed.items,
    adopted: adopted.items,
    strays: strays.items,
    tmpFound,
    tmpRemoved,
    unsettled: repair ? 0 : unsettledRows.length,
    indexProblems,
    pinnedMissing: { count: wanted.count, cids: wanted.digests.map((digest) => cidFromDigest(BlockCodecs.raw, digest).toString()) },
    counts: { missing: missing.count, corrupt: corrupt.count, unindexed: unindexed.count, strays: strays.count },
  };
}

type FileState = 'good' | 'missing' | 'corrupt';

async function verifyFile(root: string, hex: string, digest: Uint8Array, size: number, onHashed: (bytes: number) => void): Promise<FileState> {
  const bytes = await readBlockFile(root, hex);
  if (bytes === undefined) return 'missing';
  onHashed(bytes.length);
  return blockProblem(digest, bytes, size) === undefined ? 'good' : 'corrupt';
}

async function compareSize(root: string, hex: string, size: number): Promise<FileState> {
  try {
    return (await stat(blockPath(root, hex))).size === size ? 'good' : 'corrupt';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}

async function quarantineStray(root: string, shard: string, name: string, nowUnixMs: number): Promise<void> {
  await rename(join(root, shard, name), join(root, LayoutNames.quarantine, `stray.${shard}.${name.slice(0, 100)}.${nowUnixMs}`));
}
