/**
 * `peergrid cat <cid|capability>[/path]`: a stored file's bytes on standard output, as `ipfs cat`
 * gives them — for pipes (`peergrid cat <ref> | tar x`). The node streams the file while it fetches
 * what it lacks of it (GET /content, which joins or starts the file's fetch); a reader that goes
 * away (`| head`) ends the command quietly. `--offset` and `--length` ask for one byte range (an
 * HTTP Range): the blocks before it are not read, and after it the node stops.
 */
import { parseCommandLine, parseInteger, UsageError } from '../args.ts';
import { CommandFailedError, type CliCommand, type CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { parseRefPath, resolveRefPath } from '../content/ref-paths.ts';

const OPTIONS = {
  ...API_CLIENT_OPTIONS,
  offset: { type: 'string' },
  length: { type: 'string' },
} as const;

/** The largest file a DAG may describe is far below this; the bound only keeps the numbers exact. */
const BYTE_POSITION_MAX = Number.MAX_SAFE_INTEGER;

export async function runCat(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const range = byteRangeOf(values.offset, values.length);
  const path = parseRefPath(expectPositionals(positionals, ['cid|capability'])[0]);
  const write = io.outBytes;
  if (write === undefined) throw new CommandFailedError('this output takes text only, not the bytes of a file');
  const api = await connectApi(client, io.env);
  const ref = await resolveRefPath(api, client.baseUrl, path);
  // A listing reads the root alone (cheap, even for content not here) and tells a directory apart.
  const listing = await callApi(client.baseUrl, () => api.listContent({ ref }));
  if (listing.kind === 'directory') {
    throw new CommandFailedError(`${path.names.length > 0 ? path.names.join('/') : 'that'} is a directory: list it with peergrid ls, or write it out with peergrid get`);
  }
  // At the very end there is nothing to write; past it, a mistake worth saying.
  if (range !== null && listing.bytes !== null && range.offset >= listing.bytes) {
    if (range.offset > listing.bytes) throw new CommandFailedError(`--offset ${range.offset} is past the end of the file (${listing.bytes} bytes)`);
    return;
  }
  const answer = await callApi(client.baseUrl, () => api.getContent({ ref }, range === null ? {} : { range: range.header }));
  await callApi(client.baseUrl, async () => {
    for await (const piece of answer.body) {
      // Leaving the loop closes the answer: the node stops sending.
      if (!(await write(piece))) return;
    }
  });
}

/** The Range asked for by --offset and --length, or null for the whole file. */
function byteRangeOf(offsetText: string | undefined, lengthText: string | undefined): { readonly offset: number; readonly header: string } | null {
  if (offsetText === undefined && lengthText === undefined) return null;
  const offset = offsetText === undefined ? 0 : parseInteger('--offset', offsetText, 0, BYTE_POSITION_MAX);
  if (lengthText === undefined) return { offset, header: `bytes=${offset}-` };
  const length = parseInteger('--length', lengthText, 0, BYTE_POSITION_MAX - offset);
  if (length === 0) throw new UsageError('--length 0 asks for nothing: give at least 1, or leave it out for the rest of the file');
  return { offset, header: `bytes=${offset}-${offset + length - 1}` };
}

export function catUsage(): string {
  return `Usage: peergrid cat <cid|capability>[/path/in/it] [options]

Asks a running node for a stored file and writes its bytes to standard output, as they arrive:
whatever of the file the node does not have is fetched from the grid at the same time. A path
after the reference names a file inside a directory. Nothing else is printed on standard output.

Options:
  --offset N              start N bytes into the file (the blocks before it are not read)
  --length N              write at most N bytes (to the end of the file when it is shorter)
${API_CLIENT_USAGE}

Exit status: 0 when the whole file was written (or the reader stopped reading), 1 when the node
cannot be reached, does not have the content or it is a directory, 2 on bad usage.
`;
}

export const catCommand: CliCommand = {
  path: ['cat'],
  usage: catUsage,
  run: runCat,
};
