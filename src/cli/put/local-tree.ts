/**
 * The local tree `peergrid put` is to add, read before anything is sent: every file's size (for
 * the progress line) and every name checked with the storage layer's one entry-name check, so a
 * name the node would refuse stops the put before the first upload. Symbolic links and special
 * files inside a directory are skipped and reported, never followed (as content-importer.ts does):
 * a tree that links outside itself must not pull in what it points at. The path given on the
 * command line is followed if it is a link: the user named it.
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { entryNameProblem } from '../../services/storage/dag/entry-name.ts';
import { DagLimits } from '../../services/storage/dag/limits.ts';
import { TREE_DEPTH_MAX } from '../../runtime/content/content-importer.ts';
import { UsageError } from '../args.ts';
import { CommandFailedError } from '../command.ts';

export type LocalNode =
  | { readonly kind: 'file'; readonly name: string; readonly path: string; readonly bytes: number }
  | { readonly kind: 'directory'; readonly name: string; readonly path: string; readonly children: readonly LocalNode[] };

export interface LocalTree {
  readonly root: LocalNode;
  readonly files: number;
  readonly bytes: number;
  /** Paths left out: symbolic links, sockets, devices, FIFOs. */
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
}

export async function scanLocalTree(path: string): Promise<LocalTree> {
  const totals = { files: 0, bytes: 0, skipped: [] as { path: string; reason: string }[] };
  const stats = await stat(path);
  // A device, a FIFO or a socket named on the command line is the user's to fix: bad usage (exit 2).
  if (!stats.isFile() && !stats.isDirectory()) throw new UsageError(`${path} is neither a file nor a directory (to store a stream, pipe it: … | peergrid put -)`);
  const root = await scan(path, basename(path), stats.isDirectory(), stats.size, totals, 0);
  return { root, files: totals.files, bytes: totals.bytes, skipped: totals.skipped };
}

async function scan(
  path: string, name: string, directory: boolean, size: number, totals: { files: number; bytes: number; skipped: { path: string; reason: string }[] }, depth: number,
): Promise<LocalNode> {
  if (!directory) {
    totals.files++;
    totals.bytes += size;
    return { kind: 'file', name, path, bytes: size };
  }
  if (depth >= TREE_DEPTH_MAX) throw new CommandFailedError(`${path}: directories nested more than ${TREE_DEPTH_MAX} deep`);
  const names = (await readdir(path)).sort();
  if (names.length > DagLimits.directoryEntriesMax) {
    throw new CommandFailedError(`${path} has ${names.length} entries; a directory may have at most ${DagLimits.directoryEntriesMax} (larger ones are not supported yet)`);
  }
  const children: LocalNode[] = [];
  for (const childName of names) {
    const childPath = join(path, childName);
    const problem = entryNameProblem(childName);
    if (problem !== null) throw new CommandFailedError(`cannot store ${childPath}: the storage layer refuses ${problem}; rename it or put its directory without it`);
    const childStats = await lstat(childPath);
    if (childStats.isFile() || childStats.isDirectory()) {
      children.push(await scan(childPath, childName, childStats.isDirectory(), childStats.size, totals, depth + 1));
    } else {
      totals.skipped.push({ path: childPath, reason: childStats.isSymbolicLink() ? 'a symbolic link' : 'not a regular file or directory' });
    }
  }
  return { kind: 'directory', name, path, children };
}
