/** `peergrid pin add <cid|capability>`: a node keeps stored content from gc, under a pin name. */
import { formatBound, parseCommandLine, UsageError } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { checkRef } from '../content/refs.ts';

const OPTIONS = {
  ...API_CLIENT_OPTIONS,
  name: { type: 'string' },
  direct: { type: 'boolean' },
} as const;

/** A pin name, as the blockstore bounds it. */
export const PIN_NAME_BYTES_MAX = 256;

export function checkPinName(name: string | undefined): string | undefined {
  if (name !== undefined && (name === '' || Buffer.byteLength(name) > PIN_NAME_BYTES_MAX)) {
    throw new UsageError(`--name must be a name of 1 to ${formatBound(PIN_NAME_BYTES_MAX)} bytes`);
  }
  return name;
}

export async function runPinAdd(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const ref = checkRef(expectPositionals(positionals, ['cid|capability'])[0]);
  const name = checkPinName(values.name);
  const api = await connectApi(client, io.env);
  const pin = await callApi(client.baseUrl, () => api.pinAdd({ ref }, { name, recursive: values.direct !== true }));
  io.out(client.json ? jsonLine(pin) : `pinned ${pin.cid} as '${pin.name}' (${pin.recursive ? 'recursive: with everything it links to' : 'direct: this block only'})\n`);
}

export function pinAddUsage(): string {
  return `Usage: peergrid pin add <cid|capability> [options]

Asks a running node to pin content it stores, so that gc keeps it: recursively (the root and
everything it links to) unless --direct. Pins have names; content may hold several, and each
is removed on its own. A capability pins its root (the key stays with you).

Options:
  --name NAME             the pin's name (default: default)
  --direct                pin the root block only, not what it links to
${API_CLIENT_USAGE}

Exit status: 0 when pinned, 1 when the node cannot be reached or does not store the content, 2 on bad usage.
`;
}

export const pinAddCommand: CliCommand = {
  path: ['pin', 'add'],
  usage: pinAddUsage,
  run: runPinAdd,
};
