/** `peergrid fsck`: a node checks its blockstore — every block against its CID, the index against the files. */
import type { ResponseOf } from '../../api/routes.ts';
import { formatBound, parseCommandLine } from '../args.ts';
import { CommandFailedError, type CliCommand, type CliIo } from '../command.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { formatBytes } from '../content/progress.ts';

const OPTIONS = {
  ...API_CLIENT_OPTIONS,
  repair: { type: 'boolean' },
} as const;

/** CIDs printed per kind of problem; the counts are exact and --json has up to a thousand. */
const LISTED_MAX = 10;

export async function runFsck(args: readonly string[], io: CliIo): Promise<void> {
  const { values } = parseCommandLine(args, OPTIONS);
  const client = parseApiClientOptions(values, io.env);
  const api = await connectApi(client, io.env);
  const report = await callApi(client.baseUrl, () => api.fsck({ repair: values.repair === true }));
  io.out(client.json ? jsonLine(report) : formatFsck(report));
  if (!report.ok && !report.repaired) throw new CommandFailedError('the blockstore is not consistent (peergrid fsck --repair fixes what it can)');
}

export function formatFsck(report: ResponseOf<'fsck'>): string {
  const checked = `${formatBound(report.blocksChecked)} blocks checked, ${formatBytes(report.bytesVerified)} verified`;
  let out = report.ok ? `ok: ${checked}\n` : `${report.repaired ? 'repaired' : 'problems found'}: ${checked}\n`;
  const lists: [string, number, readonly string[]][] = [
    ['missing (indexed, no file)', report.counts.missing, report.missing],
    ['corrupt (quarantined when repaired)', report.counts.corrupt, report.corrupt],
    ['unindexed (files without an index entry)', report.counts.unindexed, report.unindexed],
    ['stray files', report.counts.strays, report.strays],
  ];
  for (const [what, count, cids] of lists) {
    if (count === 0) continue;
    out += `${what}: ${formatBound(count)}\n`;
    for (const cid of cids.slice(0, LISTED_MAX)) out += `  ${cid}\n`;
    if (count > LISTED_MAX) out += `  … (${formatBound(count - LISTED_MAX)} more; --json lists up to 1,000)\n`;
  }
  for (const problem of report.indexProblems) out += `index: ${problem}\n`;
  if (report.pinnedMissing.count > 0) out += `pinned but not stored here (not an inconsistency): ${formatBound(report.pinnedMissing.count)} blocks\n`;
  if (report.repaired) out += 'Run peergrid fsck again to confirm.\n';
  return out;
}

export function fsckUsage(): string {
  return `Usage: peergrid fsck [options]

Asks a running node to check its blockstore: every indexed block's file against its CID (hashed),
every file against the index, and the index itself. Reports what is missing, corrupt, unindexed
or stray; with --repair, quarantines corrupt files, drops missing entries and indexes valid files.

Options:
  --repair                fix what is found
${API_CLIENT_USAGE}

Exit status: 0 when the store is consistent (or was repaired), 1 when it is not or the node cannot
be reached, 2 on bad usage.
`;
}

export const fsckCommand: CliCommand = {
  path: ['fsck'],
  usage: fsckUsage,
  run: runFsck,
};
