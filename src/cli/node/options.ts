/**
 * The options of `peergrid node start`, validated before anything starts: a bad multiaddr is a
 * UsageError (exit status 2) with the option's name, not a libp2p stack trace later.
 */
import { isAbsolute, resolve } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import { DEFAULT_API_HOST, DEFAULT_API_PORT, parseApiListenAddress, type ApiListenAddress } from '../../api/api-address.ts';
import { defaultDataDir } from '../../runtime/data-dir.ts';
import { isMultiaddr } from '../../runtime/node-config.ts';
import { peerRefFromMultiaddr } from '../../transport/libp2p/peer-address.ts';
import { parseCommandLine, UsageError } from '../args.ts';
import { checkDirectoryPath } from '../local-paths.ts';
import { isLogLevel, LOG_LEVELS, type LogLevel } from './logger.ts';

export const NODE_START_OPTIONS = {
  'data-dir': { type: 'string' },
  listen: { type: 'string', multiple: true },
  bootstrap: { type: 'string', multiple: true },
  api: { type: 'string' },
  'log-level': { type: 'string' },
} as const;

export interface NodeStartPlan {
  readonly dataDir: string;
  /** Undefined: the configuration file's. */
  readonly listen: readonly string[] | undefined;
  readonly bootstrap: readonly string[] | undefined;
  /** Where the HTTP API listens. */
  readonly api: ApiListenAddress;
  /** The least severe log records written to stderr. */
  readonly logLevel: LogLevel;
}

export function parseNodeStartArgs(args: readonly string[], cwd: string = process.cwd(), env: Readonly<Record<string, string | undefined>> = process.env): NodeStartPlan {
  const { values } = parseCommandLine(args, NODE_START_OPTIONS);
  const dataDirText = values['data-dir'];
  if (dataDirText === '') throw new UsageError('--data-dir must not be empty');
  const dataDir = dataDirText === undefined ? defaultDataDir() : isAbsolute(dataDirText) ? dataDirText : resolve(cwd, dataDirText);
  checkDirectoryPath('--data-dir', dataDir);
  const listen = splitList(values.listen);
  for (const text of listen ?? []) {
    if (!isMultiaddr(text)) throw new UsageError(`--listen must be a multiaddr such as /ip4/0.0.0.0/tcp/4100, got '${text}'`);
    if (!hasListeningTransport(text)) {
      throw new UsageError(`--listen '${text}': no transport of this node listens there: TCP (…/tcp/4100), WebSockets (…/tcp/4101/ws) or a relay (…/p2p-circuit)`);
    }
  }
  const bootstrap = splitList(values.bootstrap);
  for (const text of bootstrap ?? []) {
    const parsed = peerRefFromMultiaddr(text);
    if (!parsed.ok) throw new UsageError(`--bootstrap '${text}': ${parsed.error} (e.g. /ip4/192.0.2.7/tcp/4100/p2p/12D3KooW…)`);
  }
  const api = values.api === undefined ? { ok: true as const, value: { host: DEFAULT_API_HOST, port: DEFAULT_API_PORT } } : parseApiListenAddress(values.api);
  if (!api.ok) throw new UsageError(`--api: ${api.error}`);
  const logLevel = values['log-level'] ?? env.PEERGRID_LOG_LEVEL ?? 'info';
  if (!isLogLevel(logLevel)) {
    throw new UsageError(`${values['log-level'] === undefined ? 'PEERGRID_LOG_LEVEL' : '--log-level'} must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  }
  return { dataDir, listen, bootstrap, api: api.value, logLevel };
}

/**
 * Whether one of the node's transports (TCP, WebSockets over TCP, circuit relay: create-libp2p.ts)
 * could listen on the multiaddr. Any other (UDP, QUIC) would fail only once libp2p starts, with its
 * stack traces in the message.
 */
function hasListeningTransport(text: string): boolean {
  const protocols = multiaddr(text).getComponents().map((component) => component.name);
  return protocols.includes('tcp') || protocols.includes('p2p-circuit');
}

/** A repeatable option's values, each of which may also be a comma-separated list (multiaddrs hold no commas). */
function splitList(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const items = values.flatMap((value) => value.split(',')).map((item) => item.trim());
  if (items.some((item) => item === '')) throw new UsageError('an empty multiaddr in a list');
  return items;
}
