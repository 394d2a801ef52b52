/** The options of `peergrid devnet`, checked before any process starts. */
import { isAbsolute, resolve } from 'node:path';
import { DEFAULT_API_PORT } from '../../api/api-address.ts';
import { parseCommandLine, parseInteger, UsageError } from '../args.ts';
import { checkDirectoryPath } from '../local-paths.ts';

export const DEVNET_OPTIONS = {
  nodes: { type: 'string' },
  dir: { type: 'string' },
  'api-port': { type: 'string' },
} as const;

/** One machine's worth: each node is a process of some 80 MB. */
export const DEVNET_NODES_MAX = 64;
export const DEVNET_NODES_DEFAULT = 5;

export interface DevnetPlan {
  readonly nodes: number;
  /** Null: a new temporary directory, removed when the devnet stops. */
  readonly dir: string | null;
  /** Node i's API listens on this port + i; 0: every node takes any free port. */
  readonly apiPortBase: number;
}

export function parseDevnetArgs(args: readonly string[], cwd: string = process.cwd()): DevnetPlan {
  const { values } = parseCommandLine(args, DEVNET_OPTIONS);
  const nodes = values.nodes === undefined ? DEVNET_NODES_DEFAULT : parseInteger('--nodes', values.nodes, 1, DEVNET_NODES_MAX);
  if (values.dir === '') throw new UsageError('--dir must not be empty');
  const dir = values.dir === undefined ? null : isAbsolute(values.dir) ? values.dir : resolve(cwd, values.dir);
  if (dir !== null) checkDirectoryPath('--dir', dir);
  const apiPortBase = values['api-port'] === undefined ? DEFAULT_API_PORT : parseInteger('--api-port', values['api-port'], 0, 65_535);
  if (apiPortBase > 0 && apiPortBase + nodes - 1 > 65_535) {
    throw new UsageError(`--api-port ${apiPortBase} leaves no room for ${nodes} nodes (ports ${apiPortBase}…${apiPortBase + nodes - 1})`);
  }
  return { nodes, dir, apiPortBase };
}
