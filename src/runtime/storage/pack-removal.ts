/**
 * Removing packs nothing live points into: their files first, then their rows. A crash between
 * the two leaves 'removing' rows, which recovery finishes at the next open.
 */
import { removePackFile } from './pack-files.ts';
import type { StoreParts } from './store-parts.ts';

/** Removes the packs' files and rows; returns the file bytes freed (as the index recorded them). */
export async function removePacksNow(parts: StoreParts, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  let freed = 0;
  for (const id of ids) {
    freed += parts.index.pack(id)?.bytes ?? 0;
    await parts.readers.forget(id);
    await removePackFile(parts.root, id);
  }
  parts.index.forgetPacks(ids);
  return freed;
}
