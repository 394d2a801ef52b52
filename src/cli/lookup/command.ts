/** `peergrid lookup <key>`: an iterative lookup run by a node; prints the closest nodes it found. */
import type { ResponseOf } from '../../api/routes.ts';
import { parseCommandLine } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { callApi } from '../api-client/call.ts';
import { describeKeyKind, formatColumns, jsonLine, shortId } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { singleKey } from '../api-client/arguments.ts';

export async function runLookup(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, API_CLIENT_OPTIONS, { allowPositionals: true });
  const plan = parseApiClientOptions(values, io.env);
  const key = singleKey(positionals);
  const api = await connectApi(plan, io.env);
  const result = await callApi(plan.baseUrl, () => api.lookup({ key }));
  io.out(plan.json ? jsonLine(result) : formatLookup(result));
}

export function formatLookup(result: ResponseOf<'lookup'>): string {
  const exact = result.closest[0]?.id === result.id;
  const summary = `${result.closest.length} closest in ${result.durationMs} ms: ${result.hops} hop${result.hops === 1 ? '' : 's'}, `
    + `${counted(result.queries, 'query', 'queries')}, ${counted(result.answers, 'answer', 'answers')}, ${counted(result.failures, 'failure', 'failures')}`;
  let out = `key      ${result.key} (${describeKeyKind(result.keyKind)})\nid       ${result.id}\n${summary}\n`;
  if (result.closest.length === 0) return `${out}no node found (does the node have contacts? try 'peergrid peers')\n`;
  const rows = result.closest.map((peer, index) => [
    String(index + 1), shortId(peer.id), peer.multiaddrs[0] ?? peer.peerId ?? '-', index === 0 && exact ? '= the key' : '',
  ]);
  out += formatColumns([['#', 'ID', 'MULTIADDR', ''], ...rows]);
  return out;
}

export function lookupUsage(): string {
  return `Usage: peergrid lookup <key> [options]

Asks a running node to look up <key>: an iterative Kademlia lookup for the closest live nodes,
closest first. <key> is 64 hex digits (a node id: that node should come first) or any other text,
whose id is its SHA-256.

Options:
${API_CLIENT_USAGE}

Exit status: 0 on success, 1 when the API cannot be reached or refuses, 2 on bad usage.
`;
}

export const lookupCommand: CliCommand = {
  path: ['lookup'],
  usage: lookupUsage,
  run: runLookup,
};

function counted(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
