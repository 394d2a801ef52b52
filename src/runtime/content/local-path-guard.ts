/**
 * What a node checks before it adds a path from its own disk for a client (POST
 * /api/v1/local-adds; docs/NODE.md, "Adding a local path"). Streaming a large file to a node on
 * the same machine costs both processes a read, a socket write and a socket read of every byte;
 * the node can read the file itself. But then it reads with its own permissions, for whoever holds
 * its full API token, so:
 *
 * - the path must be absolute and canonical (no symbolic link anywhere in it): what the client
 *   resolved is what the node opens;
 * - the node must see the same file or directory the client sees: the client sends the identity
 *   it read (device, inode, size, modification time to the nanosecond), and a node on another
 *   machine or in another container (an SSH tunnel, a Docker port) sees another identity or
 *   nothing, and refuses — the client then streams the bytes as before;
 * - nothing of the node's own data directory is read: not the directory itself, nor a tree that
 *   contains it, nor a hard link elsewhere to one of its files (its identity key, its API tokens,
 *   its convergence secret).
 *
 * Every refusal is a LocalPathRefusedError, which the API answers 409 `local_path_refused`.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { LocalPathRefusedError } from '../content-store-errors.ts';

/** How the client and the node name one file system object: equal on the same machine and mount, different elsewhere. */
export async function localPathIdentity(path: string): Promise<string> {
  const stats = await lstat(path, { bigint: true });
  const kind = stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
  return `${kind}:${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}`;
}

export class LocalPathGuard {
  private readonly dataDirReal: string;
  /** `dev:ino` of every file directly in the data directory. */
  private readonly ownFiles: ReadonlySet<string>;

  private constructor(dataDirReal: string, ownFiles: ReadonlySet<string>) {
    this.dataDirReal = dataDirReal;
    this.ownFiles = ownFiles;
  }

  /** Reads the data directory's own files now: the secrets among them are made when the node first starts, before any request. */
  static async open(dataDir: string): Promise<LocalPathGuard> {
    const dataDirReal = await realpath(dataDir);
    const ownFiles = new Set<string>();
    for (const name of await readdir(dataDirReal)) {
      const stats = await lstat(join(dataDirReal, name)).catch(() => null);
      if (stats?.isFile() === true) ownFiles.add(`${stats.dev}:${stats.ino}`);
    }
    return new LocalPathGuard(dataDirReal, ownFiles);
  }

  /** Refuses a path the node must not add for a client, or that it does not see as the client does. */
  async checkRoot(path: string, identity: string): Promise<void> {
    if (!isAbsolute(path)) throw new LocalPathRefusedError(`${JSON.stringify(path)} is not an absolute path`);
    const canonical = await realpath(path).catch((error: NodeJS.ErrnoException) => {
      throw new LocalPathRefusedError(`the node cannot reach ${path} (${error.code ?? error.message})`);
    });
    if (canonical !== path) throw new LocalPathRefusedError(`${path} is not canonical (it resolves to ${canonical}): send the resolved path`);
    if (isWithin(path, this.dataDirReal) || isWithin(this.dataDirReal, path)) {
      throw new LocalPathRefusedError(`${path} is or contains the node's data directory, which the node does not add for clients`);
    }
    const seen = await localPathIdentity(path).catch((error: NodeJS.ErrnoException) => {
      throw new LocalPathRefusedError(`the node cannot read ${path} (${error.code ?? error.message})`);
    });
    if (seen !== identity) {
      throw new LocalPathRefusedError(`the node sees another ${seen.split(':')[0]} at ${path} than the client does (another machine or container?)`);
    }
  }

  /** For each entry of the tree as it is read: refuses one of the data directory's own files, reached by a hard link. */
  checkEntry(path: string, stats: Stats): void {
    if (stats.isFile() && this.ownFiles.has(`${stats.dev}:${stats.ino}`)) {
      throw new LocalPathRefusedError(`${path} is one of the node's own files (a hard link into its data directory)`);
    }
  }
}

/** Whether `path` is `dir` or lies under it (both canonical). */
function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}
