/** `peergrid status`: a running node's id, state, addresses and counters, from its API. */
import type { ResponseOf } from '../../api/routes.ts';
import { formatDuration } from '../../api/status-page.ts';
import { parseCommandLine } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { callApi } from '../api-client/call.ts';
import { formatFacts, jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';

export async function runStatus(args: readonly string[], io: CliIo): Promise<void> {
  const plan = parseApiClientOptions(parseCommandLine(args, API_CLIENT_OPTIONS).values, io.env);
  const api = await connectApi(plan, io.env);
  const status = await callApi(plan.baseUrl, () => api.status());
  io.out(plan.json ? jsonLine(status) : formatStatus(status));
}

export function formatStatus(status: ResponseOf<'status'>): string {
  return formatFacts([
    ['id', status.id],
    ['peer id', status.peerId],
    ['state', status.state],
    ['uptime', formatDuration(status.uptimeMs)],
    ['contacts', `${status.contacts} (open connections ${status.connections})`],
    ['values held', String(status.values)],
    ['penalties', String(status.penalties.total)],
    ['coordinate', status.coordinate === null
      ? 'off (proximity is off)'
      : `(${status.coordinate.x.toFixed(1)}, ${status.coordinate.y.toFixed(1)}) ms, height ${status.coordinate.height.toFixed(1)} ms, error ${status.coordinate.error.toFixed(2)}`],
    ['data dir', status.dataDir],
    ['multiaddrs', status.multiaddrs],
  ]);
}

export function statusUsage(): string {
  return `Usage: peergrid status [options]

Shows a running node's id, state, contacts and addresses, asked through its HTTP API.

Options:
${API_CLIENT_USAGE}

Exit status: 0 on success, 1 when the API cannot be reached or refuses, 2 on bad usage.
`;
}

export const statusCommand: CliCommand = {
  path: ['status'],
  usage: statusUsage,
  run: runStatus,
};
