/** `peergrid dht get <key>`: a node finds the value stored under the key and prints it. */
import type { ResponseOf } from '../../api/routes.ts';
import { parseCommandLine } from '../args.ts';
import { CommandFailedError, type CliCommand, type CliIo } from '../command.ts';
import { singleKey } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';

const OPTIONS = {
  ...API_CLIENT_OPTIONS,
  base64: { type: 'boolean' },
} as const;

export async function runDhtGet(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const plan = parseApiClientOptions(values, io.env);
  const key = singleKey(positionals);
  const api = await connectApi(plan, io.env);
  const result = await callApi(plan.baseUrl, () => api.dhtGet({ key }));
  if (plan.json) io.out(jsonLine(result));
  else if (result.found) io.out(formatValue(result, values.base64 === true, io));
  // Not found is exit status 1, as grep does, so scripts can tell it from an empty value.
  if (!result.found) throw new CommandFailedError(`no value found under '${result.key}' (id ${result.id})`);
}

/** The value alone and a newline: text as it is, or base64 when asked or when it is not UTF-8. */
function formatValue(result: ResponseOf<'dhtGet'>, base64: boolean, io: CliIo): string {
  if (base64 || result.value === null) {
    if (!base64) io.err('peergrid: the value is not UTF-8 text; printing it as base64\n');
    return `${result.valueBase64 ?? ''}\n`;
  }
  return `${result.value}\n`;
}

export function dhtGetUsage(): string {
  return `Usage: peergrid dht get <key> [options]

Asks a running node to find the value stored under <key> and prints it (text, followed by a
newline). <key> is 64 hex digits (an id) or any other text, whose id is its SHA-256.

Options:
  --base64                print the value as base64 (binary values are printed so anyway)
${API_CLIENT_USAGE}

Exit status: 0 when found, 1 when not found or the API cannot be reached, 2 on bad usage.
`;
}

export const dhtGetCommand: CliCommand = {
  path: ['dht', 'get'],
  usage: dhtGetUsage,
  run: runDhtGet,
};
