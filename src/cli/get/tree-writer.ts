/**
 * What `peergrid get` writes: a file, or a directory and everything under it, at a new local path.
 *
 * A tree comes as one stream from the node (GET /api/v1/trees/:ref, api/tree-stream.ts): a record
 * per directory and per file, each file's bytes after its record. One request a file had cost both
 * processes about 1.5 ms a file (docs/BENCHMARKS.md, "A tree of small files fetched"). A node of an
 * earlier version has no such route: its trees are read as before, a listing per directory and a
 * request per file, FILE_DOWNLOADS_AT_ONCE at a time.
 *
 * Either way every name is checked again here with the storage layer's check, and every path
 * against PATH, so nothing the node sends can land outside PATH; nothing that exists is ever
 * replaced (output-files.ts), and with --continue what an earlier get left is compared, kept where
 * it matches (existing-files.ts).
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { ApiClient } from '../../api/client.ts';
import { ApiResponseError } from '../../api/client-errors.ts';
import { TREE_DEPTH_MAX, TreeStreamError, TreeStreamReader } from '../../api/tree-stream.ts';
import { TaskSlots } from '../../runtime/storage/parallel.ts';
import { entryNameProblem } from '../../services/storage/dag/entry-name.ts';
import { formatBound } from '../args.ts';
import { CommandFailedError } from '../command.ts';
import { callApi, translateApiError } from '../api-client/call.ts';
import { writeNewFile } from '../content/output-files.ts';
import { counted, type Progress } from '../content/progress.ts';
import { existingKind, firstDifference } from './existing-files.ts';

/** Directories nested deeper are refused: far beyond real trees, and it bounds the recursion. */
const DEPTH_MAX = TREE_DEPTH_MAX;

/**
 * Without the tree route, a tree's files are read from the node this many at once. One at a time,
 * each small file waited for its own round trip and for the node to find, verify and decrypt its
 * blocks. As many as `put` uploads at once, far below the API's connection limit.
 */
const FILE_DOWNLOADS_AT_ONCE = 4;

export interface GetPlan {
  readonly api: ApiClient;
  readonly baseUrl: string;
  /** The ref asked for: every entry below it is read within its fetch. */
  readonly within: string;
  readonly top: string;
  readonly progress: Progress;
  /** --continue: what an earlier get left at PATH is checked and kept (existing-files.ts). */
  readonly resume: boolean;
  readonly totals: { files: number; directories: number; bytes: number; filesKept: number };
}

export async function writeFile(ref: string, path: string, plan: GetPlan): Promise<void> {
  checkInside(path, plan.top);
  const existing = plan.resume ? await existingKind(path) : 'none';
  if (existing !== 'none' && existing !== 'file') throw new CommandFailedError(`${path} exists and is not a file; it was left as it is`);
  const answer = await callApi(plan.baseUrl, () => plan.api.getContent({ ref }, withinOf(ref, plan)));
  await writeFileBytes(path, existing === 'file', answer.body, plan);
}

/**
 * A file's bytes to `path`: a new file, or with --continue one an earlier get left there, kept
 * only if it is the content byte for byte. Either way every byte of `bytes` is read.
 */
async function writeFileBytes(path: string, exists: boolean, bytes: AsyncIterable<Uint8Array>, plan: GetPlan): Promise<void> {
  if (exists) {
    const differs = await callApi(plan.baseUrl, () => firstDifference(path, counted(bytes, plan.progress)));
    if (differs !== null) {
      throw new CommandFailedError(`${path} exists and differs from the content from byte ${formatBound(differs)}; peergrid get never replaces anything: move it away and run again`);
    }
    // Each size is awaited before it is added: files may be written side by side, and `+= await`
    // would add to the total as it was before the wait.
    const { size } = await stat(path);
    plan.totals.filesKept++;
    plan.totals.bytes += size;
  } else {
    const written = await callApi(plan.baseUrl, () => writeNewFile(path, counted(bytes, plan.progress)));
    plan.totals.bytes += written;
  }
  plan.totals.files++;
}

/** The directory `ref` (whose entries are listed) and everything under it, at `path`. */
export async function writeTree(ref: string, entries: readonly DirectoryEntry[], path: string, plan: GetPlan): Promise<void> {
  let stream: AsyncIterable<Uint8Array>;
  try {
    stream = (await plan.api.getTree({ ref }, withinOf(ref, plan))).body;
  } catch (error) {
    if (!isWithoutTreeRoute(error)) throw translateApiError(error, plan.baseUrl);
    return writeTreeFileByFile(entries, path, plan);
  }
  await writeStreamedTree(stream, path, plan);
}

/** A node of an earlier version answers a route it does not have with 404 "no route …" (api/router.ts). */
function isWithoutTreeRoute(error: unknown): boolean {
  return error instanceof ApiResponseError && error.status === 404 && error.serverMessage.startsWith('no route');
}

/**
 * A tree from its stream: each record's path checked (a name at a time, and against PATH), its
 * directory made, its file written, in the order they come. A record goes only into a directory
 * this get made (or, with --continue, found and checked) from an earlier record: so a stream that
 * skips a directory's record cannot write through whatever stands at that name — a link an earlier
 * get's tree holds, say. A stream that is malformed or cut short fails the get; what was written
 * stays, for --continue.
 */
async function writeStreamedTree(stream: AsyncIterable<Uint8Array>, top: string, plan: GetPlan): Promise<void> {
  const reader = new TreeStreamReader(stream);
  const made = new Set<string>([top]);
  try {
    await makeDirectory(top, plan);
    for (let record = await reader.next(); record !== null; record = await reader.next()) {
      const path = pathOf(record.path, top, plan);
      if (!made.has(dirname(path))) throw new CommandFailedError(`${plan.baseUrl}: the tree's stream is not as it should be: ${path} comes before its directory`);
      if (record.kind === 'directory') {
        await makeDirectory(path, plan);
        made.add(path);
        continue;
      }
      const existing = plan.resume ? await existingKind(path) : 'none';
      if (existing !== 'none' && existing !== 'file') throw new CommandFailedError(`${path} exists and is not a file; it was left as it is`);
      await writeFileBytes(path, existing === 'file', reader.fileBytes(), plan);
    }
  } catch (error) {
    await reader.close().catch(() => undefined);
    if (error instanceof TreeStreamError) throw new CommandFailedError(`${plan.baseUrl}: the tree's stream is not as it should be: ${error.message}`);
    throw translateApiError(error, plan.baseUrl);
  }
}

/** A record's path under `top`, each name checked as a directory's entries are. */
function pathOf(names: readonly string[], top: string, plan: GetPlan): string {
  let path = top;
  for (const name of names) {
    const problem = entryNameProblem(name);
    if (problem !== null) throw new CommandFailedError(`refused to write ${JSON.stringify(name)} in ${path}: ${problem}`);
    path = join(path, name);
  }
  checkInside(path, plan.top);
  return path;
}

/**
 * A tree file by file, for a node without the tree route. It settles only once no file of it is
 * still being written: after a failure the files already started finish (or fail) before it is
 * reported, so nothing is written once the command has said that it stopped.
 */
async function writeTreeFileByFile(entries: readonly DirectoryEntry[], path: string, plan: GetPlan): Promise<void> {
  const downloads = new TaskSlots(FILE_DOWNLOADS_AT_ONCE);
  const walked = await writeDirectory(entries, path, plan, downloads, 0).then(() => null, (error: unknown) => ({ error }));
  const written = await downloads.settle().then(() => null, (error: unknown) => ({ error }));
  const failure = walked ?? written;
  if (failure !== null) throw failure.error;
}

export interface DirectoryEntry {
  readonly name: string;
  readonly kind: 'file' | 'directory';
  readonly ref: string;
}

async function writeDirectory(entries: readonly DirectoryEntry[], path: string, plan: GetPlan, downloads: TaskSlots, depth: number): Promise<void> {
  checkInside(path, plan.top);
  if (depth > DEPTH_MAX) throw new CommandFailedError(`${path}: directories nested more than ${DEPTH_MAX} deep`);
  // Every name is checked before the directory is made, so a refused one leaves nothing behind.
  for (const entry of entries) {
    const problem = entryNameProblem(entry.name);
    if (problem !== null) throw new CommandFailedError(`refused to write ${JSON.stringify(entry.name)} in ${path}: ${problem}`);
  }
  await makeDirectory(path, plan);
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.kind === 'file') {
      await downloads.start(() => writeFile(entry.ref, child, plan));
    } else {
      const listing = await callApi(plan.baseUrl, () => plan.api.listContent({ ref: entry.ref }, withinOf(entry.ref, plan)));
      await writeDirectory(listing.entries, child, plan, downloads, depth + 1);
    }
  }
}

/** A new directory; with --continue, one an earlier get made is filled further (a link or a file is not). */
async function makeDirectory(path: string, plan: GetPlan): Promise<void> {
  await mkdir(path).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST' && plan.resume && await existingKind(path) === 'directory') return;
    if (error.code === 'EEXIST') throw new CommandFailedError(`${path} ${plan.resume ? 'exists and is not a directory' : 'appeared while the content was being written'}; it was left as it is`);
    throw error;
  });
  plan.totals.directories++;
}

/** The query that reads `ref` within the fetch of what was asked for (none for that itself). */
function withinOf(ref: string, plan: GetPlan): { within?: string } {
  return ref === plan.within ? {} : { within: plan.within };
}

/** Belt and braces: whatever the names, a path must lie inside the output path. */
function checkInside(path: string, top: string): void {
  const resolved = resolve(path);
  if (resolved !== top && !resolved.startsWith(top + sep)) throw new CommandFailedError(`refused to write outside ${top}: ${resolved}`);
}
