/** What the blockstore's helpers (recovery, fsck, compaction, migration) work on: the store's own parts. */
import type { DirectWrites } from './direct-writes.ts';
import type { BlockIndex } from './block-index.ts';
import type { PackReaders } from './pack-readers.ts';

export interface StoreParts {
  readonly root: string;
  readonly index: BlockIndex;
  readonly readers: PackReaders;
  readonly nowUnixMs: () => number;
  /** Direct writes for large packs (direct-writes.ts); null when the file system does not take them. */
  readonly direct: DirectWrites | null;
}
