/**
 * Lists content by reference (`peergrid ls`, and `peergrid get` of a directory, which lists each
 * level and fetches its files): a directory's entries, each with its kind, size when known, and
 * the reference that reads it — a CID for plain content, a capability for encrypted content (the
 * child's key is in the parent's node, so whoever can read the parent can read its children).
 * content-exporter.ts's listContent gives an encrypted child's CID without its key; this gives
 * what a client needs to fetch it.
 */
import type { ContentCipher } from '../../services/storage/crypt/content-cipher.ts';
import { openNode } from '../../services/storage/crypt/encrypted-reader.ts';
import { readDirectory } from '../../services/storage/dag/directory-node.ts';
import type { GetBlock } from '../../services/storage/dag/file-reader.ts';
import type { ContentRef } from './content-exporter.ts';
import { describePlainChild } from './stored-directory.ts';

export interface ListedRef {
  readonly name: string;
  readonly kind: 'file' | 'directory';
  /** Plaintext bytes; null for a plain directory (UnixFS does not record it). */
  readonly bytes: number | null;
  readonly ref: ContentRef;
}

export interface Listing {
  readonly kind: 'file' | 'directory';
  readonly bytes: number | null;
  /** Empty for a file. */
  readonly entries: readonly ListedRef[];
}

export async function listRef(ref: ContentRef, getBlock: GetBlock, cipher: ContentCipher): Promise<Listing> {
  if (ref.kind === 'encrypted') {
    const node = await openNode(ref.capability, getBlock, cipher);
    if (node.kind === 'file') return { kind: 'file', bytes: node.size, entries: [] };
    const entries: ListedRef[] = [];
    let total = 0;
    for (const entry of node.entries) {
      const capability = { root: entry.cid, key: entry.key };
      const child = await openNode(capability, getBlock, cipher);
      entries.push({ name: entry.name, kind: child.kind === 'dir' ? 'directory' : 'file', bytes: entry.size, ref: { kind: 'encrypted', capability } });
      total += entry.size;
    }
    return { kind: 'directory', bytes: total, entries };
  }
  const bytes = await getBlock(ref.root);
  const root = describePlainChild(ref.root, bytes);
  if (root.kind === 'file') return { kind: 'file', bytes: root.fileBytes, entries: [] };
  const entries: ListedRef[] = [];
  for (const entry of readDirectory(ref.root, bytes)) {
    const child = describePlainChild(entry.cid, await getBlock(entry.cid));
    entries.push({ name: entry.name, kind: child.kind, bytes: child.fileBytes, ref: { kind: 'plain', root: entry.cid } });
  }
  return { kind: 'directory', bytes: null, entries };
}
