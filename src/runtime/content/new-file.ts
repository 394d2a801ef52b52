/**
 * Writing a file to the local disk without ever replacing anything: the bytes go to a temporary
 * name beside the target and are linked into place only when complete — link(2) fails if the
 * target exists, even one created meanwhile — so an interrupted write never leaves a truncated
 * file under the real name, and an existing file is never overwritten. Used by `peergrid get` and
 * `peergrid export` (src/cli/content/output-files.ts) and by the runtime's own getContent.
 */
import { randomBytes } from 'node:crypto';
import { link, lstat, open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The target path exists already (or appeared while it was being written): it was left as it is. */
export class ExistingPathError extends Error {
  override readonly name = 'ExistingPathError';
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Writes `source` to `path`, which must not exist; `onBytes` is told each piece's size. Returns the
 * bytes written. Each piece is written as it comes, through one file handle: a tree of small files
 * pays for no stream machinery per file.
 */
export async function writeNewFile(path: string, source: AsyncIterable<Uint8Array>, onBytes?: (bytes: number) => void): Promise<number> {
  const partial = join(dirname(path), partialName(basename(path)));
  let handle: FileHandle;
  try {
    handle = await open(partial, 'wx');
  } catch (error) {
    // Only a partial file this call created is removed: one that was there (`wx` refused it) is
    // not ours. The bytes are not wanted: their source (an HTTP body, say) is let go, not left open.
    await release(source);
    throw error;
  }
  let placed = false;
  try {
    let bytes = 0;
    try {
      for await (const piece of source) {
        await writeWhole(handle, piece);
        bytes += piece.length;
        onBytes?.(piece.length);
      }
    } finally {
      await handle.close();
    }
    await placeWithoutReplacing(partial, path);
    placed = true;
    return bytes;
  } finally {
    if (!placed) await rm(partial, { force: true });
  }
}

/** What a file system allows in one name (NAME_MAX on Linux and macOS): the storage layer allows entry names this long too. */
const NAME_BYTES_MAX = 255;
const PARTIAL_SUFFIX = '.peergrid-partial';

/**
 * The temporary name beside `name`. A stored entry name may take all 255 bytes, so its partial
 * name would not fit (ENAMETOOLONG): the name is shortened, at a character boundary, to leave room
 * for the dot, the random part and the suffix. The partial name is only ever ours to open and link.
 */
function partialName(name: string): string {
  const random = randomBytes(4).toString('hex');
  const room = NAME_BYTES_MAX - Buffer.byteLength(`..${random}${PARTIAL_SUFFIX}`);
  let kept = '';
  let keptBytes = 0;
  for (const character of name) {
    const bytes = Buffer.byteLength(character);
    if (keptBytes + bytes > room) break;
    kept += character;
    keptBytes += bytes;
  }
  return `.${kept}.${random}${PARTIAL_SUFFIX}`;
}

async function release(source: AsyncIterable<Uint8Array>): Promise<void> {
  try {
    await source[Symbol.asyncIterator]().return?.();
  } catch {
    // It was failing already; the open's error is the one to report.
  }
}

/** A write may take fewer bytes than given (a full disk, a signal): the rest is written after them. */
async function writeWhole(handle: FileHandle, piece: Uint8Array): Promise<void> {
  let written = 0;
  while (written < piece.length) {
    const { bytesWritten } = await handle.write(piece, written, piece.length - written);
    if (bytesWritten === 0) throw new Error('the disk took no bytes of a write');
    written += bytesWritten;
  }
}

async function placeWithoutReplacing(from: string, to: string): Promise<void> {
  const appeared = (): ExistingPathError => new ExistingPathError(`${to} appeared while it was being written; it was left as it is`);
  try {
    await link(from, to);
    await unlink(from);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw appeared();
    // A file system without hard links (some network and FAT ones): check, then rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw error;
    if (await pathExists(to)) throw appeared();
    await rename(from, to);
  }
}
