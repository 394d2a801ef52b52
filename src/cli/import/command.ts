/** `peergrid import <file.car>`: a node stores every block of a CAR file that matches its CID, and pins the roots. */
import { open } from 'node:fs/promises';
import type { ResponseOf } from '../../api/routes.ts';
import { formatBound, parseCommandLine, UsageError } from '../args.ts';
import { CommandFailedError, type CliCommand, type CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { counted, startProgress } from '../content/progress.ts';

export async function runImport(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, API_CLIENT_OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const [path] = expectPositionals(positionals, ['file.car']);
  const handle = await open(path, 'r').catch((error: Error) => {
    throw new UsageError(`cannot read ${path}: ${error.message}`);
  });
  let report: ResponseOf<'importCar'>;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new UsageError(`${path} is not a file`);
    const api = await connectApi(client, io.env);
    const progress = startProgress(io, client.json, `import ${path}`, stats.size);
    try {
      report = await callApi(client.baseUrl, () => api.importCar(counted(handle.createReadStream({ autoClose: false }), progress)));
    } finally {
      progress.done();
    }
  } finally {
    await handle.close();
  }
  io.out(client.json ? jsonLine(report) : formatImport(report));
  if (report.refused > 0) throw new CommandFailedError(`${report.refused} block${report.refused === 1 ? ' was' : 's were'} refused: they do not match their CIDs (or are too large)`);
}

function formatImport(report: ResponseOf<'importCar'>): string {
  let out = `imported ${formatBound(report.blocks)} block${report.blocks === 1 ? '' : 's'} (${formatBound(report.bytes)} bytes), pinned as 'import'\n`;
  for (const root of report.roots) out += `root  ${root}\n`;
  if (report.refused > 0) out += `refused ${report.refused}: ${report.refusedCids.join(' ')}${report.refusedCids.length < report.refused ? ' …' : ''}\n`;
  return out;
}

export function importUsage(): string {
  return `Usage: peergrid import <file.car> [options]

Streams a CAR v1 file to a running node, which checks every block against its CID (blocks that
do not match, or are too large, are refused and named), stores the rest and pins the roots under
the name 'import' (blocks the roots do not reach, such as encrypted ones, are pinned directly).
Then 'peergrid get <root>' reads plain content, 'peergrid get <capability>' encrypted content.

Options:
${API_CLIENT_USAGE}

Exit status: 0 when every block was stored, 1 when some were refused, the file is not a CAR, or the
node cannot be reached, 2 on bad usage.
`;
}

export const importCommand: CliCommand = {
  path: ['import'],
  usage: importUsage,
  run: runImport,
};
