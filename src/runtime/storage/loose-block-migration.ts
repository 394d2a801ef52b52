/**
 * Opening a store of layout version 1 (one file per block under 00/ … ff/) moves its blocks into
 * packs, so one store never has two layouts for the rest of the code to handle.
 *
 * Order, each step safe to interrupt and redo at the next open: (1) version 1's `unsettled`
 * journal is settled the simple way — a file whose row is gone is removed (an interrupted put's
 * caller never saw it succeed; an interrupted deletion's did) — and dropped; (2) the indexed loose
 * blocks are read, verified and written into packs a batch at a time, each batch's rows moved in
 * one durable commit (a crash before it leaves the rows on their loose files and a 'writing' pack
 * for recovery); (3) the shard directories are emptied: a file whose block now lives in a pack is
 * removed, any other goes to quarantine/ (never deleted unseen), and the empty directories go.
 */
import { readdir, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { blockProblem } from './block-cid.ts';
import { LOOSE_PACK } from './block-index.ts';
import { allShards, blockPath, isDigestHex, removeFile } from './block-layout.ts';
import { BlockstoreLimits } from './blockstore-limits.ts';
import { writePackFile, type PackBlock } from './pack-files.ts';
import { moveToQuarantine } from './quarantine.ts';
import type { StoreParts } from './store-parts.ts';

/** Moves a version-1 store's loose blocks into packs; returns how many moved (0 for a store made with packs). */
export async function migrateLooseBlocks(parts: StoreParts): Promise<number> {
  const { index, root } = parts;
  const journal = index.versionOneJournal();
  if (journal !== undefined) {
    for (const entry of journal) {
      if (index.location(entry.digest) === undefined) await removeFile(blockPath(root, Buffer.from(entry.digest).toString('hex')));
    }
    index.dropVersionOneJournal(journal.map((entry) => entry.digest));
  }
  let migrated = 0;
  for (;;) {
    const rows = index.looseRows(BlockstoreLimits.blocksPerBatchMax);
    if (rows.length === 0) break;
    const blocks: (PackBlock & { readonly size: number })[] = [];
    const unusable: Uint8Array[] = [];
    for (const row of rows) {
      const hex = Buffer.from(row.digest).toString('hex');
      const bytes = await readFile(blockPath(root, hex)).catch(() => undefined);
      if (bytes === undefined || blockProblem(row.digest, bytes, row.size) !== undefined) unusable.push(row.digest);
      else blocks.push({ digest: row.digest, codec: row.codec, bytes, size: row.size });
    }
    // Missing or bad files lose their rows; the files themselves are quarantined with the rest below.
    if (unusable.length > 0) index.dropRows(unusable, true);
    if (blocks.length === 0) continue;
    const id = index.beginPack(parts.nowUnixMs());
    const pack = await writePackFile(root, id, blocks, true, parts.direct);
    index.relocate(blocks.map((block, position) => ({ digest: block.digest, offset: pack.offsets[position], size: block.size })), { id, bytes: pack.bytes }, [LOOSE_PACK]);
    migrated += blocks.length;
  }
  await emptyShards(parts);
  return migrated;
}

async function emptyShards(parts: StoreParts): Promise<void> {
  const { index, root } = parts;
  for (const shard of allShards()) {
    const folder = join(root, shard);
    const names = await readdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (names === undefined) continue;
    for (const name of names) {
      const path = join(folder, name);
      const packed = isDigestHex(name) && index.location(Buffer.from(name, 'hex')) !== undefined;
      if (packed) await removeFile(path);
      else await moveToQuarantine(root, path, `loose.${shard}.${name}`, parts.nowUnixMs());
    }
    await rmdir(folder);
  }
}
