/** What the blockstore's helpers (recovery, fsck, compaction, migration) work on: the store's own parts. */
import type { BlockIndex } from './block-index.ts';
import type { PackReaders } from './pack-readers.ts';

export interface StoreParts {
  readonly root: string;
  readonly index: BlockIndex;
  readonly readers: PackReaders;
  readonly nowUnixMs: () => number;
}
