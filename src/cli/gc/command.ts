/** `peergrid gc`: a node removes the blocks that no pin keeps and nobody used within the grace period. */
import { formatBound, parseCommandLine, parseDuration } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { formatBytes } from '../content/progress.ts';

const OPTIONS = {
  ...API_CLIENT_OPTIONS,
  grace: { type: 'string' },
} as const;

/** The API's bound on the grace period: a week. */
const GRACE_MS_MAX = 7 * 24 * 3600 * 1000;

export async function runGc(args: readonly string[], io: CliIo): Promise<void> {
  const { values } = parseCommandLine(args, OPTIONS);
  const client = parseApiClientOptions(values, io.env);
  const graceMs = values.grace === undefined ? undefined : Math.round(parseDuration('--grace', values.grace, 's', { min: 0, max: GRACE_MS_MAX }));
  const api = await connectApi(client, io.env);
  const report = await callApi(client.baseUrl, () => api.gc({ graceMs }));
  io.out(client.json ? jsonLine(report)
    : `removed ${formatBound(report.blocksRemoved)} block${report.blocksRemoved === 1 ? '' : 's'} (${formatBytes(report.bytesRemoved)}); `
      + `${formatBound(report.blocksKept)} kept`
      + (report.packsCompacted > 0 ? `; ${formatBound(report.packsCompacted)} mostly empty pack${report.packsCompacted === 1 ? '' : 's'} compacted` : '')
      + `; ${formatBytes(report.diskBytesFreed)} of disk freed`
      + (report.stagingPinsRemoved > 0 ? `; ${formatBound(report.stagingPinsRemoved)} staging pin${report.stagingPinsRemoved === 1 ? '' : 's'} of unfinished puts dropped first` : '')
      + '\n');
}

export function gcUsage(): string {
  return `Usage: peergrid gc [options]

Asks a running node to collect garbage: every block that no pin keeps (directly, or through the
links of a recursive pin), that no put in progress holds, and that was not put or read within the
grace period, is removed. First, the staging pins (peergrid-put-…) of directory puts that never
finished and are more than a day old are dropped.

Options:
  --grace DURATION        keep blocks used this recently: seconds, or with a unit (500ms, 10m, 1h);
                          default 60s, 0 for none, at most a week
${API_CLIENT_USAGE}
`;
}

export const gcCommand: CliCommand = {
  path: ['gc'],
  usage: gcUsage,
  run: runGc,
};
