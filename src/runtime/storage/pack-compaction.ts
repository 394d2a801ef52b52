/**
 * Compaction: packs whose blocks were mostly deleted are rewritten, their live blocks gathered
 * into new packs, and the old files removed — the space a deletion frees inside a pack comes back
 * only this way (a pack is never changed in place).
 *
 * Crash safety is the put's: the new pack is written and fsynced under a 'writing' row, one
 * transaction moves the rows into it and marks the old packs 'removing', then the old files go. A
 * crash before the commit leaves the new pack to recovery (removed) and the old ones untouched; a
 * crash after it leaves the old ones 'removing' (removed at the next open). Every block is
 * verified as it is copied: bad bytes are quarantined, never carried into the new pack.
 */
import { blockProblem } from './block-cid.ts';
import type { BlockRow, PackRow } from './block-index.ts';
import { BlockstoreLimits } from './blockstore-limits.ts';
import { removePackFile, writePackFile, type PackBlock } from './pack-files.ts';
import { removePacksNow } from './pack-removal.ts';
import { writeQuarantineCopy } from './quarantine.ts';
import type { StoreParts } from './store-parts.ts';

export interface CompactionReport {
  readonly packsCompacted: number;
  /** Old pack bytes removed minus new pack bytes written. */
  readonly diskBytesFreed: number;
}

/** Packs looked at per call: a store full of sparse packs is compacted over several gcs. */
const PACKS_PER_CALL_MAX = 1024;

/** Rewrites the live blocks of packs at most `liveFractionMax` live. The caller holds the store exclusively. */
export async function compactSparsePacks(parts: StoreParts, options: { readonly liveFractionMax: number }): Promise<CompactionReport> {
  const sparse = parts.index.sparsePacks(options.liveFractionMax, PACKS_PER_CALL_MAX);
  let packsCompacted = 0;
  let diskBytesFreed = 0;
  for (const group of groupsOf(sparse, BlockstoreLimits.compactionPackBytesMax)) {
    packsCompacted += group.length;
    diskBytesFreed += await compactGroup(parts, group);
  }
  return { packsCompacted, diskBytesFreed };
}

/** Consecutive packs whose live bytes together fit one new pack (a single larger one goes alone). */
function groupsOf(packs: readonly PackRow[], liveBytesMax: number): PackRow[][] {
  const groups: PackRow[][] = [];
  let current: PackRow[] = [];
  let bytes = 0;
  for (const pack of packs) {
    if (current.length > 0 && bytes + pack.liveBytes > liveBytesMax) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(pack);
    bytes += pack.liveBytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Rewrites one group's live blocks into a new pack; returns the disk bytes freed. */
async function compactGroup(parts: StoreParts, group: readonly PackRow[]): Promise<number> {
  const { index, readers, root } = parts;
  const copies: (PackBlock & { readonly row: BlockRow })[] = [];
  const bad: Uint8Array[] = [];
  for (const pack of group) {
    for (const row of index.rowsInPack(pack.id)) {
      const bytes = await readers.read(pack.id, row.offset, row.size);
      const hex = Buffer.from(row.digest).toString('hex');
      if (bytes === undefined || blockProblem(row.digest, bytes, row.size) !== undefined) {
        if (bytes !== undefined) await writeQuarantineCopy(root, hex, bytes, parts.nowUnixMs());
        bad.push(row.digest);
        continue;
      }
      copies.push({ digest: row.digest, codec: row.codec, bytes, row });
    }
  }
  const groupIds = group.map((pack) => pack.id);
  let emptied: number[] = [];
  if (bad.length > 0) emptied = index.dropRows(bad, true).emptied;
  let written = 0;
  if (copies.length > 0) {
    const id = index.beginPack(parts.nowUnixMs());
    try {
      const pack = await writePackFile(root, id, copies, true, parts.direct);
      const moves = copies.map((copy, position) => ({ digest: copy.digest, offset: pack.offsets[position], size: copy.row.size }));
      try {
        emptied = [...emptied, ...index.relocate(moves, { id, bytes: pack.bytes }, groupIds)];
      } catch (error) {
        await removePackFile(root, id).catch(() => false);
        throw error;
      }
      written = pack.bytes;
    } catch (error) {
      index.abandonPack(id);
      throw error;
    }
  } else {
    emptied = [...emptied, ...index.relocate([], undefined, groupIds)];
  }
  const freed = await removePacksNow(parts, [...new Set(emptied)]);
  return freed - written;
}
