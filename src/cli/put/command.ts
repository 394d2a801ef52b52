/**
 * `peergrid put <file|dir>`: a node stores a file or a directory tree, encrypted unless
 * --no-encrypt, and pins it. A file is streamed to the node, which chunks it as it arrives; a
 * directory is read here (local-tree.ts), its files streamed a few at once (each upload waits on
 * the node's fsyncs, which side-by-side uploads share), then the node asked to make each directory
 * from its entries, bottom-up. Until its parent holds it, each part is pinned under
 * a name of this put's own (peergrid-put-<random>), which each parent releases, so a gc meanwhile
 * takes nothing. A put that fails releases what it staged; one killed outright leaves pins one can
 * see (`peergrid pin ls`), which the node's gc drops after a day.
 *
 * Then, unless --local, the node places the content on the grid (POST /placements): each block's
 * R copies or K+M fragments on the nodes closest to its key (docs/storage-network.md).
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { ApiClient } from '../../api/client.ts';
import type { ResponseOf } from '../../api/routes.ts';
import { formatBound, parseCommandLine, UsageError } from '../args.ts';
import { CommandFailedError, type CliCommand, type CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { formatPlacement, placeOnGrid, type Placed } from '../content/grid-placement.ts';
import { counted, startProgress, type Progress } from '../content/progress.ts';
import { STAGING_PIN_PREFIX } from '../../runtime/content/staging-pins.ts';
import { forEachLimited } from '../../runtime/storage/parallel.ts';
import { addLocally, apiIsOnThisMachine } from './local-add.ts';
import { scanLocalTree, type LocalNode } from './local-tree.ts';
import { checkPlacementOptions } from './placement-options.ts';
import { formatPublished } from '../publish/command.ts';
import { META_OPTIONS, META_USAGE, parseMetaOptions } from '../publish/meta-options.ts';

const OPTIONS = {
  ...API_CLIENT_OPTIONS,
  'no-encrypt': { type: 'boolean' },
  pin: { type: 'string' },
  replicas: { type: 'string' },
  erasure: { type: 'string' },
  local: { type: 'boolean' },
  stream: { type: 'boolean' },
  ...META_OPTIONS,
} as const;

/**
 * Files of a directory uploaded at once. One at a time, a small file's upload mostly waits for the
 * node's durable write; four side by side took a tree of 1,000 files of 10 KB in about 0.7 of the
 * time (docs/storage-blockstore.md). Far below the API's connection limit (ApiLimits.connectionsMax).
 */
const FILE_UPLOADS_AT_ONCE = 4;

/** A pin name, as the blockstore bounds it. */
const PIN_NAME_BYTES_MAX = 256;

type Added = ResponseOf<'addFile'>;

export interface PutPlan {
  readonly api: ApiClient;
  readonly baseUrl: string;
  readonly encrypt: boolean;
  readonly pinName: string;
  readonly stagingPin: string;
  /** Refs pinned under stagingPin and not yet released by a parent. */
  readonly staged: Set<string>;
  readonly progress: Progress;
  readonly totals: { bytes: number; chunks: number };
}

export async function runPut(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const [path] = expectPositionals(positionals, ['file|dir']);
  const placement = checkPlacementOptions(values);
  const meta = parseMetaOptions(values);
  if (meta !== null && values['no-encrypt'] !== true) {
    throw new UsageError('--meta and --index-text publish the content for anyone to find: put it with --no-encrypt (an encrypted file\'s key would be public)');
  }
  const pinName = values.pin ?? 'default';
  if (pinName === '' || Buffer.byteLength(pinName) > PIN_NAME_BYTES_MAX) throw new UsageError(`--pin must be a name of 1 to ${formatBound(PIN_NAME_BYTES_MAX)} bytes`);
  // `-` is standard input, streamed to the node as one file (`tar c dir | peergrid put -`).
  const stdin = path === '-' ? io.inBytes : undefined;
  if (path === '-' && stdin === undefined) throw new CommandFailedError('there is no standard input to read here');
  const tree = stdin !== undefined ? null : await scanLocalTree(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'EACCES' || error.code === 'ENOTDIR') throw new UsageError(`cannot read ${path}: ${error.message}`);
    throw error;
  });
  const api = await connectApi(client, io.env);
  for (const skipped of tree?.skipped ?? []) io.err(`peergrid: skipped ${skipped.path} (${skipped.reason})\n`);
  const plan: PutPlan = {
    api, baseUrl: client.baseUrl, encrypt: values['no-encrypt'] !== true, pinName,
    stagingPin: `${STAGING_PIN_PREFIX}${randomBytes(4).toString('hex')}`,
    staged: new Set(),
    progress: startProgress(io, client.json, `put ${tree === null ? '(standard input)' : path}`, tree?.bytes ?? null),
    totals: { bytes: 0, chunks: 0 },
  };
  let added: Added;
  let readBy: 'node' | 'client' = 'client';
  try {
    // A node on this machine reads the path itself (local-add.ts), unless told otherwise or it refuses.
    const here = tree !== null && values.stream !== true && apiIsOnThisMachine(client.baseUrl) ? await addLocally(path, plan) : null;
    if (here !== null) {
      plan.totals.bytes += here.bytes;
      plan.totals.chunks += here.chunks;
      added = here;
      readBy = 'node';
    } else {
      added = tree === null ? await uploadBody(stdin as AsyncIterable<Uint8Array>, plan, plan.pinName) : await uploadTree(tree.root, plan);
    }
  } finally {
    plan.progress.done();
  }
  const placed = placement.kind === 'local' ? null
    : await placeOnGrid(api, client.baseUrl, added.capability ?? added.cid, placement.redundancy, startProgress(io, client.json, `place ${path}`, null));
  const published = meta === null ? null : await callApi(client.baseUrl, () => api.searchPublish({ cid: added.cid, metadata: meta.metadata, indexText: meta.indexText }));
  const result = { cid: added.cid, capability: added.capability, bytes: added.bytes, chunks: plan.totals.chunks, readBy, placement: placed, published };
  io.out(client.json ? jsonLine(result) : formatPut(result, tree?.root.kind ?? 'file', tree?.files ?? 1) + (published === null ? '' : formatPublished(published)));
}

/**
 * Adds the tree: its files first, a few at once, then each directory from its entries, bottom-up.
 * The top is pinned under the user's name, the rest under the put's own.
 */
export async function uploadTree(root: LocalNode, plan: PutPlan): Promise<Added> {
  if (root.kind === 'file') return uploadFile(root, plan, plan.pinName);
  const files = new Map<LocalNode, Added>();
  try {
    await forEachLimited(filesOf(root), FILE_UPLOADS_AT_ONCE, async (file) => {
      const added = await uploadFile(file, plan, plan.stagingPin);
      files.set(file, added);
      plan.staged.add(added.capability ?? added.cid);
    });
    return await makeDirectory(root, files, plan, true);
  } catch (error) {
    await releaseStaged(plan);
    throw error;
  }
}

/**
 * After a failed put, the staging pins of what it had stored, so a gc may take it; best effort
 * (the node may be what failed), and what is left the node's gc drops after a day
 * (runtime/content/staging-pins.ts).
 */
async function releaseStaged(plan: PutPlan): Promise<void> {
  await forEachLimited([...plan.staged], FILE_UPLOADS_AT_ONCE, async (ref) => {
    await plan.api.pinRemove({ ref }, { name: plan.stagingPin }).catch(() => undefined);
  });
  plan.staged.clear();
}

async function uploadFile(file: LocalNode & { kind: 'file' }, plan: PutPlan, pin: string): Promise<Added> {
  // Opened before the request, so an unreadable file is named as such, not as a failed upload.
  const handle = await open(file.path, 'r').catch((error: Error) => {
    throw new CommandFailedError(`cannot read ${file.path}: ${error.message}`);
  });
  try {
    return await uploadBody(handle.createReadStream({ autoClose: false }), plan, pin);
  } finally {
    await handle.close();
  }
}

/** Streams one file's bytes to the node, which chunks them as they come, and counts what it stored. */
async function uploadBody(source: AsyncIterable<Uint8Array>, plan: PutPlan, pin: string): Promise<Added> {
  const body = counted(source, plan.progress);
  const added = await callApi(plan.baseUrl, () => plan.api.addFile(body, { encrypt: plan.encrypt, name: pin }));
  plan.totals.bytes += added.bytes;
  plan.totals.chunks += added.chunks;
  return added;
}

/** A directory made from its entries: its files' uploads (done), its subdirectories' made first. */
async function makeDirectory(directory: LocalNode & { kind: 'directory' }, files: ReadonlyMap<LocalNode, Added>, plan: PutPlan, top: boolean): Promise<Added> {
  const entries: { name: string; ref: string }[] = [];
  for (const child of directory.children) {
    const added = child.kind === 'file' ? files.get(child) as Added : await makeDirectory(child, files, plan, false);
    entries.push({ name: child.name, ref: added.capability ?? added.cid });
  }
  const pin = top ? plan.pinName : plan.stagingPin;
  const made = await callApi(plan.baseUrl, () => plan.api.makeDirectory({ entries, encrypt: plan.encrypt, name: pin, releaseEntryPins: plan.stagingPin }));
  // The directory holds its entries now and released their staging pins; it has its own unless top.
  for (const entry of entries) plan.staged.delete(entry.ref);
  if (!top) plan.staged.add(made.capability ?? made.cid);
  return made;
}

/** The files of a tree, depth first, in the order of its entries. */
function filesOf(node: LocalNode, out: (LocalNode & { kind: 'file' })[] = []): (LocalNode & { kind: 'file' })[] {
  if (node.kind === 'file') out.push(node);
  else for (const child of node.children) filesOf(child, out);
  return out;
}

function formatPut(
  result: { cid: string; capability: string | null; bytes: number; chunks: number; readBy: 'node' | 'client'; placement: Placed | null }, kind: 'file' | 'directory', files: number,
): string {
  const what = kind === 'file' ? 'a file' : `a directory of ${files} file${files === 1 ? '' : 's'}`;
  let out = `cid         ${result.cid}\n`;
  if (result.capability !== null) out += `capability  ${result.capability}\n`;
  out += `stored ${what}, ${formatBound(result.bytes)} byte${result.bytes === 1 ? '' : 's'} in ${formatBound(result.chunks)} chunk${result.chunks === 1 ? '' : 's'}, `
    + `${result.capability === null ? 'plain' : 'encrypted'}${result.readBy === 'node' ? ', read from disk by the node' : ''}\n`;
  out += result.placement === null ? 'kept on this node only (--local)\n' : formatPlacement(result.placement);
  if (result.capability !== null) out += 'Keep the capability: it is what reads the content (get, ls), and whoever has it can read it.\n';
  return out;
}

export function putUsage(): string {
  return `Usage: peergrid put <file|dir|-> [options]

Asks a running node to store a file, or a directory tree, and pin it. The content is cut into
chunks by their content (FastCDC), encrypted with keys derived from the node's convergence secret
and the content (unless --no-encrypt), and stored in the node's blockstore. Prints the root CID
and, for encrypted content, the capability (pgcap1:…) that reads it: keep it, whoever has it can
read the content. Plain content is UnixFS, readable by IPFS tools.

With -, standard input is read and stored as one file (\`tar c photos | peergrid put -\`).

Inside a directory, symbolic links and special files are skipped (and reported), never followed;
every name must pass the storage layer's check (no '/', '\\', NUL, '.' or '..'; at most 255 bytes).

Then the node places the content on the grid: each block on the nodes closest to its key, as R
whole copies (--replicas R) or K data and M parity Reed-Solomon fragments (--erasure K+M); without
either, the node's configured scheme (storage.redundancy in its config.json, replicate:3 unless
changed). A node that refuses (its quota is full) or fails is passed over for the next closest.
Holders check each other and repair what goes missing (docs/storage-network.md).

With --meta (and --index-text), the node then publishes the content into the grid's search index
under that Dublin Core metadata, as \`peergrid publish\` does; such content must be put with
--no-encrypt (docs/SEARCH.md).

Options:
  --no-encrypt            store plain UnixFS instead of encrypted content
  --pin NAME              the pin's name (default: default)
  --replicas R            keep R whole copies on the R nodes closest to each block (1 to 16)
  --erasure K+M           keep K data and M parity fragments on K+M distinct nodes (e.g. 4+2)
  --local                 keep the content on this node only
  --stream                send the bytes over the API even to a node on this machine (which
                          otherwise reads the path from disk itself when it sees the same file)
${META_USAGE}
${API_CLIENT_USAGE}

A node whose API is on this machine (a loopback address) is asked to read the path from disk
itself, which spares sending every byte through the API; it does so only when it sees there the
same file or directory as this command (not through a tunnel to another machine, nor from another
container), and never reads its own data directory. Otherwise the bytes are streamed to it.

Output: the CID, the capability (encrypted content) and what was stored; with --json
{"cid":…,"capability":…|null,"bytes":…,"chunks":…,"readBy":"node"|"client","placement":{redundancy, blocks, piecesWanted,
piecesStored, piecesHere, blocksShort, nodes, refusals, failures, bytesSent}|null,"published":{…}|null}. A progress line
is drawn on a terminal.
Exit status: 0 when stored, 1 when the node cannot be reached or refuses the content, 2 on bad
usage.
`;
}

export const putCommand: CliCommand = {
  path: ['put'],
  usage: putUsage,
  run: runPut,
};
