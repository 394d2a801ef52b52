/** `peergrid peers`: a running node's routing-table contacts, closest to its id first. */
import type { ResponseOf } from '../../api/routes.ts';
import { formatDuration } from '../../api/status-page.ts';
import { parseCommandLine } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { callApi } from '../api-client/call.ts';
import { formatColumns, jsonLine, shortId } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';

export async function runPeers(args: readonly string[], io: CliIo): Promise<void> {
  const plan = parseApiClientOptions(parseCommandLine(args, API_CLIENT_OPTIONS).values, io.env);
  const api = await connectApi(plan, io.env);
  const peers = await callApi(plan.baseUrl, () => api.peers());
  io.out(plan.json ? jsonLine(peers) : formatPeers(peers));
}

export function formatPeers(peers: ResponseOf<'peers'>): string {
  const heading = `${peers.count} contact${peers.count === 1 ? '' : 's'}, closest to this node first\n`;
  if (peers.count === 0) return heading;
  const rows = peers.contacts.map((contact) => [
    shortId(contact.id),
    contact.verified ? 'yes' : 'no',
    contact.lastSeenAgoMs === null ? 'never' : `${formatDuration(contact.lastSeenAgoMs)} ago`,
    contact.rttMs === null ? '-' : `${contact.rttMs} ms`,
    String(contact.failures),
    contact.multiaddrs[0] ?? contact.peerId ?? '-',
  ]);
  return heading + formatColumns([['ID', 'VERIFIED', 'LAST SEEN', 'RTT', 'FAILURES', 'MULTIADDR'], ...rows]);
}

export function peersUsage(): string {
  return `Usage: peergrid peers [options]

Lists a running node's routing-table contacts, closest to its id first: id, whether heard from
directly, when last heard from, round-trip time, unanswered requests in a row, and an address.

Options:
${API_CLIENT_USAGE}

Exit status: 0 on success, 1 when the API cannot be reached or refuses, 2 on bad usage.
`;
}

export const peersCommand: CliCommand = {
  path: ['peers'],
  usage: peersUsage,
  run: runPeers,
};
