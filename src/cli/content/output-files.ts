/**
 * The CLI's side of writing what a node sends: the checks it makes before any request, and the
 * runtime's no-replace writer (runtime/content/new-file.ts) with its error as a command failure.
 */
import { dirname, resolve } from 'node:path';
import { ExistingPathError, pathExists as pathExistsOnDisk, writeNewFile as writeNewFileOnDisk } from '../../runtime/content/new-file.ts';
import { UsageError } from '../args.ts';
import { CommandFailedError } from '../command.ts';

/**
 * Whether `path` exists. A path that goes through a file (-o notes.txt/out) can neither exist nor
 * be made: the user's to fix, so a usage error, not the ENOTDIR of an unexpected failure.
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    return await pathExistsOnDisk(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') throw new UsageError(`${path}: a part of this path before its last name is a file, not a directory`);
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
  try {
    return await writeNewFileOnDisk(path, source);
  } catch (error) {
    if (error instanceof ExistingPathError) throw new CommandFailedError(error.message);
    throw error;
  }
}
