/** `peergrid pin ls`: the pins on a node. */
import { parseCommandLine } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { callApi } from '../api-client/call.ts';
import { formatColumns, jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';

export async function runPinLs(args: readonly string[], io: CliIo): Promise<void> {
  const { values } = parseCommandLine(args, API_CLIENT_OPTIONS);
  const client = parseApiClientOptions(values, io.env);
  const api = await connectApi(client, io.env);
  const list = await callApi(client.baseUrl, () => api.pinList());
  if (client.json) {
    io.out(jsonLine(list));
    return;
  }
  if (list.count === 0) {
    io.out('no pins\n');
    return;
  }
  io.out(formatColumns([
    ['CID', 'KIND', 'PINNED', 'NAME'],
    ...list.pins.map((pin) => [pin.cid, pin.recursive ? 'recursive' : 'direct', new Date(pin.pinnedAtMs).toISOString(), pin.name]),
  ]));
}

export function pinLsUsage(): string {
  return `Usage: peergrid pin ls [options]

Lists the pins on a running node: the pinned CID, recursive or direct, when, and the pin's name.
A put of a directory that was killed part way leaves pins named peergrid-put-…: remove them with
'peergrid pin rm <cid> --name <name>', or let the node's gc drop them once they are a day old.

Options:
${API_CLIENT_USAGE}
`;
}

export const pinLsCommand: CliCommand = {
  path: ['pin', 'ls'],
  usage: pinLsUsage,
  run: runPinLs,
};
