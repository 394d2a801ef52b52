/**
 * A node's data directory: where its identity, configuration and routing snapshot live, and the
 * lock that keeps two processes from running one identity (they would fight over the same kernel
 * id and overwrite each other's snapshot).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DataFiles = {
  identity: 'identity.json',
  config: 'config.json',
  routing: 'routing.json',
  lock: 'node.lock',
  /** The HTTP API's bearer token (src/api/token-file.ts). */
  apiToken: 'api-token',
  /** The HTTP API's read-only token: GET requests only (src/api/auth.ts). */
  apiReadToken: 'api-read-token',
} as const;

/** ~/.peergrid unless the user names another directory. */
export function defaultDataDir(home: string = homedir()): string {
  return join(home, '.peergrid');
}

/** Creates the directory if needed, readable by its owner only: it holds a private key. */
export async function ensureDataDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/** Writes a file so that a crash leaves either the old content or the new, never half of one. */
export async function writeFileAtomically(path: string, content: string | Uint8Array, mode = 0o600): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', mode);
  try {
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    // A write that failed (a full disk, a directory in the file's place) leaves no temporary file
    // behind: files saved every few seconds would otherwise fill the data directory with them.
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** The data directory is in use by a running node. */
export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(`the data directory ${dir} is in use by process ${pid}`);
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * Takes the directory's lock: a file holding our pid, created exclusively. A lock left by a
 * process that no longer runs (a crash, SIGKILL) is taken over. (A reused pid can make a stale
 * lock look held; the error names the pid so a user can check and delete the file.)
 */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const path = join(dir, DataFiles.lock);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return { release: () => rm(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    // Our own pid is a holder too: another node of this process has the directory.
    if (Number.isSafeInteger(holder) && holder > 0 && (holder === process.pid || isRunning(holder))) {
      throw new DataDirLockedError(dir, holder);
    }
    await rm(path, { force: true });
  }
  throw new Error(`could not take the lock ${path}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
