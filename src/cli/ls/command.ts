/**
 * `peergrid ls <cid|capability>[/path]`: a directory's entries as a node lists them; a file lists
 * as itself. The node fetches only what a listing reads (the directory's block and its entries'
 * roots), never the tree below.
 */
import type { ResponseOf } from '../../api/routes.ts';
import { formatBound, parseCommandLine } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { formatColumns, jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { parseRefPath, resolveRefPath } from '../content/ref-paths.ts';

export async function runLs(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, API_CLIENT_OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const path = parseRefPath(expectPositionals(positionals, ['cid|capability'])[0]);
  const api = await connectApi(client, io.env);
  const ref = await resolveRefPath(api, client.baseUrl, path);
  const listing = await callApi(client.baseUrl, () => api.listContent({ ref }));
  io.out(client.json ? jsonLine(listing) : formatListing(listing));
}

function formatBytes(bytes: number | null): string {
  return bytes === null ? '-' : formatBound(bytes);
}

/** One line per entry: kind, bytes, reference, name (last, since it may hold spaces). */
export function formatListing(listing: ResponseOf<'listContent'>): string {
  if (listing.kind === 'file') return formatColumns([['file', formatBytes(listing.bytes), listing.ref]]);
  const head = `directory ${listing.cid}: ${listing.entries.length} entr${listing.entries.length === 1 ? 'y' : 'ies'}`
    + `${listing.bytes === null ? '' : `, ${formatBound(listing.bytes)} bytes`}\n`;
  return head + formatColumns(listing.entries.map((entry) => [entry.kind, formatBytes(entry.bytes), entry.ref, entry.name]));
}

export function lsUsage(): string {
  return `Usage: peergrid ls <cid|capability>[/path/in/it] [options]

Asks a running node to list stored content: each entry of a directory with its kind, size (plain
directories do not record theirs: '-'), the reference that reads it (a CID, or for encrypted
content a capability derived from the parent's) and its name. A file lists as itself. Content the
node does not have is fetched only as far as the listing needs: the directory's block and its
entries' first blocks, not the files.

Options:
${API_CLIENT_USAGE}

Exit status: 0 when listed, 1 when the node cannot be reached or does not have the content, 2 on bad usage.
`;
}

export const lsCommand: CliCommand = {
  path: ['ls'],
  usage: lsUsage,
  run: runLs,
};
