/**
 * The node's configuration file, `config.json` in the data directory. Written with the defaults on
 * first start so a user can see and edit every setting; a missing field takes its default, an
 * unknown or ill-typed one is an error (a typo should not be ignored silently). `dht` holds only
 * overrides of the kernel's defaults (core/config.ts), so a kernel whose defaults improve is not
 * held back by an old file.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import { checkDhtConfig, defaultDhtConfig, type DhtConfig } from '../core/config.ts';
import { DataFiles, writeFileAtomically } from './data-dir.ts';
import { isBoolean, isNonNegativeInteger, isPositiveInteger, isRecord, isStringArray } from './config-values.ts';
import { defaultRelayConfig, isAutoSwitch, parseRelayConfig, type AutoSwitch, type RelayConfig } from './relay-config.ts';
import { defaultComputeConfig, parseComputeConfig, type ComputeConfig } from './compute-config.ts';
import { defaultSearchConfig, parseSearchConfig, type SearchConfig } from './search-config.ts';
import { defaultStorageConfig, parseStorageConfig, storageConfigFileContent, type StorageConfig } from './storage-config.ts';

export interface NodeConfig {
  /** Multiaddrs to listen on. */
  readonly listen: readonly string[];
  /** Multiaddrs to give others instead of the listening ones (a port mapping, a public address); empty: the listening ones. */
  readonly announce: readonly string[];
  /** Nodes to join through, each ending in /p2p/<peer id>. */
  readonly bootstrap: readonly string[];
  readonly connectionsMax: number;
  /** Inbound connections accepted per second from one host (libp2p's default of 5 is too low for a loopback devnet). */
  readonly inboundConnectionsPerHostPerSecondMax: number;
  /** Inbound connections in their handshake at once (libp2p's default of 10 is too low for a devnet's joins). */
  readonly inboundPendingConnectionsMax: number;
  readonly dialTimeoutMs: number;
  /** The routing snapshot is also saved this often, so a crash loses little; 0: only at shutdown. */
  readonly snapshotIntervalMs: number;
  /** On shutdown, hand values on and tell contacts we are going (the kernel's leave). */
  readonly leaveOnShutdown: boolean;
  /** How long shutdown waits for queued messages to go out. */
  readonly shutdownFlushMs: number;
  /** Circuit relays: serving them, using them (relay-config.ts). */
  readonly relay: RelayConfig;
  /** mDNS on the LAN: 'auto' runs it on a machine with LAN addresses and no public one. */
  readonly mdns: AutoSwitch;
  /** DCUtR: try to replace relayed connections by direct ones. */
  readonly holePunching: boolean;
  /** Content on the grid: the default redundancy, the quota for others, maintenance (storage-config.ts). */
  readonly storage: StorageConfig;
  /** Computation on the grid: volunteering, sandbox workers, domain, leases (compute-config.ts). */
  readonly compute: ComputeConfig;
  /** Search: replicas of the index, repair and republishing (search-config.ts). */
  readonly search: SearchConfig;
  readonly dht: DhtConfig;
}

/**
 * The kernel's settings on a real node: the kernel's defaults, except that its transport is
 * libp2p over TCP, whose new connection costs about 4 round trips (TCP, multistream-select, Noise,
 * Yamux; measured by `npm run bench -- dht-vs-kad`) before a first request can leave.
 */
export const nodeDhtDefaults: DhtConfig = { ...defaultDhtConfig, connectionSetupRtts: 4 };

/** The port a node listens on unless told otherwise: fixed, so others' tables stay right across restarts. */
export const DEFAULT_PORT = 4100;

export const defaultNodeConfig: NodeConfig = {
  listen: [`/ip4/0.0.0.0/tcp/${DEFAULT_PORT}`],
  announce: [],
  bootstrap: [],
  connectionsMax: 300,
  inboundConnectionsPerHostPerSecondMax: 100,
  inboundPendingConnectionsMax: 64,
  dialTimeoutMs: 10_000,
  snapshotIntervalMs: 5 * 60_000,
  leaveOnShutdown: true,
  shutdownFlushMs: 2000,
  relay: defaultRelayConfig,
  mdns: 'auto',
  holePunching: true,
  storage: defaultStorageConfig,
  compute: defaultComputeConfig,
  search: defaultSearchConfig,
  dht: nodeDhtDefaults,
};

/** The configuration file cannot be used. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads config.json, writing one with the defaults if there is none. */
export async function loadOrCreateNodeConfig(dir: string): Promise<NodeConfig> {
  const path = join(dir, DataFiles.config);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    // A directory, a file we may not read: named, since Node's EISDIR message names no file.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`${path}: cannot be read (${(error as Error).message})`);
    await writeFileAtomically(path, `${JSON.stringify(configFileContent(defaultNodeConfig), null, 2)}\n`, 0o644);
    return defaultNodeConfig;
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: not JSON (${(error as Error).message})`);
  }
  const problems: string[] = [];
  const config = parseNodeConfig(content, problems);
  if (problems.length > 0) throw new ConfigError(`${path}: ${problems.join('; ')}`);
  return config;
}

/** What the file holds: every node setting, and only the kernel settings that differ from the defaults. */
export function configFileContent(config: NodeConfig): Record<string, unknown> {
  const dht: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config.dht)) {
    if (nodeDhtDefaults[name as keyof DhtConfig] !== value) dht[name] = value;
  }
  return { ...config, storage: storageConfigFileContent(config.storage), dht };
}

/** Validates parsed JSON against the schema; problems are appended to `problems`. */
export function parseNodeConfig(content: unknown, problems: string[]): NodeConfig {
  if (!isRecord(content)) {
    problems.push('expected a JSON object');
    return defaultNodeConfig;
  }
  for (const name of Object.keys(content)) if (!(name in defaultNodeConfig)) problems.push(`unknown setting '${name}'`);
  const pick = <T>(name: keyof NodeConfig, check: (value: unknown) => value is T, expected: string): T => {
    const value = content[name];
    if (value === undefined) return defaultNodeConfig[name] as T;
    if (check(value)) return value;
    problems.push(`'${name}' must be ${expected}`);
    return defaultNodeConfig[name] as T;
  };
  const multiaddrList = (name: 'listen' | 'announce' | 'bootstrap'): readonly string[] => {
    const list = pick(name, isStringArray, 'an array of multiaddr strings');
    for (const text of list) if (!isMultiaddr(text)) problems.push(`'${name}' holds an invalid multiaddr '${text}'`);
    return list;
  };
  return {
    listen: multiaddrList('listen'),
    announce: multiaddrList('announce'),
    bootstrap: multiaddrList('bootstrap'),
    connectionsMax: pick('connectionsMax', isPositiveInteger, 'a positive integer'),
    inboundConnectionsPerHostPerSecondMax: pick('inboundConnectionsPerHostPerSecondMax', isPositiveInteger, 'a positive integer'),
    inboundPendingConnectionsMax: pick('inboundPendingConnectionsMax', isPositiveInteger, 'a positive integer'),
    dialTimeoutMs: pick('dialTimeoutMs', isPositiveInteger, 'a positive integer'),
    snapshotIntervalMs: pick('snapshotIntervalMs', isNonNegativeInteger, 'an integer >= 0'),
    leaveOnShutdown: pick('leaveOnShutdown', isBoolean, 'true or false'),
    shutdownFlushMs: pick('shutdownFlushMs', isNonNegativeInteger, 'an integer >= 0'),
    relay: parseRelayConfig(content.relay, problems),
    mdns: pick('mdns', isAutoSwitch, "'auto', true or false"),
    holePunching: pick('holePunching', isBoolean, 'true or false'),
    storage: parseStorageConfig(content.storage, problems),
    compute: parseComputeConfig(content.compute, problems),
    search: parseSearchConfig(content.search, problems),
    dht: parseDhtOverrides(content.dht, problems),
  };
}

function parseDhtOverrides(value: unknown, problems: string[]): DhtConfig {
  if (value === undefined) return nodeDhtDefaults;
  if (!isRecord(value)) {
    problems.push("'dht' must be an object of kernel settings");
    return nodeDhtDefaults;
  }
  for (const name of Object.keys(value)) if (!(name in nodeDhtDefaults)) problems.push(`unknown dht setting '${name}'`);
  const dht = { ...nodeDhtDefaults, ...value } as DhtConfig;
  for (const problem of checkDhtConfig(dht)) problems.push(`dht: ${problem}`);
  return dht;
}

export function isMultiaddr(text: string): boolean {
  try {
    multiaddr(text);
    return true;
  } catch {
    return false;
  }
}
