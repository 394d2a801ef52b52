/**
 * Writing a file to the local disk without ever replacing anything: the bytes go to a temporary
 * name beside the target and are linked into place only when complete — link(2) fails if the
 * target exists, even one created meanwhile — so an interrupted write never leaves a truncated
 * file under the real name, and an existing file is never overwritten. Used by `peergrid get` and
 * `peergrid export` (src/cli/content/output-files.ts) and by the runtime's own getContent.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, lstat, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';

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

/** Writes `source` to `path`, which must not exist; `onBytes` is told each piece's size. Returns the bytes written. */
export async function writeNewFile(path: string, source: AsyncIterable<Uint8Array>, onBytes?: (bytes: number) => void): Promise<number> {
  const partial = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.peergrid-partial`);
  let bytes = 0;
  try {
    await pipeline(
      async function* () {
        for await (const piece of source) {
          bytes += piece.length;
          onBytes?.(piece.length);
          yield piece;
        }
      },
      createWriteStream(partial, { flags: 'wx' }),
    );
    await placeWithoutReplacing(partial, path);
    return bytes;
  } finally {
    await rm(partial, { force: true });
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
