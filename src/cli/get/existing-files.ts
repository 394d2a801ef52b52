/**
 * `peergrid get --continue`: what an earlier, interrupted get left at PATH is checked, never
 * replaced. A file there is kept only when it holds exactly the content's bytes (compared byte for
 * byte with what the node serves, so a half-written or edited file is caught); a directory is
 * descended into. Anything else — a file that differs, a symbolic link, a file where a directory
 * belongs — is an error that names it, and nothing is touched.
 */
import { lstat, open } from 'node:fs/promises';

export type ExistingKind = 'none' | 'file' | 'directory' | 'other';

/** What is at `path`, without following a symbolic link (one counts as 'other'). */
export async function existingKind(path: string): Promise<ExistingKind> {
  try {
    const stats = await lstat(path);
    if (stats.isFile()) return 'file';
    if (stats.isDirectory()) return 'directory';
    return 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw error;
  }
}

/**
 * Whether the file at `path` holds exactly the bytes of `content`: null when it does, else the
 * offset of the first byte that differs (its size, when the file is longer). Reads `content` to
 * its end either way, or until the first difference.
 */
export async function firstDifference(path: string, content: AsyncIterable<Uint8Array>): Promise<number | null> {
  const handle = await open(path, 'r');
  try {
    let offset = 0;
    for await (const piece of content) {
      const onDisk = Buffer.alloc(piece.length);
      const { bytesRead } = await handle.read(onDisk, 0, piece.length, offset);
      const same = bytesRead === piece.length && onDisk.equals(piece);
      if (!same) return offset + firstMismatch(onDisk.subarray(0, bytesRead), piece);
      offset += piece.length;
    }
    const size = (await handle.stat()).size;
    return size === offset ? null : offset;
  } finally {
    await handle.close();
  }
}

function firstMismatch(onDisk: Uint8Array, expected: Uint8Array): number {
  const length = Math.min(onDisk.length, expected.length);
  for (let at = 0; at < length; at++) if (onDisk[at] !== expected[at]) return at;
  return length;
}
