/**
 * The node's side of GET /api/v1/trees/:ref: a directory and everything under it as one tree
 * stream (tree-stream.ts), read while the fetch that brings it runs. The top is listed before the
 * answer starts, so a missing root or a file is refused with its status; a failure later cuts the
 * stream, which the reader sees as one without its end record.
 */
import type { ContentListing, ContentStore, ReadOptions } from '../runtime/content-store.ts';
import { ApiError } from './errors.ts';
import { TREE_DEPTH_MAX, treeHeader } from './tree-stream.ts';

/**
 * Pieces smaller than this are gathered before they are sent: a tree of small files would else be
 * answered in two HTTP chunks a file (its header, its bytes). A larger piece goes as it is.
 */
const GATHER_BYTES = 64 * 1024;

type TreeReader = Pick<ContentStore, 'list' | 'openFile'>;

export async function treeAnswer(content: TreeReader, ref: string, options: ReadOptions): Promise<{ readonly body: AsyncIterable<Uint8Array>; readonly bytes: null }> {
  const top = await content.list(ref, options);
  if (top.kind !== 'directory') throw new ApiError(422, 'not_a_directory', `${ref} is a file, not a directory: read its bytes (GET /api/v1/content/${ref})`);
  return { body: gathered(treeRecords(content, top, options)), bytes: null };
}

async function* treeRecords(content: TreeReader, top: ContentListing, options: ReadOptions): AsyncGenerator<Uint8Array> {
  const counts = { files: 0, directories: 0 };
  yield* directoryRecords(content, top.entries, [], options, counts);
  yield treeHeader({ kind: 'end', ...counts });
}

async function* directoryRecords(
  content: TreeReader, entries: ContentListing['entries'], path: readonly string[], options: ReadOptions, counts: { files: number; directories: number },
): AsyncGenerator<Uint8Array> {
  for (const entry of entries) {
    const entryPath = [...path, entry.name];
    if (entry.kind === 'directory') {
      // The reader refuses deeper paths; refusing them here ends the stream with a reason.
      if (entryPath.length >= TREE_DEPTH_MAX) throw new ApiError(422, 'too_deep', `directories nested more than ${TREE_DEPTH_MAX} deep`);
      counts.directories++;
      yield treeHeader({ kind: 'directory', path: entryPath });
      const listing = await content.list(entry.ref, options);
      yield* directoryRecords(content, listing.entries, entryPath, options, counts);
    } else {
      const file = await content.openFile(entry.ref, options);
      counts.files++;
      yield treeHeader({ kind: 'file', path: entryPath, bytes: file.bytes });
      let sent = 0;
      for await (const piece of file.body) {
        sent += piece.length;
        // A file longer than its root says would shift every record after it.
        if (sent > file.bytes) throw new Error(`${entry.ref} has more bytes than its root says (${file.bytes})`);
        yield piece;
      }
      if (sent !== file.bytes) throw new Error(`${entry.ref} ended after ${sent} of the ${file.bytes} bytes its root says`);
    }
  }
}

/** The same bytes, with runs of small pieces gathered into one of up to GATHER_BYTES. */
async function* gathered(pieces: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  const flush = (): Uint8Array => {
    const joined = Buffer.concat(held, heldBytes);
    held = [];
    heldBytes = 0;
    return joined;
  };
  for await (const piece of pieces) {
    if (piece.length >= GATHER_BYTES) {
      if (heldBytes > 0) yield flush();
      yield piece;
      continue;
    }
    held.push(piece);
    heldBytes += piece.length;
    if (heldBytes >= GATHER_BYTES) yield flush();
  }
  if (heldBytes > 0) yield flush();
}
