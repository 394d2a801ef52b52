/**
 * Bringing pack files and index back into agreement: the cheap recovery run at every open, and
 * the full check, fsck.
 *
 * The invariant (docs/storage-blockstore.md, "Crash consistency"): every row of `blocks` points
 * into a 'live' pack whose file is in place and holds the block's bytes where the row says; every
 * pack file in packs/ has a row in `packs`; and a pack row that is not 'live' is exactly what an
 * interrupted operation can leave — 'writing' (a put or compaction that never committed: its file
 * may or may not be in place, no row points into it) or 'removing' (nothing points into it any
 * more, its file may still be there). So after a crash, recovery need only (1) empty tmp/ and
 * (2) remove the files of those rows and the rows — never scan packs/. fsck scans everything, for
 * what no journal can cover: bit rot, hand edits, a power loss in 'none' durability.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BlockCodecs, blockProblem, cidFromDigest } from './block-cid.ts';
import { LayoutNames, packPath, removeFile, temporaryDir } from './block-layout.ts';
import { BlockstoreLimits, LOCAL_OWNER } from './blockstore-limits.ts';
import { decodeEntryHeader, ENTRY_HEADER_BYTES, hasPackMagic, PACK_MAGIC } from './pack-format.ts';
import { listPackFiles, packFileSize, removePackFile } from './pack-files.ts';
import { removePacksNow } from './pack-removal.ts';
import { forEachLimited } from './parallel.ts';
import { moveToQuarantine, writeQuarantineCopy } from './quarantine.ts';
import type { StoreParts } from './store-parts.ts';

/** What the recovery at open found and did. */
export interface RecoveryReport {
  /** Files left in tmp/ by writes that never finished, removed. */
  readonly tmpRemoved: number;
  /** Pack rows an interrupted operation left 'writing' or 'removing', each now settled. */
  readonly unsettled: number;
  /** Pack files of puts (or compactions) that never committed, removed: their callers never saw them succeed. */
  readonly discarded: number;
  /** Pack files of removals that never finished, removed. */
  readonly removed: number;
  /** Blocks of a layout-version-1 store (a file each) moved into packs at this open (loose-block-migration.ts). */
  readonly migrated: number;
  /**
   * Pack files the index does not know: a lost or replaced index.sqlite. Their blocks are neither
   * served nor removed; fsck reports them and --repair adopts them.
   */
  readonly unindexedPacks: number;
}

export async function recover(parts: StoreParts): Promise<Omit<RecoveryReport, 'migrated'>> {
  const tmpRemoved = await emptyTemporary(parts.root, true);
  const rows = parts.index.unsettledPacks();
  let discarded = 0;
  let removed = 0;
  for (const row of rows) {
    const had = await removePackFile(parts.root, row.id);
    if (had && row.state === 'writing') discarded++;
    if (had && row.state === 'removing') removed++;
  }
  parts.index.forgetPacks(rows.map((row) => row.id));
  // A pack file the index does not know (a replaced index.sqlite) must never be overwritten by a new pack of the same id.
  const { ids } = await listPackFiles(parts.root);
  if (ids.length > 0) parts.index.reservePackIds(ids[ids.length - 1]);
  const unindexedPacks = ids.filter((id) => parts.index.pack(id) === undefined).length;
  return { tmpRemoved, unsettled: rows.length, discarded, removed, unindexedPacks };
}

/** Counts (and, if `remove`, deletes) the files in tmp/. Only safe while no write is in progress. */
async function emptyTemporary(root: string, remove: boolean): Promise<number> {
  const folder = temporaryDir(root);
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
  /** Index rows checked against their packs. */
  readonly blocksChecked: number;
  /** Files found in packs/. */
  readonly filesChecked: number;
  /** Bytes hashed. */
  readonly bytesVerified: number;
  /** Indexed blocks whose pack file is gone or too short (repair: rows dropped). CIDv1 strings, at most reportListMax. */
  readonly missing: readonly string[];
  /** Blocks whose bytes do not match their digest (repair: a copy quarantined, rows dropped). */
  readonly corrupt: readonly string[];
  /** Valid blocks in pack files the index does not know (a lost or replaced index.sqlite), not stored otherwise. */
  readonly unindexed: readonly string[];
  /** The unindexed blocks that were indexed, their packs adopted (repair only). */
  readonly adopted: readonly string[];
  /** Entries of packs/ that are not packs, or unknown packs with nothing valid to adopt (repair: quarantined). */
  readonly strays: readonly string[];
  /** Leftover files in tmp/ (not an inconsistency: writes that never finished). */
  readonly tmpFound: number;
  readonly tmpRemoved: number;
  /** Pack rows still 'writing' or 'removing' (after an interrupted operation this process did not recover). */
  readonly unsettled: number;
  /** What PRAGMA quick_check said, when it did not say ok; and packs whose live counters disagree with their rows (repair: set). */
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

  const tmpFound = await emptyTemporary(root, repair);
  const tmpRemoved = repair ? tmpFound : 0;
  if (repair && tmpFound > 0) repaired = true;
  const indexProblems = index.quickCheck().filter((line) => line !== 'ok');

  // Every row against its pack.
  const packStates = new Map(index.packs().map((pack) => [pack.id, pack.state]));
  const sizes = new Map<number, number | undefined>();
  const sizeOf = async (id: number): Promise<number | undefined> => {
    if (!sizes.has(id)) sizes.set(id, await packFileSize(root, id));
    return sizes.get(id);
  };
  let after: Uint8Array | undefined;
  for (;;) {
    const page = index.page(after);
    if (page.length === 0) break;
    after = page[page.length - 1].digest;
    const dropped: Uint8Array[] = [];
    for (const row of page) {
      blocksChecked++;
      const cid = cidFromDigest(row.codec, row.digest).toString();
      const size = packStates.get(row.pack) === 'live' ? await sizeOf(row.pack) : undefined;
      if (size === undefined) {
        missing.add(cid);
        if (repair) dropped.push(row.digest);
        continue;
      }
      if (row.offset + row.size > size) {
        // The pack is there but cut short: the block's bytes are damaged, as a get would find.
        corrupt.add(cid);
        if (repair) dropped.push(row.digest);
        continue;
      }
      if (!verify) continue;
      const bytes = await parts.readers.read(row.pack, row.offset, row.size);
      if (bytes === undefined) {
        missing.add(cid);
        if (repair) dropped.push(row.digest);
        continue;
      }
      bytesVerified += bytes.length;
      if (blockProblem(row.digest, bytes, row.size) === undefined) continue;
      corrupt.add(cid);
      if (repair) {
        await writeQuarantineCopy(root, Buffer.from(row.digest).toString('hex'), bytes, parts.nowUnixMs());
        dropped.push(row.digest);
      }
    }
    if (dropped.length > 0) {
      const { emptied } = index.dropRows(dropped, true);
      await removePacksNow(parts, emptied);
      repaired = true;
    }
  }

  // Live pack rows whose file is gone, with no row left pointing into them: forget them.
  if (repair) {
    const gone: number[] = [];
    for (const pack of index.packs()) {
      if (pack.state === 'live' && (await sizeOf(pack.id)) === undefined && index.rowsInPack(pack.id).length === 0) gone.push(pack.id);
    }
    if (gone.length > 0) {
      index.forgetPacks(gone);
      repaired = true;
    }
  }

  // Every file of packs/ against the index.
  const files = await listPackFiles(root);
  const filesChecked = files.ids.length + files.strays.length;
  for (const name of files.strays) {
    strays.add(join(LayoutNames.packs, name));
    if (repair) {
      await moveToQuarantine(root, join(root, LayoutNames.packs, name), `stray.${name}`, parts.nowUnixMs());
      repaired = true;
    }
  }
  for (const id of files.ids) {
    if (index.pack(id) !== undefined) continue;
    const found = await packEntries(parts, id);
    bytesVerified += found.bytesHashed;
    for (const entry of found.bad) corrupt.add(cidFromDigest(entry.codec, entry.digest).toString());
    const fresh = found.entries.filter((entry) => index.location(entry.digest) === undefined);
    for (const entry of fresh) unindexed.add(cidFromDigest(entry.codec, entry.digest).toString());
    if (fresh.length === 0) {
      strays.add(join(LayoutNames.packs, `${id.toString(16).padStart(16, '0')}.pack`));
      if (repair) {
        await parts.readers.forget(id);
        await moveToQuarantine(root, packPath(root, id), `stray-pack.${id}`, parts.nowUnixMs());
        repaired = true;
      }
      continue;
    }
    if (repair) {
      for (const digest of index.adoptPack(id, found.fileBytes, fresh, LOCAL_OWNER, parts.nowUnixMs())) {
        const entry = fresh.find((candidate) => Buffer.compare(candidate.digest, digest) === 0);
        adopted.add(cidFromDigest(entry?.codec ?? BlockCodecs.raw, digest).toString());
      }
      repaired = true;
    }
  }

  // The packs' live counters against their rows.
  for (const drift of index.packCounterDrift(repair)) {
    indexProblems.push(`pack ${drift.id}: its rows hold ${drift.liveBlocks} blocks of ${drift.liveBytes} bytes, its counters said otherwise`);
    if (repair) repaired = true;
  }

  const unsettledRows = index.unsettledPacks();
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
    unsettled: unsettledRows.length,
    indexProblems,
    pinnedMissing: { count: wanted.count, cids: wanted.digests.map((digest) => cidFromDigest(BlockCodecs.raw, digest).toString()) },
    counts: { missing: missing.count, corrupt: corrupt.count, unindexed: unindexed.count, strays: strays.count },
  };
}

interface FoundEntry {
  readonly digest: Uint8Array;
  readonly codec: number;
  readonly size: number;
  readonly offset: number;
}

/**
 * The entries of a pack file the index does not know, read by their headers (pack-format.ts):
 * those whose bytes match their digest, and those whose bytes do not. Parsing stops at the first
 * header that cannot be one, or one running past the file's end: what follows it cannot be located.
 */
async function packEntries(parts: StoreParts, id: number): Promise<{ readonly entries: FoundEntry[]; readonly bad: FoundEntry[]; readonly fileBytes: number; readonly bytesHashed: number }> {
  const fileBytes = (await stat(packPath(parts.root, id))).size;
  const entries: FoundEntry[] = [];
  const bad: FoundEntry[] = [];
  let bytesHashed = 0;
  const start = await parts.readers.read(id, 0, PACK_MAGIC.length);
  if (start === undefined || !hasPackMagic(start)) return { entries, bad, fileBytes, bytesHashed };
  let position = PACK_MAGIC.length;
  while (position + ENTRY_HEADER_BYTES <= fileBytes) {
    const headerBytes = await parts.readers.read(id, position, ENTRY_HEADER_BYTES);
    const header = headerBytes === undefined ? undefined : decodeEntryHeader(headerBytes, position, BlockstoreLimits.blockBytesMax);
    if (header === undefined || header.offset + header.size > fileBytes) break;
    const bytes = await parts.readers.read(id, header.offset, header.size);
    if (bytes !== undefined) {
      bytesHashed += bytes.length;
      (blockProblem(header.digest, bytes, header.size) === undefined ? entries : bad).push(header);
    }
    position = header.offset + header.size;
  }
  return { entries, bad, fileBytes, bytesHashed };
}
