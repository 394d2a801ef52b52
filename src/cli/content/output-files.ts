/**
 * Writing what a node sends to the local disk without ever replacing anything: a file is written
 * under a temporary name beside its target and linked into place only when complete — link(2)
 * fails if the target exists, even one created meanwhile — so an interrupted transfer never leaves
 * a truncated file under the real name, and an existing file is never overwritten.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, lstat, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UsageError } from '../args.ts';
import { CommandFailedError } from '../command.ts';

export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** A new path to write: it must not exist, and its directory must (a usage error either way, before any request). */
export async function checkNewPath(path: string, what: string): Promise<void> {
  if (await pathExists(path)) throw new UsageError(`${path} exists already; ${what} never replaces anything: choose a new path`);
  const parent = dirname(resolve(path));
  if (!(await pathExists(parent))) throw new UsageError(`${path}: the directory ${parent} does not exist`);
}

/** Writes `source` to `path`, which must not exist; returns the bytes written. */
export async function writeNewFile(path: string, source: AsyncIterable<Uint8Array>): Promise<number> {
  const partial = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.peergrid-partial`);
  let bytes = 0;
  try {
    await pipeline(
      async function* () {
        for await (const piece of source) {
          bytes += piece.length;
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
  try {
    await link(from, to);
    await unlink(from);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CommandFailedError(`${to} appeared while it was being written; it was left as it is`);
    // A file system without hard links (some network and FAT ones): check, then rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw error;
    if (await pathExists(to)) throw new CommandFailedError(`${to} appeared while it was being written; it was left as it is`);
    await rename(from, to);
  }
}
