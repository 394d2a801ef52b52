/** `peergrid dht put <key> <value>`: a node stores the value on the k closest nodes to the key. */
import { Limits } from '../../core/limits.ts';
import type { ResponseOf } from '../../api/routes.ts';
import { utf8ByteLength } from '../../api/schema.ts';
import { formatBound, parseCommandLine, parseDuration, UsageError } from '../args.ts';
import { CommandFailedError, type CliCommand, type CliIo } from '../command.ts';
import { checkKey, expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { describeKeyKind, jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';

const OPTIONS = {
  ...API_CLIENT_OPTIONS,
  base64: { type: 'boolean' },
  ttl: { type: 'string' },
} as const;

export async function runDhtPut(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const plan = parseApiClientOptions(values, io.env);
  const [keyText, value] = expectPositionals(positionals, ['key', 'value']);
  const key = checkKey(keyText);
  const encoding = values.base64 === true ? 'base64' : 'utf8';
  if (encoding === 'utf8' && utf8ByteLength(value) > Limits.valueBytesMax) {
    throw new UsageError(`<value> may have at most ${formatBound(Limits.valueBytesMax)} bytes, got ${formatBound(utf8ByteLength(value))}`);
  }
  const ttlMs = values.ttl === undefined ? undefined
    : Math.round(parseDuration('--ttl', values.ttl, 'h', { min: 0, minExclusive: true, max: Limits.valueTtlMsMax }));
  const api = await connectApi(plan, io.env);
  const result = await callApi(plan.baseUrl, () => api.dhtPut({ key }, { value, encoding, ttlMs }));
  io.out(plan.json ? jsonLine(result) : formatPut(result));
  if (result.stored === 0) {
    throw new CommandFailedError(`no node stored the value (${result.refused} refused, ${result.failed} failed)`);
  }
}

export function formatPut(result: ResponseOf<'dhtPut'>): string {
  return `stored ${result.bytes} byte${result.bytes === 1 ? '' : 's'} under '${result.key}' (${describeKeyKind(result.keyKind)}) `
    + `on ${result.stored} node${result.stored === 1 ? '' : 's'} in ${result.durationMs} ms; ${result.refused} refused, ${result.failed} failed\n`
    + `id  ${result.id}\n`;
}

export function dhtPutUsage(): string {
  return `Usage: peergrid dht put <key> <value> [options]

Asks a running node to store <value> under <key> on the k nodes closest to the key. <key> is 64
hex digits (an id) or any other text, whose id is its SHA-256; <value> is text (UTF-8), or base64
with --base64, of at most ${formatBound(Limits.valueBytesMax)} bytes. The publishing node republishes it
until its TTL ends.

Options:
  --base64                <value> is base64 (for binary values)
  --ttl DURATION          how long the value lives: hours, or with a unit (30m, 2h); default 24h, at most 48h
${API_CLIENT_USAGE}

Exit status: 0 when at least one node stored it, 1 when none did or the API cannot be reached,
2 on bad usage.
`;
}

export const dhtPutCommand: CliCommand = {
  path: ['dht', 'put'],
  usage: dhtPutUsage,
  run: runDhtPut,
};
