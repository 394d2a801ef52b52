/**
 * Where things live under the blockstore's directory (the node passes `<dataDir>/blocks`):
 *
 *   index.sqlite          the index (block-index.ts), in WAL mode
 *   00/ … ff/             the blocks, one file each, named by the 64 hex digits of their sha2-256
 *                         digest, in the directory named by the first two
 *   tmp/                  writes in progress; whatever is here when the store opens is a leftover
 *   quarantine/           files that failed verification, kept for a human to look at
 *
 * Why shard by the first two hex digits of the digest: the digest is the only uniformly
 * distributed part of a CID. The base32 string of a CIDv1 starts with the same characters for
 * every block of a codec ("bafkrei…" for raw sha2-256), so sharding by its first characters would
 * put everything in one directory, and its last character carries fewer than 5 bits (kubo's flatfs
 * uses the next-to-last two characters for that reason). 256 directories keep a directory under
 * 16k entries up to 4M blocks (1 TiB of 256 KiB blocks). Hex names are the same on
 * case-insensitive file systems.
 *
 * File names are made only from a digest the store checked to be 32 bytes and printed as hex
 * itself, never from a string a caller gave: no path can leave these directories.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const LayoutNames = {
  index: 'index.sqlite',
  temporary: 'tmp',
  quarantine: 'quarantine',
  /** Who holds the store open, for the error a second opener gets (the lock itself is SQLite's). */
  holder: 'holder.txt',
} as const;

const DIGEST_HEX = /^[0-9a-f]{64}$/;
const SHARD_HEX = /^[0-9a-f]{2}$/;

export function isDigestHex(name: string): boolean {
  return DIGEST_HEX.test(name);
}

export function isShardName(name: string): boolean {
  return SHARD_HEX.test(name);
}

export function shardOf(hex: string): string {
  return hex.slice(0, 2);
}

export function shardPath(root: string, shard: string): string {
  return join(root, shard);
}

export function blockPath(root: string, hex: string): string {
  return join(root, shardOf(hex), hex);
}

/** A fresh name in tmp/ for a write of this block: unique per write, so concurrent writers never share one. */
export function temporaryPath(root: string, hex: string): string {
  return join(root, LayoutNames.temporary, `${hex}.${process.pid}.${randomBytes(6).toString('hex')}`);
}

/** A fresh name in quarantine/: a block corrupt twice keeps both files. */
export function quarantinePath(root: string, hex: string, nowUnixMs: number): string {
  return join(root, LayoutNames.quarantine, `${hex}.${nowUnixMs}.${randomBytes(4).toString('hex')}`);
}

export function allShards(): string[] {
  return Array.from({ length: 256 }, (_, index) => index.toString(16).padStart(2, '0'));
}

/** Creates the directories that are not there yet (one readdir when all are) and makes their entries durable. */
export async function ensureLayout(root: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const present = new Set(await readdir(root));
  const wanted = [LayoutNames.temporary, LayoutNames.quarantine, ...allShards()].filter((name) => !present.has(name));
  if (wanted.length === 0) return;
  await Promise.all(wanted.map((name) => mkdir(join(root, name), { recursive: true, mode: 0o700 })));
  await fsyncDirectory(root);
}

/**
 * Makes a directory's entries (a rename into it, a file created in it) durable. Linux needs this
 * after rename(2) for the new name to survive a power loss; platforms that cannot fsync a
 * directory (Windows) make renames durable by other means, so those errors are ignored.
 */
export async function fsyncDirectory(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}

/** Removes a file; true if it was there. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
