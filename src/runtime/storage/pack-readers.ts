/**
 * Open pack files for reading, kept open between reads (an LRU of at most `handlesMax`), so a
 * block read is one positioned read instead of open, read and close. A handle in use is never
 * closed under its reader: each counts its users, and one evicted or forgotten while in use is
 * closed when the last of them is done.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { packPath } from './block-layout.ts';
import { readAt } from './pack-files.ts';

interface OpenPack {
  readonly handle: FileHandle;
  users: number;
  /** Out of the cache: close once nobody uses it. */
  retired: boolean;
}

export class PackReaders {
  private readonly root: string;
  private readonly handlesMax: number;
  /** In least-recently-used order (a Map keeps insertion order; a use moves the entry to the end). */
  private readonly open = new Map<number, OpenPack>();
  private readonly opening = new Map<number, Promise<OpenPack | undefined>>();

  constructor(root: string, handlesMax: number) {
    this.root = root;
    this.handlesMax = handlesMax;
  }

  /**
   * Up to `length` bytes of pack `id` at `position` (fewer if the file is shorter), or undefined if
   * the pack's file does not exist — nor does one a directory has taken the place of (it opens, but
   * reading it fails with EISDIR, which would end fsck half-way and reach a reader as a bare error).
   */
  async read(id: number, position: number, length: number): Promise<Buffer | undefined> {
    const pack = await this.acquire(id);
    if (pack === undefined) return undefined;
    try {
      return await readAt(pack.handle, position, length);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      throw error;
    } finally {
      this.release(pack);
    }
  }

  /** Closes pack `id`'s handle (after its current reads): its file is about to be removed, or was changed behind our back. */
  async forget(id: number): Promise<void> {
    const pending = this.opening.get(id);
    if (pending !== undefined) await pending.catch(() => undefined);
    const pack = this.open.get(id);
    if (pack === undefined) return;
    this.open.delete(id);
    await this.retire(pack);
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.opening.values()]);
    const packs = [...this.open.values()];
    this.open.clear();
    await Promise.allSettled(packs.map((pack) => this.retire(pack)));
  }

  private async acquire(id: number): Promise<OpenPack | undefined> {
    const known = this.open.get(id);
    if (known !== undefined) {
      this.open.delete(id);
      this.open.set(id, known);
      known.users++;
      return known;
    }
    let pending = this.opening.get(id);
    if (pending === undefined) {
      pending = this.openPack(id);
      this.opening.set(id, pending);
      void pending.finally(() => this.opening.delete(id)).catch(() => undefined);
    }
    const pack = await pending;
    if (pack === undefined) return undefined;
    if (pack.retired) return this.acquire(id);
    pack.users++;
    return pack;
  }

  private async openPack(id: number): Promise<OpenPack | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(packPath(this.root, id), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const pack: OpenPack = { handle, users: 0, retired: false };
    this.open.set(id, pack);
    while (this.open.size > this.handlesMax) {
      const [oldestId, oldest] = this.open.entries().next().value as [number, OpenPack];
      this.open.delete(oldestId);
      void this.retire(oldest);
    }
    return pack;
  }

  private release(pack: OpenPack): void {
    pack.users--;
    if (pack.retired && pack.users === 0) void pack.handle.close().catch(() => undefined);
  }

  private async retire(pack: OpenPack): Promise<void> {
    if (pack.retired) return;
    pack.retired = true;
    if (pack.users === 0) await pack.handle.close().catch(() => undefined);
  }
}
