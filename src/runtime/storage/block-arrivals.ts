/**
 * Who waits for which block to be stored, and the news that it was: what lets content be read
 * while a fetch is still bringing it (the content routes stream a file as its blocks arrive rather
 * than after the whole fetch; docs/storage-network.md, "Reading while fetching").
 *
 * Keys are the blocks' digests in hex, as the blockstore keys them. A wait ends when the block is
 * stored, with the block's bytes as they were put — checked against their CID before — so that a
 * reader that waited need not read back from a pack and hash again what was just written; or when
 * the work it waits on (`until`, the fetch) ends first: then the block is not coming, and the
 * waiter is told so (null) or given that work's error.
 *
 * A reader of content being fetched is mostly a little behind the fetch, not waiting: the blocks
 * it reads were stored a moment before. While such a reader watches (`watch`), blocks stored and
 * not waited for are kept here too, up to `keptBytesMax`, until a reader takes them (`take`) —
 * each block is read once — or newer ones push them out. A get's pack read and SHA-256 of bytes
 * that never left memory are spared: measured on a 256 MiB fetch read as it came, the getter
 * hashed every byte twice, and this halves that (docs/BENCHMARKS.md, heliaSpeedup).
 */

export class BlockArrivals {
  private readonly waiting = new Map<string, Set<(bytes: Uint8Array) => void>>();
  private readonly keptBytesMax: number;
  /** Kept blocks in the order they were stored, so the oldest go first. */
  private readonly kept = new Map<string, Uint8Array>();
  private keptBytes = 0;
  private watchers = 0;

  constructor(keptBytesMax = 0) {
    this.keptBytesMax = keptBytesMax;
  }

  /**
   * Blocks just stored (committed to the index, readable now), with their verified bytes. With
   * `bytesReused`, the caller will reuse their memory once this returns (an import recycles its
   * read buffers: content/file-chunks.ts), so what is handed on or kept is a copy.
   */
  stored(blocks: Iterable<{ readonly hex: string; readonly bytes: Uint8Array }>, bytesReused = false): void {
    if (this.waiting.size === 0 && this.watchers === 0) return;
    for (const block of blocks) {
      const wakers = this.waiting.get(block.hex);
      if (wakers !== undefined) {
        this.waiting.delete(block.hex);
        const bytes = bytesReused ? block.bytes.slice() : block.bytes;
        for (const wake of wakers) wake(bytes);
      } else if (this.watchers > 0 && block.bytes.length <= this.keptBytesMax && !this.kept.has(block.hex)) {
        this.kept.set(block.hex, bytesReused ? block.bytes.slice() : block.bytes);
        this.keptBytes += block.bytes.length;
        for (const [hex, bytes] of this.kept) {
          if (this.keptBytes <= this.keptBytesMax) break;
          this.kept.delete(hex);
          this.keptBytes -= bytes.length;
        }
      }
    }
  }

  /**
   * A reader of content being fetched starts: blocks stored from now on are kept for it. Call
   * the function returned when it ends (more than once is harmless); once no reader watches,
   * what is kept is let go.
   */
  watch(): () => void {
    this.watchers++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.watchers--;
      if (this.watchers === 0) {
        this.kept.clear();
        this.keptBytes = 0;
      }
    };
  }

  /** A kept block's bytes, handed over once (it is then no longer kept); undefined when not kept. */
  take(key: string): Uint8Array | undefined {
    const bytes = this.kept.get(key);
    if (bytes === undefined) return undefined;
    this.kept.delete(key);
    this.keptBytes -= bytes.length;
    return bytes;
  }

  /** Bytes of blocks kept for readers now (for tests and status). */
  get bytesKept(): number {
    return this.keptBytes;
  }

  /**
   * Resolves with the block's bytes once `key` is stored, null if `until` is fulfilled first, and rejects
   * with `until`'s error if it fails first. The caller checks that the block is not stored yet,
   * synchronously, just before: a block stored in between would otherwise be waited for in vain.
   */
  wait(key: string, until: Promise<unknown>): Promise<Uint8Array | null> {
    return new Promise((resolve, reject) => {
      let wakers = this.waiting.get(key);
      if (wakers === undefined) this.waiting.set(key, (wakers = new Set()));
      const onStored = (bytes: Uint8Array): void => resolve(bytes);
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
          resolve(null);
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
