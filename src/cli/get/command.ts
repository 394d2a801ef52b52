/**
 * `peergrid get <cid|capability> [-o PATH] [--continue]`: a node's stored content written to the
 * local disk. A file goes to PATH (default ./<root CID>); a directory is made at PATH and filled
 * from one stream of the whole tree (tree-writer.ts). Every entry name is checked again here with
 * the storage layer's check, and every path against PATH, so nothing the node sends can land
 * outside PATH; nothing that exists is ever replaced (output-files.ts). With --continue, what an
 * earlier get left at PATH is checked and kept where it matches (existing-files.ts).
 *
 * The node brings whatever is missing of the content from the grid (POST /fetches: a swarm
 * download from the blocks' holders, its progress streamed as NDJSON) while this command reads the
 * content from it: the node's content routes join that fetch and hand out each block as soon as it
 * is stored, so files are written as they arrive rather than after the whole download. A
 * directory's listings and files are read `within` the top one, so they wait on its one fetch
 * instead of each starting a fetch of its own. One progress line shows the bytes written and the
 * fetch's number of sources.
 */
import { resolve } from 'node:path';
import type { ApiClient } from '../../api/client.ts';
import { readProgressStream } from '../../api/progress-stream.ts';
import { formatBound, parseCommandLine, UsageError } from '../args.ts';
import { CommandFailedError, type CliCommand, type CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { checkNewPath, pathExists } from '../content/output-files.ts';
import { startProgress, type Progress } from '../content/progress.ts';
import { parseRefPath, resolveRefPath } from '../content/ref-paths.ts';
import { writeFile, writeTree, type GetPlan } from './tree-writer.ts';

const OPTIONS = {
  ...API_CLIENT_OPTIONS,
  output: { type: 'string', short: 'o' },
  continue: { type: 'boolean' },
} as const;

export async function runGet(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const path = parseRefPath(expectPositionals(positionals, ['cid|capability'])[0]);
  if (values.output === '') throw new UsageError('-o/--output must not be empty');
  const resume = values.continue === true;
  if (values.output !== undefined && !(resume && await pathExists(values.output))) await checkNewPath(values.output, 'peergrid get');
  const api = await connectApi(client, io.env);
  const ref = await resolveRefPath(api, client.baseUrl, path);
  const progress = startProgress(io, client.json, `get ${ref.slice(0, 16)}…`, null);
  const fetchShown = new FetchShown(progress);
  const fetching = callApi(client.baseUrl, () => fetchFromGrid(api, ref, (figures) => fetchShown.update(figures)));
  // Its failure is reported below, whichever part notices first.
  fetching.catch(() => undefined);
  let plan: GetPlan | null = null;
  try {
    const listing = await callApi(client.baseUrl, () => api.listContent({ ref }));
    // Without -o: ./<root CID>, or for a path inside a directory, ./<its last name>.
    const target = values.output ?? path.names.at(-1) ?? listing.cid;
    if (values.output === undefined && !resume && await pathExists(target)) {
      throw new UsageError(`./${target} exists already; peergrid get never replaces anything: choose another path with -o, or --continue an earlier get`);
    }
    plan = { api, baseUrl: client.baseUrl, within: ref, top: resolve(target), progress, resume, totals: { files: 0, directories: 0, bytes: 0, filesKept: 0 } };
    // One line: the bytes written, which follow the blocks as they arrive, and the sources.
    if (listing.bytes !== null) progress.total(listing.bytes);
    if (listing.kind === 'file') await writeFile(ref, target, plan);
    else await writeTree(ref, listing.entries, target, plan);
    const result = { path: target, kind: listing.kind, ...plan.totals, fetched: await fetching };
    progress.done();
    io.out(client.json ? jsonLine(result) : formatGet(result));
  } catch (error) {
    progress.done();
    // A read cut short because the fetch failed is reported as the fetch's failure, which says why.
    const fetchFailure = await fetching.then(() => null, (failure: unknown) => failure);
    throw leftBehind(fetchFailure ?? error, plan);
  }
}

/** A failure after a directory was made says so: what was written stays, and a second get can take it up. */
export function leftBehind(failure: unknown, plan: { readonly top: string; readonly totals: { readonly files: number; readonly directories: number } } | null): unknown {
  if (plan === null || plan.totals.directories === 0 || !(failure instanceof Error) || failure instanceof UsageError) return failure;
  const files = `${plan.totals.files} file${plan.totals.files === 1 ? '' : 's'}`;
  return new CommandFailedError(`${failure.message}\n${plan.top} holds what was written before that (${files}); run the same get with --continue to finish it (the node keeps the blocks it fetched)`);
}

/** What the progress line shows of the fetch: its sources (the bytes shown are those written). */
class FetchShown {
  private readonly progress: Progress;

  constructor(progress: Progress) {
    this.progress = progress;
  }

  update(figures: Record<string, number>): void {
    const sources = figures.sources ?? 0;
    this.progress.detail(`${sources} source${sources === 1 ? '' : 's'}`);
  }
}

interface Fetched {
  readonly blocksFetched: number;
  readonly blocksLocal: number;
  readonly bytesFetched: number;
  readonly sources: number;
}

/** Runs the node's fetch from the grid, passing on its progress; fails as the fetch does. */
async function fetchFromGrid(api: ApiClient, ref: string, onFigures: (figures: Record<string, number>) => void): Promise<Fetched> {
  const answer = await api.fetchContent({ ref });
  let done: Record<string, unknown>;
  try {
    done = await readProgressStream(answer.body, onFigures);
  } catch (error) {
    throw new CommandFailedError(`the node could not fetch ${ref}: ${(error as Error).message}`);
  }
  const figures = done as Record<string, number>;
  return { blocksFetched: figures.blocksDone - figures.blocksLocal, blocksLocal: figures.blocksLocal, bytesFetched: figures.bytesFetched, sources: figures.sources };
}

function formatGet(result: { path: string; kind: 'file' | 'directory'; files: number; directories: number; bytes: number; filesKept: number; fetched: Fetched }): string {
  const bytes = `${formatBound(result.bytes)} byte${result.bytes === 1 ? '' : 's'}`;
  const kept = result.filesKept === 0 ? '' : result.kind === 'file' ? ', already there' : ` (${formatBound(result.filesKept)} already there)`;
  const { fetched } = result;
  const from = fetched.blocksFetched === 0 ? ''
    : `; ${formatBound(fetched.blocksFetched)} block${fetched.blocksFetched === 1 ? '' : 's'} fetched from ${fetched.sources} node${fetched.sources === 1 ? '' : 's'} of the grid`;
  if (result.kind === 'file') return `wrote ${result.path} (${bytes}${kept}${from})\n`;
  return `wrote ${result.path}/: ${result.files} file${result.files === 1 ? '' : 's'}${kept}, ${result.directories} director${result.directories === 1 ? 'y' : 'ies'}, ${bytes}${from}\n`;
}

export function getUsage(): string {
  return `Usage: peergrid get <cid|capability>[/path/in/it] [-o PATH] [options]

Asks a running node for stored content and writes it here: a file to PATH, a directory (and
everything under it) as a new directory at PATH. PATH defaults to ./<root CID>, or for a path
inside a directory (<cid>/docs/readme.md) to ./<its last name>; only that entry is fetched. Nothing is ever
replaced: PATH must not exist, and a file is written under a temporary name and moved into place
only when complete. Every entry name is checked, so nothing lands outside PATH.

Whatever of the content that node does not have is fetched from the grid while it is written: each
block from the nodes that hold it, many at once (the fastest preferred), every block checked against
its CID, erasure-coded blocks rebuilt from any K fragments; files are written as their blocks
arrive. An interrupted get resumes from what the node already has; --continue also takes up what
it left at PATH: each file already there is compared byte for byte with the content and kept if it
is the same, the missing ones are written, and one that differs is an error (it is never replaced).

Options:
  -o, --output PATH       where to write (default: ./<root CID>)
  --continue              PATH may hold what an earlier get of the same content wrote: keep what
                          matches, write the rest
${API_CLIENT_USAGE}

Output: what was written; with --json {"path":…,"kind":"file"|"directory","files":…,"directories":…,"bytes":…,
"filesKept":…,"fetched":{"blocksFetched":…,"blocksLocal":…,"bytesFetched":…,"sources":…}}
(filesKept: files already at PATH with the same bytes, --continue).
A progress line is drawn on a terminal.
Exit status: 0 when written, 1 when the node cannot be reached or the content cannot be found, 2 on
bad usage (a bad CID or capability, an existing PATH without --continue).
`;
}

export const getCommand: CliCommand = {
  path: ['get'],
  usage: getUsage,
  run: runGet,
};
