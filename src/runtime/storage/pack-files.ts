/**
 * Pack files: writing one into place, reading blocks out of it, listing and removing them. No
 * index here; blockstore.ts orders these steps around its transactions.
 *
 * A pack is written to a fresh file in tmp/ and renamed into packs/ once complete (and fsynced,
 * when the durability mode asks): rename(2) replaces the name atomically, so a reader or a crash
 * sees no pack or the whole pack, never a part. Packs are never changed once in place.
 */
import { open, readdir, rename, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory, LayoutNames, packIdOf, packName, packPath, removeFile, temporaryPath } from './block-layout.ts';
import type { DirectWrites } from './direct-writes.ts';
import { encodeEntryHeader, ENTRY_HEADER_BYTES, PACK_MAGIC } from './pack-format.ts';

const FILE_MODE = 0o600;
/** Buffers per writev(2) call: below the usual IOV_MAX of 1024. */
const BUFFERS_PER_WRITE = 512;

export interface PackBlock {
  readonly digest: Uint8Array;
  readonly codec: number;
  readonly bytes: Uint8Array;
}

export interface WrittenPack {
  /** Where each block's bytes start, in the order given. */
  readonly offsets: readonly number[];
  /** The pack file's size. */
  readonly bytes: number;
}

/** Packs at least this large are written around the page cache when the store can (direct-writes.ts); smaller ones through it. */
export const DIRECT_PACK_BYTES_MIN = 1 << 20;

/**
 * Writes the blocks as pack `id` and renames it into packs/; with `sync`, the file is fsynced
 * before the rename and packs/ after it. If it throws, the pack is not in place and its temporary
 * file is gone. With `direct`, a large pack is written directly (direct-writes.ts); should that
 * fail, through the page cache.
 */
export async function writePackFile(root: string, id: number, blocks: readonly PackBlock[], sync: boolean, direct: DirectWrites | null = null): Promise<WrittenPack> {
  const buffers: Uint8Array[] = [PACK_MAGIC];
  const offsets: number[] = [];
  let position = PACK_MAGIC.length;
  for (const block of blocks) {
    buffers.push(encodeEntryHeader(block.digest, block.codec, block.bytes.length), block.bytes);
    offsets.push(position + ENTRY_HEADER_BYTES);
    position += ENTRY_HEADER_BYTES + block.bytes.length;
  }
  const temporary = temporaryPath(root, packName(id));
  let handle: FileHandle | undefined;
  try {
    handle = direct !== null && direct.usable && position >= DIRECT_PACK_BYTES_MIN ? await writeDirectly(direct, temporary, buffers, position) : undefined;
    if (handle === undefined) {
      handle = await open(temporary, 'wx', FILE_MODE);
      await writeAll(handle, buffers);
    }
    if (sync) await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, packPath(root, id));
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await removeFile(temporary).catch(() => false);
    throw error;
  }
  if (sync) await fsyncDirectory(join(root, LayoutNames.packs));
  return { offsets, bytes: position };
}

/** The pack written directly, its handle open; undefined (and no file left) if that failed, to be written the usual way. */
async function writeDirectly(direct: DirectWrites, temporary: string, buffers: readonly Uint8Array[], bytes: number): Promise<FileHandle | undefined> {
  try {
    return await direct.write(temporary, buffers, bytes);
  } catch {
    await removeFile(temporary).catch(() => false);
    return undefined;
  }
}

/** writev(2) may write less than asked (a signal, a full disk): go on from where it stopped. */
async function writeAll(handle: FileHandle, buffers: readonly Uint8Array[]): Promise<void> {
  let position = 0;
  for (let start = 0; start < buffers.length; start += BUFFERS_PER_WRITE) {
    let group = buffers.slice(start, start + BUFFERS_PER_WRITE);
    let wanted = group.reduce((sum, buffer) => sum + buffer.length, 0);
    while (wanted > 0) {
      const { bytesWritten } = await handle.writev(group as Uint8Array[], position);
      if (bytesWritten === 0) throw new Error('writev wrote nothing');
      position += bytesWritten;
      wanted -= bytesWritten;
      group = dropBytes(group, bytesWritten);
    }
  }
}

function dropBytes(buffers: readonly Uint8Array[], count: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let skip = count;
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return rest;
}

/** The pack's file size, or undefined if there is no such file. */
export async function packFileSize(root: string, id: number): Promise<number | undefined> {
  try {
    return (await stat(packPath(root, id))).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function removePackFile(root: string, id: number): Promise<boolean> {
  try {
    return await removeFile(packPath(root, id));
  } catch (error) {
    // A directory in a pack's place (a hand edit) is not removed with the rows that pointed into
    // it: fsck reports it as a stray (--repair quarantines it). Throwing would leave the pack
    // 'removing', and every later open would fail finishing its removal.
    if ((error as NodeJS.ErrnoException).code === 'ERR_FS_EISDIR') return false;
    throw error;
  }
}

/** What packs/ holds: the packs by id, and any other names (strays). */
export async function listPackFiles(root: string): Promise<{ readonly ids: number[]; readonly strays: string[] }> {
  const names = await readdir(join(root, LayoutNames.packs));
  const ids: number[] = [];
  const strays: string[] = [];
  for (const name of names) {
    const id = packIdOf(name);
    if (id === undefined) strays.push(name);
    else ids.push(id);
  }
  ids.sort((a, b) => a - b);
  return { ids, strays };
}

/** Reads up to `length` bytes at `position`; fewer if the file ends first. */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}
