/**
 * `peergrid node start`: runs one real node and its HTTP API until SIGINT or SIGTERM, then shuts
 * it down gracefully (snapshot saved, contacts told, streams flushed, API closed).
 *
 * Stdout carries one JSON object per line, for scripts and tests: `started` (id, peer id,
 * multiaddrs, API URL, data directory, pid), `joined`, `stopping` and `stopped`. Logs go to
 * stderr through pino (logger.ts): JSON lines with a numeric level, time and pid.
 */
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from '../../api/api-address.ts';
import { startNodeApi, type NodeApiServer } from '../../api/node-api.ts';
import { ApiListenError } from '../../api/server.ts';
import { idToHex } from '../../core/id.ts';
import { DEFAULT_PORT } from '../../runtime/node-config.ts';
import { tuneHeapForBulkData } from '../../runtime/heap-tuning.ts';
import { NodeRuntime } from '../../runtime/node-runtime.ts';
import { CommandFailedError, type CliCommand, type CliIo } from '../command.ts';
import { structuredLog } from './logger.ts';
import { parseNodeStartArgs } from './options.ts';
import { watchShutdownSignals } from './shutdown-signal.ts';

export async function runNodeStart(args: readonly string[], io: CliIo): Promise<void> {
  const plan = parseNodeStartArgs(args);
  // This process is the node: its GC is tuned for blocks moving through it (heap-tuning.ts).
  tuneHeapForBulkData();
  const line = (record: Record<string, unknown>): void => io.out(`${JSON.stringify(record)}\n`);
  // Watched before starting, so a signal that comes during start-up still stops the node cleanly.
  const shutdown = watchShutdownSignals();
  const log = structuredLog(plan.logLevel);
  try {
    const runtime = await NodeRuntime.start({
      dataDir: plan.dataDir,
      listen: plan.listen,
      bootstrap: plan.bootstrap,
      log,
    }).catch((error: unknown) => {
      throw listenFailure(error) ?? error;
    });
    let api: NodeApiServer;
    try {
      api = await startNodeApi(runtime, plan.api, log);
    } catch (error) {
      await runtime.stop();
      throw error instanceof ApiListenError ? new CommandFailedError(error.message) : error;
    }
    line({
      event: 'started', id: idToHex(runtime.id), peerId: runtime.peerId, multiaddrs: runtime.multiaddrs(),
      api: api.url, apiTokenFile: api.tokenPath, apiReadTokenFile: api.readTokenPath, apiTokenRequired: api.tokenRequired, dataDir: runtime.dataDir, pid: process.pid,
    });
    runtime.joined.then(
      (joined) => line({ event: 'joined', contacts: joined.contacts, joinMs: joined.finishedAtMs - joined.startedAtMs }),
      () => {},
    );
    const signal = await shutdown.received;
    line({ event: 'stopping', signal });
    // The node first, so API calls still waiting are answered (503, the node is stopping), then the API.
    await runtime.stop();
    await api.close();
    line({ event: 'stopped' });
  } finally {
    shutdown.dispose();
  }
}

/**
 * libp2p's error when it cannot listen on an address (a port in use, say) holds each address's
 * error with its stack trace; the user needs only the address and the reason.
 */
function listenFailure(error: unknown): CommandFailedError | null {
  if (!(error instanceof Error) || error.name !== 'UnsupportedListenAddressesError') return null;
  const reasons = [...error.message.matchAll(/^ {2}(\S+): (?:Error: )?(.+)$/gm)].map(([, address, reason]) => `${address}: ${reason}`);
  return new CommandFailedError(`cannot listen on ${reasons.length > 0 ? reasons.join('; ') : 'the listen addresses'}`);
}

export function nodeStartUsage(): string {
  return `Usage: peergrid node start [options]

Runs a peergrid node: a Kademlia node on libp2p (TCP, Noise, Yamux) speaking /peergrid/kad/1.0.0,
and its HTTP API (JSON; a status page at /), which the client commands (status, peers, lookup, dht,
put, get, ls, pin, gc, fsck, export, import) use.
Its identity (an Ed25519 key; node id = SHA-256 of the public key), configuration (config.json,
written with the defaults on first start), routing snapshot, content (the blockstore in blocks/)
and convergence secret (convergence-secret: 32 bytes, mode 0600, made on first start; copy one
file into several data directories to share it) live in the data directory, so a restart keeps
its id, contacts and content. Content is stored on this node only: placement on others is not
built yet. SIGINT or SIGTERM shuts it down gracefully; a second one, at once.

Options:
  --data-dir DIR          data directory (default ~/.peergrid)
  --listen MULTIADDR      address to listen on; repeat the option or separate with commas for several
                          (default: config.json's listen, /ip4/0.0.0.0/tcp/${DEFAULT_PORT} in a new one)
  --bootstrap MULTIADDR   node to join through, ending in /p2p/<peer id>; repeatable, or comma-separated
                          (default: config.json's bootstrap; a restarted node also rejoins through the
                          contacts it remembers)
  --api HOST:PORT         where the HTTP API listens (default ${DEFAULT_API_HOST}:${DEFAULT_API_PORT}; port 0: any free
                          port). On a non-loopback address every request needs the bearer token
                          in <data dir>/api-token (created on first start, mode 0600)
  --log-level LEVEL       trace, debug, info, warn, error, fatal or silent (default: $PEERGRID_LOG_LEVEL, else info)
  -h, --help              show this help

Output: one JSON object per line on stdout — {"event":"started","id":…,"peerId":…,"multiaddrs":[…],"api":…,…},
then "joined", "stopping", "stopped"; logs (pino) as JSON lines on stderr.
Exit status: 0 after a graceful stop, 1 on an error (a data directory in use, a bad config.json,
an address or API port in use), 2 on bad usage.
`;
}

export const nodeStartCommand: CliCommand = {
  path: ['node', 'start'],
  usage: nodeStartUsage,
  run: runNodeStart,
};
