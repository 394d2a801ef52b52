/**
 * `peergrid node start`: runs one real node until SIGINT or SIGTERM, then shuts it down gracefully
 * (snapshot saved, contacts told, streams flushed).
 *
 * Stdout carries one JSON object per line, for scripts and tests: `started` (id, peer id,
 * multiaddrs, data directory, pid), `joined`, `stopping` and `stopped`. Logs go to stderr, also as
 * JSON lines.
 */
import { idToHex } from '../../core/id.ts';
import { DEFAULT_PORT } from '../../runtime/node-config.ts';
import { NodeRuntime } from '../../runtime/node-runtime.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { parseNodeStartArgs } from './options.ts';
import { watchShutdownSignals } from './shutdown-signal.ts';

export async function runNodeStart(args: readonly string[], io: CliIo): Promise<void> {
  const plan = parseNodeStartArgs(args);
  const line = (record: Record<string, unknown>): void => io.out(`${JSON.stringify(record)}\n`);
  // Watched before starting, so a signal that comes during start-up still stops the node cleanly.
  const shutdown = watchShutdownSignals();
  try {
    const runtime = await NodeRuntime.start({
      dataDir: plan.dataDir,
      listen: plan.listen,
      bootstrap: plan.bootstrap,
      log: (record) => io.err(`${JSON.stringify(record)}\n`),
    });
    line({
      event: 'started', id: idToHex(runtime.id), peerId: runtime.peerId, multiaddrs: runtime.multiaddrs(),
      dataDir: runtime.dataDir, pid: process.pid,
    });
    runtime.joined.then(
      (joined) => line({ event: 'joined', contacts: joined.contacts, joinMs: joined.finishedAtMs - joined.startedAtMs }),
      () => {},
    );
    const signal = await shutdown.received;
    line({ event: 'stopping', signal });
    await runtime.stop();
    line({ event: 'stopped' });
  } finally {
    shutdown.dispose();
  }
}

export function nodeStartUsage(): string {
  return `Usage: peergrid node start [options]

Runs a peergrid node: a Kademlia node on libp2p (TCP, Noise, Yamux) speaking /peergrid/kad/1.0.0.
Its identity (an Ed25519 key; node id = SHA-256 of the public key), configuration (config.json,
written with the defaults on first start) and routing snapshot live in the data directory, so a
restart keeps its id and contacts. SIGINT or SIGTERM shuts it down gracefully; a second one, at once.

Options:
  --data-dir DIR          data directory (default ~/.peergrid)
  --listen MULTIADDR      address to listen on; repeat the option or separate with commas for several
                          (default: config.json's listen, /ip4/0.0.0.0/tcp/${DEFAULT_PORT} in a new one)
  --bootstrap MULTIADDR   node to join through, ending in /p2p/<peer id>; repeatable, or comma-separated
                          (default: config.json's bootstrap; a restarted node also rejoins through the
                          contacts it remembers)
  -h, --help              show this help

Output: one JSON object per line on stdout — {"event":"started","id":…,"peerId":…,"multiaddrs":[…],…},
then "joined", "stopping", "stopped"; logs as JSON lines on stderr.
Exit status: 0 after a graceful stop, 1 on an error (a data directory in use, a bad config.json,
an address in use), 2 on bad usage.
`;
}

export const nodeStartCommand: CliCommand = {
  path: ['node', 'start'],
  summary: 'run a real node on libp2p until SIGINT/SIGTERM',
  usage: nodeStartUsage,
  run: runNodeStart,
};
