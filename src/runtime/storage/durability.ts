/**
 * How much a put waits for the disk before it returns (and before its index commit):
 *
 * - 'block'  the put's pack is fsynced, renamed into packs/ and the directory fsynced before the
 *            index commit, which is synchronous=FULL: once put returns, the blocks and their rows
 *            survive a power loss.
 * - 'batch'  the same promise. With one file per block (layout version 1) the two differed —
 *            'block' fsynced each file alone, 'batch' issued the fsyncs of a call together — but a
 *            put now writes its whole call as one pack, so there is one file to fsync either way.
 *            Both names stay, so callers that chose one keep working; 'batch' is the default.
 * - 'deferred' the put returns (and commits) without waiting for the disk, and its pack is fsynced
 *            in the background; Blockstore.sync() waits for those fsyncs and makes the index's log
 *            durable. Until then, a power loss may cost these blocks as 'none' may. What a fetch
 *            uses: its content is durable when the fetch ends, and its writes go to the disk while
 *            it runs instead of all at the end or in the way of every batch.
 * - 'none'   no fsync: the OS writes back when it likes. Survives any process crash (kill -9),
 *            not a power loss: after one, a block may read as corrupt (and be quarantined and
 *            fetched again) or be missing (fsck). For caches of blocks that can be fetched again.
 */
export const Durability = {
  block: 'block',
  batch: 'batch',
  deferred: 'deferred',
  none: 'none',
} as const;
export type Durability = (typeof Durability)[keyof typeof Durability];

export function isDurability(value: unknown): value is Durability {
  return value === Durability.block || value === Durability.batch || value === Durability.deferred || value === Durability.none;
}

/** Whether puts in this mode fsync before their commit. */
export function syncsBeforeCommit(durability: Durability): boolean {
  return durability === Durability.block || durability === Durability.batch;
}
