/**
 * Writes stored content to the local disk (`peergrid get`) and lists it (`peergrid ls`). Blocks come
 * from `getBlock`, which verifies each against its CID: the local blockstore now, the grid later.
 *
 * Nothing is written outside the output path: every entry name was checked when its directory was
 * decoded (dag/entry-name.ts), and each path is checked again here against the output directory
 * before anything is created, in case a future code path forgets. A file is written to a temporary
 * name beside its target and renamed into place when complete, so an interrupted get never leaves
 * a truncated file under the real name; the target must not exist already (nothing is overwritten).
 */
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Capability } from '../../services/storage/crypt/capability.ts';
import type { ContentCipher } from '../../services/storage/crypt/content-cipher.ts';
import { openNode, readEncryptedFile } from '../../services/storage/crypt/encrypted-reader.ts';
import type { CID } from '../../services/storage/dag/cids.ts';
import { DagError } from '../../services/storage/dag/dag-error.ts';
import { isDirectoryBlock, readDirectory } from '../../services/storage/dag/directory-node.ts';
import { decodeFileNode, readFile, type GetBlock } from '../../services/storage/dag/file-reader.ts';
import { DagLimits } from '../../services/storage/dag/limits.ts';

/** What to read: a plain root CID, or an encrypted root with its key. */
export type ContentRef = { readonly kind: 'plain'; readonly root: CID } | { readonly kind: 'encrypted'; readonly capability: Capability };

export interface ListedEntry {
  readonly name: string;
  readonly kind: 'file' | 'directory';
  /** Plaintext bytes of a file, or of everything under a directory when known (null otherwise). */
  readonly bytes: number | null;
  /** The CID (plain) or capability root (encrypted) of the entry. */
  readonly cid: string;
}

export interface GetResult {
  readonly files: number;
  readonly directories: number;
  readonly bytes: number;
}

export class ExistingPathError extends Error {
  override readonly name = 'ExistingPathError';
}

interface Reader {
  readonly getBlock: GetBlock;
  readonly cipher: ContentCipher | null;
}

/** Lists a directory's entries; a file lists as itself. */
export async function listContent(ref: ContentRef, getBlock: GetBlock, cipher: ContentCipher | null): Promise<ListedEntry[]> {
  if (ref.kind === 'encrypted') {
    const node = await openNode(ref.capability, getBlock, requireCipher(cipher));
    if (node.kind === 'file') return [{ name: '', kind: 'file', bytes: node.size, cid: ref.capability.root.toString() }];
    const out: ListedEntry[] = [];
    for (const entry of node.entries) {
      const child = await openNode({ root: entry.cid, key: entry.key }, getBlock, requireCipher(cipher));
      out.push({ name: entry.name, kind: child.kind === 'dir' ? 'directory' : 'file', bytes: entry.size, cid: entry.cid.toString() });
    }
    return out;
  }
  const bytes = await getBlock(ref.root);
  if (!isDirectoryBlock(ref.root, bytes)) return [{ name: '', kind: 'file', bytes: decodeFileNode(ref.root, bytes).fileBytes, cid: ref.root.toString() }];
  const out: ListedEntry[] = [];
  for (const entry of readDirectory(ref.root, bytes)) {
    const child = await getBlock(entry.cid);
    const directory = isDirectoryBlock(entry.cid, child);
    out.push({ name: entry.name, kind: directory ? 'directory' : 'file', bytes: directory ? null : decodeFileNode(entry.cid, child).fileBytes, cid: entry.cid.toString() });
  }
  return out;
}

/** Writes the content to `outPath`, which must not exist yet. */
export async function getContent(ref: ContentRef, outPath: string, getBlock: GetBlock, cipher: ContentCipher | null, onProgress?: (bytesDone: number) => void): Promise<GetResult> {
  const target = resolve(outPath);
  if (await exists(target)) throw new ExistingPathError(`${outPath} exists already; choose a new path`);
  const totals = { files: 0, directories: 0, bytes: 0 };
  const reader: Reader = { getBlock, cipher: ref.kind === 'encrypted' ? requireCipher(cipher) : null };
  const report = (bytes: number): void => {
    totals.bytes += bytes;
    onProgress?.(totals.bytes);
  };
  if (ref.kind === 'encrypted') await writeEncrypted(ref.capability, target, target, reader, totals, report, 0);
  else await writePlain(ref.root, target, target, reader, totals, report, 0);
  return totals;
}

async function writePlain(cid: CID, path: string, top: string, reader: Reader, totals: GetResult & { files: number; directories: number }, report: (bytes: number) => void, depth: number): Promise<void> {
  checkInside(path, top);
  if (depth > DagLimits.depthMax * 4) throw new DagError('directories nested too deep', cid.toString());
  const bytes = await reader.getBlock(cid);
  if (isDirectoryBlock(cid, bytes)) {
    // Every name is checked before the directory is made: a refused one leaves nothing behind.
    const entries = readDirectory(cid, bytes);
    await mkdir(path);
    totals.directories++;
    for (const entry of entries) await writePlain(entry.cid, join(path, entry.name), top, reader, totals, report, depth + 1);
    return;
  }
  totals.files++;
  await writeFileAtomically(path, readFile(cid, reader.getBlock), report);
}

async function writeEncrypted(capability: Capability, path: string, top: string, reader: Reader, totals: GetResult & { files: number; directories: number }, report: (bytes: number) => void, depth: number): Promise<void> {
  checkInside(path, top);
  if (depth > DagLimits.depthMax * 4) throw new DagError('directories nested too deep', capability.root.toString());
  const cipher = reader.cipher as ContentCipher;
  const node = await openNode(capability, reader.getBlock, cipher);
  if (node.kind === 'dir') {
    await mkdir(path);
    totals.directories++;
    for (const entry of node.entries) await writeEncrypted({ root: entry.cid, key: entry.key }, join(path, entry.name), top, reader, totals, report, depth + 1);
    return;
  }
  totals.files++;
  await writeFileAtomically(path, readEncryptedFile(capability, reader.getBlock, cipher), report);
}

async function writeFileAtomically(path: string, source: AsyncIterable<Uint8Array>, report: (bytes: number) => void): Promise<void> {
  const partial = join(dirname(path), `.${Math.random().toString(36).slice(2)}.peergrid-partial`);
  try {
    await pipeline(
      async function* () {
        for await (const piece of source) {
          report(piece.length);
          yield piece;
        }
      },
      createWriteStream(partial, { flags: 'wx' }),
    );
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/** Belt and braces: a resolved path must lie inside the output path. */
function checkInside(path: string, top: string): void {
  const resolved = resolve(path);
  if (resolved !== top && !resolved.startsWith(top + sep)) throw new DagError(`refused to write outside ${top}: ${resolved}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

function requireCipher(cipher: ContentCipher | null): ContentCipher {
  if (cipher === null) throw new Error('reading encrypted content needs the content cipher');
  return cipher;
}
