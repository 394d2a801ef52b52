/**
 * Where things live under the blockstore's directory (the node passes `<dataDir>/blocks`):
 *
 *   index.sqlite          the index (block-index.ts), in WAL mode
 *   packs/                the blocks, many to a file: `<id>.pack`, the id (16 hex digits) being the
 *                         pack's row in the index; written once, never changed, removed whole
 *   tmp/                  writes in progress; whatever is here when the store opens is a leftover
 *   quarantine/           bytes that failed verification, kept for a human to look at
 *   00/ … ff/             only in a store made before packs (layout version 1: one file per block,
 *                         named by its digest); opening such a store moves its blocks into packs
 *
 * Why packs and not a file per block: creating, fsyncing and renaming a file per 256 KiB block
 * made the disk's metadata the bottleneck of every add — about 130 MiB/s where the same disk
 * writes 500 MB/s sequentially (docs/storage-blockstore.md, "Packs"). A put now writes one file
 * for its whole call.
 *
 * File names are made only from numbers the store allocated and from digests it checked to be 32
 * bytes, never from a string a caller gave: no path can leave these directories.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const LayoutNames = {
  index: 'index.sqlite',
  temporary: 'tmp',
  quarantine: 'quarantine',
  packs: 'packs',
  /** Who holds the store open, for the error a second opener gets (the lock itself is SQLite's). */
  holder: 'holder.txt',
} as const;

const DIGEST_HEX = /^[0-9a-f]{64}$/;
const PACK_NAME = /^([0-9a-f]{16})\.pack$/;

export function isDigestHex(name: string): boolean {
  return DIGEST_HEX.test(name);
}

/** The name of pack `id`'s file. */
export function packName(id: number): string {
  return `${id.toString(16).padStart(16, '0')}.pack`;
}

export function packPath(root: string, id: number): string {
  return join(root, LayoutNames.packs, packName(id));
}

/** The pack id a file name in packs/ stands for, or undefined if it is not a pack's name. */
export function packIdOf(name: string): number | undefined {
  const match = PACK_NAME.exec(name);
  if (match === null) return undefined;
  const id = Number.parseInt(match[1], 16);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

export function blockPath(root: string, hex: string): string {
  return join(root, hex.slice(0, 2), hex);
}

/** Where files are written before they are renamed into place (and direct writes probe). */
export function temporaryDir(root: string): string {
  return join(root, LayoutNames.temporary);
}

/** A fresh name in tmp/ for a write of this file: unique per write, so concurrent writers never share one. */
export function temporaryPath(root: string, name: string): string {
  return join(temporaryDir(root), `${name}.${process.pid}.${randomBytes(6).toString('hex')}`);
}

/** A fresh name in quarantine/: a block corrupt twice keeps both copies. */
export function quarantinePath(root: string, name: string, nowUnixMs: number): string {
  return join(root, LayoutNames.quarantine, `${name}.${nowUnixMs}.${randomBytes(4).toString('hex')}`);
}

export function allShards(): string[] {
  return Array.from({ length: 256 }, (_, index) => index.toString(16).padStart(2, '0'));
}

/** Creates the directories that are not there yet (one readdir when all are) and makes their entries durable. */
export async function ensureLayout(root: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const present = new Set(await readdir(root));
  const wanted = [LayoutNames.temporary, LayoutNames.quarantine, LayoutNames.packs].filter((name) => !present.has(name));
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
  await fsyncPath(path, DIRECTORY_SYNC_UNSUPPORTED);
}

/** Fsyncs a file by its path; one that is gone (removed meanwhile) needs nothing. */
export async function fsyncFileIfPresent(path: string): Promise<void> {
  await fsyncPath(path, GONE);
}

const DIRECTORY_SYNC_UNSUPPORTED: ReadonlySet<string> = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EBADF']);
const GONE: ReadonlySet<string> = new Set(['ENOENT']);

/** Opens `path`, fsyncs it and closes it; an error whose code is in `ignored` is not one. */
async function fsyncPath(path: string, ignored: ReadonlySet<string>): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (error) {
    if (!ignored.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
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
