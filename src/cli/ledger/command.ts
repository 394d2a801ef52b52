/** `peergrid ledger`: work a node gave to and received from each peer, from countersigned receipts. */
import { parseCommandLine } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { callApi } from '../api-client/call.ts';
import { formatColumns, jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';

export async function runLedger(args: readonly string[], io: CliIo): Promise<void> {
  const { values } = parseCommandLine(args, API_CLIENT_OPTIONS);
  const client = parseApiClientOptions(values, io.env);
  const api = await connectApi(client, io.env);
  const ledger = await callApi(client.baseUrl, () => api.ledger());
  if (client.json) {
    io.out(jsonLine(ledger));
    return;
  }
  if (ledger.peers.length === 0) {
    io.out('no work given or received yet\n');
    return;
  }
  const seconds = (ms: number): string => (ms / 1000).toFixed(1);
  io.out(formatColumns([
    ['PEER', 'GIVEN UNITS', 'GIVEN FUEL', 'GIVEN S', 'RECEIVED UNITS', 'RECEIVED FUEL', 'RECEIVED S'],
    ...ledger.peers.map((entry) => [
      entry.peer, String(entry.given.units), String(entry.given.fuel), seconds(entry.given.wallMs),
      String(entry.received.units), String(entry.received.fuel), seconds(entry.received.wallMs),
    ]),
  ]));
}

export function ledgerUsage(): string {
  return `Usage: peergrid ledger [options]

The node's ledger of work, per peer: what it computed for that peer's jobs (given: receipts the
jobs' coordinators countersigned for its accepted results) and what that peer computed for jobs
submitted from this node (received: the receipts in those jobs' results, counted when they are
fetched). Units, fuel and wall time (seconds), each receipt counted once.

Options:
${API_CLIENT_USAGE}
`;
}

export const ledgerCommand: CliCommand = {
  path: ['ledger'],
  usage: ledgerUsage,
  run: runLedger,
};
