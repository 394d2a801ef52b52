/**
 * Checks of the local paths a command is given to write into, made before any work starts: a file
 * where a directory is needed (or the other way round), or a directory that is not there, is bad
 * usage (exit status 2) with the option's name, not an EEXIST or ENOTDIR when the work is done.
 */
import { statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './args.ts';

/** What is at `path`: its stats, or null when nothing is; a file on the way to it is a UsageError. */
function statOrNull(flag: string, path: string): Stats | null {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new UsageError(`${flag} ${path}: a part of this path is a file, not a directory`);
    // Anything else (no permission, say) shows up, with its reason, when the path is used.
    return null;
  }
}

/** A directory the command uses, or makes when it is missing: it must not be a file. */
export function checkDirectoryPath(flag: string, path: string): void {
  if (path === '') throw new UsageError(`${flag} must not be empty`);
  const found = statOrNull(flag, path);
  if (found !== null && !found.isDirectory()) throw new UsageError(`${flag} ${path} is a file, not a directory`);
}

/** A directory the command reads: it must be there. */
export function checkExistingDirectory(flag: string, path: string): void {
  if (path === '') throw new UsageError(`${flag} must not be empty`);
  const found = statOrNull(flag, path);
  if (found === null) throw new UsageError(`${flag} ${path}: no such directory`);
  if (!found.isDirectory()) throw new UsageError(`${flag} ${path} is a file, not a directory`);
}

/** A file the command writes (or replaces): not a directory, and in a directory that is there. */
export function checkOutputFile(flag: string, path: string): void {
  if (path === '') throw new UsageError(`${flag} must not be empty`);
  const found = statOrNull(flag, path);
  if (found !== null && found.isDirectory()) throw new UsageError(`${flag} ${path} is a directory, not a file`);
  const parent = dirname(resolve(path));
  const parentFound = statOrNull(flag, parent);
  if (parentFound === null || !parentFound.isDirectory()) throw new UsageError(`${flag} ${path}: the directory ${parent} does not exist`);
}
