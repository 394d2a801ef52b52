/**
 * Writing large pack files around the page cache (O_DIRECT): the bytes go from an aligned buffer
 * of ours to the disk, instead of first into pages the kernel must allocate, fill, account as
 * dirty and write back. Measured on this project's 2-core VM (docs/storage-blockstore.md, "Direct
 * writes"): 256 MiB in 16 MiB files, each fdatasynced, took 343–1,260 MiB/s and 88–606 ms of
 * kernel time through the page cache — the spread is the kernel's, run to run — and 1,089–1,405
 * MiB/s and under 35 ms of CPU direct. A blockstore writes every byte it is given once and reads
 * most of it rarely, which is the case direct I/O is for; what is read soon after (a file read as
 * it is fetched) is handed over from memory instead (block-arrivals.ts), and a later read costs a
 * disk read (1.7–1.9 GB/s measured here) that fills the page cache then.
 *
 * O_DIRECT asks that the buffer's address, the file offset and the length be multiples of the
 * device's logical block size. Node gives no aligned allocation, so each buffer of the pool is
 * allocated a little larger and the offset inside it that the kernel accepts is found once, by
 * trying a 4 KiB write at each 16-byte step into a probe file. Offsets and lengths are kept to
 * multiples of 4 KiB, which every common device accepts; the last piece of a file is padded with
 * zeros and the file then truncated to its length.
 *
 * File systems without O_DIRECT (tmpfs, some network and FUSE file systems) refuse the open:
 * `DirectWrites.open` then answers null and packs are written through the page cache, as they
 * always were. This is our own code: no package offers aligned buffers or O_DIRECT for Node.
 */
import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Offsets and lengths of direct writes are multiples of this: the largest common logical block size. */
const ALIGNMENT_BYTES = 4096;
/** The step at which an aligned address is looked for: the allocator's own alignment. */
const ADDRESS_STEP_BYTES = 16;
const FILE_MODE = 0o600;
const PROBE_NAME = 'direct-io-probe';

export interface DirectWritesOptions {
  /** Bytes per write (and per buffer of the pool): a multiple of 4 KiB. */
  readonly pieceBytes: number;
  /** Buffers in the pool: direct writes in flight at once; more wait for one. */
  readonly buffersMax: number;
}

export class DirectWrites {
  private readonly probePath: string;
  private readonly pieceBytes: number;
  private readonly buffersMax: number;
  private readonly free: Buffer[] = [];
  private allocated = 0;
  private readonly waiting: ((buffer: Buffer) => void)[] = [];
  private written = 0;
  private failed = false;

  private constructor(probePath: string, options: DirectWritesOptions) {
    this.probePath = probePath;
    this.pieceBytes = options.pieceBytes;
    this.buffersMax = options.buffersMax;
  }

  /**
   * Direct writes into `dir` (the store's tmp/, where packs are first written), or null when its
   * file system or this platform does not take them — the caller then writes through the page
   * cache. Tries one small aligned write now, so a refusal shows here; the pool's buffers are
   * allocated when writes first need them (a store that writes no large pack holds none).
   */
  static async open(dir: string, options: DirectWritesOptions): Promise<DirectWrites | null> {
    if (constants.O_DIRECT === undefined || options.pieceBytes % ALIGNMENT_BYTES !== 0 || options.buffersMax < 1) return null;
    const writes = new DirectWrites(join(dir, PROBE_NAME), options);
    try {
      return (await writes.alignedBuffer(ALIGNMENT_BYTES)) === null ? null : writes;
    } catch {
      return null;
    }
  }

  /**
   * Creates `path` (which must not exist) holding `buffers` one after another, written directly.
   * The caller syncs, closes and renames it as it would any other file: the handle is returned
   * open for that.
   */
  async write(path: string, buffers: readonly Uint8Array[], totalBytes: number): Promise<FileHandle> {
    const given = buffers.reduce((sum, piece) => sum + piece.length, 0);
    if (given !== totalBytes) throw new RangeError(`direct write of ${given} bytes where ${totalBytes} were announced`);
    const buffer = await this.take();
    let handle: FileHandle;
    try {
      handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DIRECT, FILE_MODE);
    } catch (error) {
      this.give(buffer);
      throw error;
    }
    try {
      let position = 0;
      let filled = 0;
      for (const source of buffers) {
        let from = 0;
        while (from < source.length) {
          const count = Math.min(source.length - from, this.pieceBytes - filled);
          buffer.set(source.subarray(from, from + count), filled);
          filled += count;
          from += count;
          if (filled === this.pieceBytes) {
            await writeWhole(handle, buffer, this.pieceBytes, position);
            position += this.pieceBytes;
            filled = 0;
          }
        }
      }
      if (filled > 0) {
        const padded = Math.ceil(filled / ALIGNMENT_BYTES) * ALIGNMENT_BYTES;
        buffer.fill(0, filled, padded);
        await writeWhole(handle, buffer, padded, position);
        await handle.truncate(totalBytes);
      }
      this.written++;
      return handle;
    } catch (error) {
      this.failed = true;
      await handle.close().catch(() => undefined);
      throw error;
    } finally {
      this.give(buffer);
    }
  }

  /** Files written directly so far. */
  get filesWritten(): number {
    return this.written;
  }

  /** False once a direct write has failed: the file system took the probe but not real writes, and the store stops trying. */
  get usable(): boolean {
    return !this.failed;
  }

  private async take(): Promise<Buffer> {
    const ready = this.free.pop();
    if (ready !== undefined) return ready;
    if (this.allocated < this.buffersMax) {
      // Counted before the probe's awaits, so that writes starting together allocate no more than buffersMax.
      this.allocated++;
      const fresh = await this.alignedBuffer(this.pieceBytes).catch(() => null);
      if (fresh !== null) return fresh;
      this.allocated--;
      // With no buffer anywhere none would ever come back: the caller writes through the page cache.
      if (this.allocated === 0) throw new Error('no buffer for direct writes could be had');
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private give(buffer: Buffer): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(buffer);
    else this.free.push(buffer);
  }

  /** A buffer of `bytes` whose address the kernel takes for direct writes, or null if none is found. */
  private async alignedBuffer(bytes: number): Promise<Buffer | null> {
    const raw = Buffer.allocUnsafeSlow(bytes + ALIGNMENT_BYTES);
    const probe = await open(this.probePath, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DIRECT, FILE_MODE);
    try {
      for (let offset = 0; offset < ALIGNMENT_BYTES; offset += ADDRESS_STEP_BYTES) {
        try {
          await probe.write(raw, offset, ALIGNMENT_BYTES, 0);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EINVAL') continue;
          throw error;
        }
        return raw.subarray(offset, offset + bytes);
      }
      return null;
    } finally {
      await probe.close();
      await rm(this.probePath, { force: true }).catch(() => undefined);
    }
  }
}

/** pwrite(2) may write less than asked: go on from where it stopped. */
async function writeWhole(handle: FileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await handle.write(buffer, done, length - done, position + done);
    if (bytesWritten === 0) throw new Error('write wrote nothing');
    done += bytesWritten;
  }
}
