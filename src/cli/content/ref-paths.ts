/**
 * `<cid|capability>/path/to/entry`: content named by a path inside a stored directory, as IPFS
 * users write `<cid>/docs/readme.md`. A CID or capability never holds a '/', so the first one
 * ends the reference. The path is resolved here, a listing per directory on the way (the node
 * fetches what a listing reads, not the tree below: GridStorage.fetchListing), and the entry's own
 * reference — for encrypted content, a capability derived from its parent's — is what the
 * command then reads.
 */
import type { ApiClient } from '../../api/client.ts';
import { entryNameProblem } from '../../services/storage/dag/entry-name.ts';
import { UsageError } from '../args.ts';
import { CommandFailedError } from '../command.ts';
import { callApi } from '../api-client/call.ts';
import { checkRef } from './refs.ts';

export interface RefPath {
  /** The reference before the first '/'. */
  readonly ref: string;
  /** The entry names after it, empty ones ('a//b', a trailing '/') dropped. */
  readonly names: readonly string[];
}

/** Splits and checks `<ref>[/name…]`: a bad reference or name is a usage error, before any request. */
export function parseRefPath(text: string, what = '<cid|capability>'): RefPath {
  // Only the reference is trimmed (checkRef): spaces are part of an entry name (' ', 'notes '), and
  // trimming the path would name another entry, or the directory itself, without a word.
  const slash = text.indexOf('/');
  const ref = checkRef(slash < 0 ? text : text.slice(0, slash), what);
  const names = slash < 0 ? [] : text.slice(slash + 1).split('/').filter((name) => name !== '');
  for (const name of names) {
    const problem = entryNameProblem(name);
    if (problem !== null) throw new UsageError(`${what}: the path holds ${JSON.stringify(name)}, which no entry can be named: ${problem}`);
  }
  return { ref, names };
}

/**
 * The reference of the entry the path names, by listing each directory on the way; with no path,
 * the reference itself. A name no directory holds, or a file where a directory is needed, fails
 * with the path so far.
 */
export async function resolveRefPath(api: ApiClient, baseUrl: string, path: RefPath): Promise<string> {
  let ref = path.ref;
  for (const [index, name] of path.names.entries()) {
    const here = index === 0 ? 'the root' : path.names.slice(0, index).join('/');
    const listing = await callApi(baseUrl, () => api.listContent({ ref }));
    if (listing.kind !== 'directory') throw new CommandFailedError(`${here} is a file: it has no entry ${JSON.stringify(name)}`);
    const entry = listing.entries.find((candidate) => candidate.name === name);
    if (entry === undefined) throw new CommandFailedError(`${here} has no entry ${JSON.stringify(name)}`);
    ref = entry.ref;
  }
  return ref;
}
