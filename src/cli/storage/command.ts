/**
 * `peergrid storage`: what a running node keeps for the grid (GET /api/v1/storage) — the pieces it
 * holds and its quota, its cache of hot blocks, its maintenance, and per peer what it stored for
 * and served to each (docs/storage-network.md).
 */
import type { ResponseOf } from '../../api/routes.ts';
import { formatBound, parseCommandLine } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { callApi } from '../api-client/call.ts';
import { formatColumns, jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { formatBytes } from '../content/progress.ts';

/** Peers listed in the text form (the API gives up to 50, most recently active first). */
const PEER_ROWS_MAX = 20;

export async function runStorage(args: readonly string[], io: CliIo): Promise<void> {
  const plan = parseApiClientOptions(parseCommandLine(args, API_CLIENT_OPTIONS).values, io.env);
  const api = await connectApi(plan, io.env);
  const status = await callApi(plan.baseUrl, () => api.gridStatus());
  io.out(plan.json ? jsonLine(status) : formatStorage(status));
}

function plural(count: number, noun: string): string {
  return `${formatBound(count)} ${noun}${count === 1 ? '' : 's'}`;
}

export function formatStorage(status: ResponseOf<'gridStatus'>): string {
  const { cache, maintenance, leases } = status;
  const rows: [string, string][] = [
    ['redundancy', `${status.redundancy} (what put uses without --replicas or --erasure)`],
    ['kept here', `${plural(status.piecesHeld, 'piece')}, ${formatBytes(status.bytesHeld)}`],
    ['for others', `${formatBytes(status.bytesForOthers)} of ${formatBytes(status.bytesForOthersMax)}; at most ${formatBytes(status.bytesPerPeerMax)} per peer`],
    ['cache', `${plural(cache.blocks, 'hot block')}, ${formatBytes(cache.bytes)} of ${formatBytes(cache.bytesMax)}; `
      + `${formatBound(cache.admitted)} taken, ${formatBound(cache.evicted)} dropped, ${formatBound(cache.refused)} refused`],
    ['pushed', `${plural(cache.pushes.pushed, 'hot block')} to others' caches (${formatBound(cache.pushes.nobodyToTake)} found no taker, `
      + `${formatBound(cache.pushes.failed)} failed, ${formatBound(cache.pushes.dropped)} dropped)`],
    ['maintenance', `${plural(maintenance.checks, 'check')}, ${plural(maintenance.piecesCreated, 'piece')} re-created, `
      + `${plural(maintenance.repairFailures, 'failed repair')}, ${formatBytes(maintenance.bytesSent)} sent`],
    ['leases', leases.leaseMs === 0
      ? `pieces here never expire (storage.leaseMs 0); ${formatBound(maintenance.piecesExpired)} expired before`
      : `${formatDays(leases.leaseMs)} at most; ${plural(leases.piecesExpiringWithinWeek, 'piece')} run out within a week, `
        + `${formatBound(maintenance.piecesExpired)} expired and dropped, ${formatBound(maintenance.repairsPassedOverForLease)} repairs not made for a lease about to end`],
    ['renewals', leases.renewIntervalMs === 0
      ? 'this node does not renew what it pins (storage.leaseRenewIntervalMs 0)'
      : `every ${formatDays(leases.renewIntervalMs)}: ${plural(leases.renewals.contentRenewed, 'content')} renewed (${plural(leases.renewals.blocksRenewed, 'block')}), `
        + `${formatBound(leases.renewals.contentPlacedAgain)} placed again, ${formatBound(leases.renewals.failures)} failed`],
  ];
  let out = formatColumns(rows);
  if (status.peers.length === 0) return `${out}no peer has stored or fetched anything here yet\n`;
  const peers = status.peers.slice(0, PEER_ROWS_MAX).map((peer) => [
    peer.peer, formatBytes(peer.bytesStoredFor), formatBytes(peer.bytesServedTo), String(peer.refusals), String(peer.invalidBlocks),
  ]);
  out += `\npeers, most recently active first${status.peers.length > PEER_ROWS_MAX ? ` (${PEER_ROWS_MAX} of ${status.peers.length})` : ''}:\n`;
  return out + formatColumns([['PEER', 'STORED FOR', 'SERVED TO', 'REFUSED', 'INVALID'], ...peers]);
}

function formatDays(ms: number): string {
  const days = ms / 86_400_000;
  return days >= 1 ? `${Number.isInteger(days) ? days : days.toFixed(1)} day${days === 1 ? '' : 's'}` : `${Math.round(ms / 60_000)} min`;
}

export function storageUsage(): string {
  return `Usage: peergrid storage [options]

Shows what a running node keeps for the grid: the pieces (copies and fragments) it holds for
others and its quota, its cache of hot blocks other holders pushed to it (and those it pushed),
its maintenance (checks, pieces re-created), its leases (how long it keeps a piece nobody renews,
what expired, and its own renewals of the content pinned on it), and per peer the bytes it stored
for and served to that peer, the stores it refused and the bad blocks the peer sent.

Options:
${API_CLIENT_USAGE}

Exit status: 0 on success, 1 when the API cannot be reached or refuses, 2 on bad usage.
`;
}

export const storageCommand: CliCommand = {
  path: ['storage'],
  usage: storageUsage,
  run: runStorage,
};
