/** `peergrid export <cid> <file.car>`: a node's stored content as a CAR file, written to a new local file. */
import { formatBound, parseCommandLine, UsageError } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { checkNewPath, writeNewFile } from '../content/output-files.ts';
import { counted, startProgress } from '../content/progress.ts';
import { checkRef, isCapability, rootCidOf } from '../content/refs.ts';

export async function runExport(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, API_CLIENT_OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const [refText, path] = expectPositionals(positionals, ['cid', 'file.car']);
  const ref = checkRef(refText, '<cid>');
  if (path === '') throw new UsageError('<file.car> must not be empty');
  await checkNewPath(path, 'peergrid export');
  const api = await connectApi(client, io.env);
  const answer = await callApi(client.baseUrl, () => api.exportCar({ ref }));
  const progress = startProgress(io, client.json, `export ${path}`, answer.bytes);
  let bytes: number;
  try {
    bytes = await callApi(client.baseUrl, () => writeNewFile(path, counted(answer.body, progress)));
  } finally {
    progress.done();
  }
  const result = { cid: rootCidOf(ref), path, bytes };
  io.out(client.json ? jsonLine(result) : `wrote ${path}: a CAR of ${result.cid}, ${formatBound(bytes)} bytes\n`);
  if (!client.json && isCapability(ref)) io.err('peergrid: the CAR holds the encrypted blocks only; reading them needs the capability\n');
}

export function exportUsage(): string {
  return `Usage: peergrid export <cid> <file.car> [options]

Asks a running node for stored content as a CAR v1 file (a content-addressed archive: the root
and every block it links to) and writes it to <file.car>, which must not exist. Plain content is
UnixFS, so kubo or Helia can import the CAR and read it. For encrypted content, give its CID or
its capability: the CAR holds the encrypted blocks; the key stays in the capability.

Options:
${API_CLIENT_USAGE}

Output: what was written; with --json {"cid":…,"path":…,"bytes":…}. A progress line is drawn on a terminal.
Exit status: 0 when written, 1 when the node cannot be reached or does not have the content, 2 on bad usage.
`;
}

export const exportCommand: CliCommand = {
  path: ['export'],
  usage: exportUsage,
  run: runExport,
};
