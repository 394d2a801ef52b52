/** `peergrid pin rm <cid|capability>`: removes a pin (by name, or all the content's pins). */
import { parseCommandLine } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { checkRef } from '../content/refs.ts';
import { checkPinName } from '../pin-add/command.ts';

const OPTIONS = {
  ...API_CLIENT_OPTIONS,
  name: { type: 'string' },
} as const;

export async function runPinRm(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const ref = checkRef(expectPositionals(positionals, ['cid|capability'])[0]);
  const name = checkPinName(values.name);
  const api = await connectApi(client, io.env);
  const removed = await callApi(client.baseUrl, () => api.pinRemove({ ref }, { name }));
  io.out(client.json ? jsonLine(removed)
    : `removed ${removed.removed} pin${removed.removed === 1 ? '' : 's'} from ${removed.cid}; gc may now remove what nothing else keeps, and the grid its pieces once their leases run out, if no node pins it any more\n`
      + (removed.withdrawn ? 'withdrew it from the search index (it was published from this node)\n' : ''));
}

export function pinRmUsage(): string {
  return `Usage: peergrid pin rm <cid|capability> [options]

Asks a running node to remove the content's pin named NAME, or all its pins without --name. The
blocks stay until a gc finds that nothing else keeps them. Content the node published into the
search index (put --meta, publish) is withdrawn from it once its last pin is gone.

Options:
  --name NAME             remove only the pin of this name
${API_CLIENT_USAGE}

Exit status: 0 when removed, 1 when there was no such pin or the node cannot be reached, 2 on bad usage.
`;
}

export const pinRmCommand: CliCommand = {
  path: ['pin', 'rm'],
  usage: pinRmUsage,
  run: runPinRm,
};
