/**
 * Who waits for which block to be stored, and the news that it was: what lets content be read
 * while a fetch is still bringing it (the content routes stream a file as its blocks arrive rather
 * than after the whole fetch; docs/storage-network.md, "Reading while fetching").
 *
 * Keys are the blocks' digests in hex, as the blockstore keys them. A wait ends when the block is
 * stored, or when the work it waits on (`until`, the fetch) ends first: then the block is not
 * coming, and the waiter is told so (false) or given that work's error.
 */

export class BlockArrivals {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Blocks just stored (committed to the index, readable now). */
  stored(keys: Iterable<string>): void {
    if (this.waiting.size === 0) return;
    for (const key of keys) {
      const wakers = this.waiting.get(key);
      if (wakers === undefined) continue;
      this.waiting.delete(key);
      for (const wake of wakers) wake();
    }
  }

  /**
   * Resolves true once the block `key` is stored, false if `until` is fulfilled first, and rejects
   * with `until`'s error if it fails first. The caller checks that the block is not stored yet,
   * synchronously, just before: a block stored in between would otherwise be waited for in vain.
   */
  wait(key: string, until: Promise<unknown>): Promise<boolean> {
    return new Promise((resolve, reject) => {
      let wakers = this.waiting.get(key);
      if (wakers === undefined) this.waiting.set(key, (wakers = new Set()));
      const onStored = (): void => resolve(true);
      wakers.add(onStored);
      const forget = (): void => {
        const set = this.waiting.get(key);
        if (set === undefined) return;
        set.delete(onStored);
        if (set.size === 0) this.waiting.delete(key);
      };
      until.then(
        () => {
          forget();
          resolve(false);
        },
        (error: unknown) => {
          forget();
          reject(error);
        },
      );
    });
  }

  /** Blocks someone is waiting for (for tests and status). */
  get waitedFor(): number {
    return this.waiting.size;
  }
}
