/**
 * Writes stored content to the local disk from the runtime (the CLI's `peergrid get` does the same
 * through the API; content-entries.ts lists). Blocks come from `getBlock`, which verifies each
 * against its CID: the local blockstore now, the grid later.
 *
 * Nothing is written outside the output path: every entry name was checked when its directory was
 * decoded (dag/entry-name.ts), and each path is checked again here against the output directory
 * before anything is created, in case a future code path forgets. Files are written by new-file.ts:
 * never under the real name until complete, never over an existing file.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Capability } from '../../services/storage/crypt/capability.ts';
import type { ContentCipher } from '../../services/storage/crypt/content-cipher.ts';
import { openNode, readEncryptedFile } from '../../services/storage/crypt/encrypted-reader.ts';
import type { CID } from '../../services/storage/dag/cids.ts';
import { DagError } from '../../services/storage/dag/dag-error.ts';
import { isDirectoryBlock, readDirectory } from '../../services/storage/dag/directory-node.ts';
import { readFile, type GetBlock } from '../../services/storage/dag/file-reader.ts';
import { DagLimits } from '../../services/storage/dag/limits.ts';
import { ExistingPathError, pathExists, writeNewFile } from './new-file.ts';

export { ExistingPathError };

/** What to read: a plain root CID, or an encrypted root with its key. */
export type ContentRef = { readonly kind: 'plain'; readonly root: CID } | { readonly kind: 'encrypted'; readonly capability: Capability };

export interface GetResult {
  readonly files: number;
  readonly directories: number;
  readonly bytes: number;
}

/** What a get counts as it goes. */
type Totals = { -readonly [K in keyof GetResult]: GetResult[K] };

interface Reader {
  readonly getBlock: GetBlock;
  readonly cipher: ContentCipher | null;
}

/** Writes the content to `outPath`, which must not exist yet. */
export async function getContent(ref: ContentRef, outPath: string, getBlock: GetBlock, cipher: ContentCipher | null, onProgress?: (bytesDone: number) => void): Promise<GetResult> {
  const target = resolve(outPath);
  if (await pathExists(target)) throw new ExistingPathError(`${outPath} exists already; choose a new path`);
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

async function writePlain(cid: CID, path: string, top: string, reader: Reader, totals: Totals, report: (bytes: number) => void, depth: number): Promise<void> {
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
  await writeNewFile(path, readFile(cid, reader.getBlock), report);
}

async function writeEncrypted(capability: Capability, path: string, top: string, reader: Reader, totals: Totals, report: (bytes: number) => void, depth: number): Promise<void> {
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
  await writeNewFile(path, readEncryptedFile(capability, reader.getBlock, cipher), report);
}

/** Belt and braces: a resolved path must lie inside the output path. */
function checkInside(path: string, top: string): void {
  const resolved = resolve(path);
  if (resolved !== top && !resolved.startsWith(top + sep)) throw new DagError(`refused to write outside ${top}: ${resolved}`);
}

function requireCipher(cipher: ContentCipher | null): ContentCipher {
  if (cipher === null) throw new Error('reading encrypted content needs the content cipher');
  return cipher;
}
