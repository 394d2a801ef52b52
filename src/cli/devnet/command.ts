/**
 * `peergrid devnet --nodes N [--dir DIR]`: a local grid for trying peergrid out and for tests.
 * Starts N `peergrid node start` processes on 127.0.0.1 — node 0 first, the others joining
 * through it — each with its own data directory and API port; writes DIR/devnet.json; prints how
 * to use them; and on Ctrl-C or SIGTERM stops every node gracefully (SIGTERM to each node's
 * process group, SIGKILL to any that has not exited after STOP_TIMEOUT_MS).
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_API_PORT } from '../../api/api-address.ts';
import { CommandFailedError, type CliCommand, type CliIo } from '../command.ts';
import { watchShutdownSignals } from '../node/shutdown-signal.ts';
import { writeDevnetFile, type DevnetEntry } from './devnet-file.ts';
import { formatInstructions } from './instructions.ts';
import { DevnetNodeProcess, type StartedEvent } from './node-process.ts';
import { DEVNET_NODES_DEFAULT, DEVNET_NODES_MAX, parseDevnetArgs, type DevnetPlan } from './options.ts';

/** How long all nodes together may take to start and join: generous, for a loaded machine. */
const START_TIMEOUT_MS = 120_000;
/** How long a graceful stop may take (a node flushes for at most 2 s by default) before SIGKILL. */
const STOP_TIMEOUT_MS = 15_000;
/** Log lines shown when a node fails to start. */
const LOG_TAIL_LINES = 15;

export async function runDevnet(args: readonly string[], io: CliIo): Promise<void> {
  const plan = parseDevnetArgs(args);
  const temporary = plan.dir === null;
  const dir = plan.dir ?? (await mkdtemp(join(tmpdir(), 'peergrid-devnet-')));
  const nodes: DevnetNodeProcess[] = [];
  const killAll = (): void => {
    for (const node of nodes) node.signal('SIGKILL');
  };
  // A second Ctrl-C kills the nodes at once; so does any exit of ours, even an unexpected one.
  const shutdown = watchShutdownSignals(killAll);
  process.on('exit', killAll);
  let stopping = false;
  try {
    await mkdir(dir, { recursive: true });
    const started = await untilSignal(startNodes(plan, dir, nodes, io, () => stopping), shutdown.received);
    const entries: DevnetEntry[] = started.map((event) => ({
      id: event.id, pid: event.pid, api: event.api, multiaddrs: event.multiaddrs, dataDir: event.dataDir,
    }));
    const devnetFile = await writeDevnetFile(dir, entries);
    for (const node of nodes) {
      void node.exited.then((exit) => {
        if (!stopping) io.err(`peergrid devnet: node ${node.index} (pid ${node.pid}) exited (${exit.signal ?? `status ${exit.code}`}); the others run on\n`);
      });
    }
    io.out(formatInstructions({ dir, temporary, devnetFile, entries }));
    const signal = await shutdown.received;
    io.err(`peergrid devnet: ${signal}, stopping ${nodes.filter((node) => node.running).length} nodes\n`);
  } finally {
    stopping = true;
    await stopNodes(nodes);
    shutdown.dispose();
    process.off('exit', killAll);
    if (temporary) await rm(dir, { recursive: true, force: true });
  }
  io.err('peergrid devnet: stopped\n');
}

/** Node 0, then the others through it; resolves with every `started` line once all have joined. */
async function startNodes(
  plan: DevnetPlan, dir: string, nodes: DevnetNodeProcess[], io: CliIo, stopping: () => boolean,
): Promise<StartedEvent[]> {
  const spawnNode = (index: number, bootstrap: string | null): DevnetNodeProcess => {
    // Once the devnet is stopping, a start-up still under way must not add nodes nobody will stop.
    if (stopping()) throw new CommandFailedError('stopping');
    const apiPort = plan.apiPortBase === 0 ? 0 : plan.apiPortBase + index;
    const args = ['--data-dir', join(dir, `node-${index}`), '--listen', '/ip4/127.0.0.1/tcp/0', '--api', `127.0.0.1:${apiPort}`];
    if (bootstrap !== null) args.push('--bootstrap', bootstrap);
    const node = DevnetNodeProcess.spawn(index, args, join(dir, `node-${index}.log`));
    nodes.push(node);
    return node;
  };
  const deadline = timeout(START_TIMEOUT_MS, `the nodes did not all start and join within ${START_TIMEOUT_MS / 1000} s`);
  try {
    const first = spawnNode(0, null);
    const bootstrap = await withFailure(first, Promise.race([first.started, deadline.promise]));
    io.err(`peergrid devnet: node 0 (the bootstrap) runs, pid ${bootstrap.pid}; starting ${plan.nodes - 1} more\n`);
    for (let index = 1; index < plan.nodes; index++) spawnNode(index, bootstrap.multiaddrs[0]);
    const started = await Promise.race([Promise.all(nodes.map((node) => withFailure(node, node.started))), deadline.promise]);
    const contacts = await Promise.race([Promise.all(nodes.map((node) => withFailure(node, node.joined))), deadline.promise]);
    contacts.forEach((found, index) => {
      if (index > 0 && found === 0) io.err(`peergrid devnet: warning: node ${index} joined with no contacts; see ${nodes[index].logPath}\n`);
    });
    return started;
  } finally {
    deadline.cancel();
  }
}

/** A node's start-up failure as a message with the end of its log. */
async function withFailure<T>(node: DevnetNodeProcess, step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (error) {
    const log = await readFile(node.logPath, 'utf8').catch(() => '');
    const tail = log.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
    throw new CommandFailedError(`${(error as Error).message}${tail === '' ? '' : `\n${tail}`}`);
  }
}

/** Stops every running node: SIGTERM to its group, then SIGKILL once STOP_TIMEOUT_MS has passed. */
async function stopNodes(nodes: readonly DevnetNodeProcess[]): Promise<void> {
  for (const node of nodes) node.signal('SIGTERM');
  const allExited = Promise.all(nodes.map((node) => node.exited));
  const deadline = timeout(STOP_TIMEOUT_MS, 'stop');
  try {
    await Promise.race([allExited, deadline.promise]);
  } catch {
    for (const node of nodes) node.signal('SIGKILL');
    await allExited;
  } finally {
    deadline.cancel();
  }
}

/** Resolves with `work`, unless a shutdown signal comes first (then the devnet stops, status 1). */
async function untilSignal<T>(work: Promise<T>, signal: Promise<string>): Promise<T> {
  const interrupted = signal.then((name) => {
    throw new CommandFailedError(`${name} while starting; stopping the nodes started so far`);
  });
  return Promise.race([work, interrupted]);
}

function timeout(ms: number, message: string): { promise: Promise<never>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommandFailedError(message)), ms);
  });
  promise.catch(() => {});
  return { promise, cancel: () => clearTimeout(timer) };
}

export function devnetUsage(): string {
  return `Usage: peergrid devnet [options]

Runs a local grid: N 'peergrid node start' processes on 127.0.0.1. Node 0 starts first and is the
bootstrap; the others join through it. Each node has its own data directory (DIR/node-<i>), log
(DIR/node-<i>.log) and HTTP API. When all have joined, it writes DIR/devnet.json — an array of
{ id, pid, api, multiaddrs, dataDir } — and prints the API URLs and commands to try. Ctrl-C or
SIGTERM stops every node gracefully; a second one kills them at once.

Options:
  --nodes N               how many nodes, 1 to ${DEVNET_NODES_MAX} (default ${DEVNET_NODES_DEFAULT})
  --dir DIR               where their data directories, logs and devnet.json go; kept afterwards, and a
                          devnet started again on it keeps its node ids (default: a new temporary
                          directory, removed when the devnet stops)
  --api-port PORT         node i's API listens on 127.0.0.1:PORT+i (default ${DEFAULT_API_PORT}, so node 0 has the
                          default API address of the client commands); 0: any free ports
  -h, --help              show this help

Exit status: 0 after a graceful stop, 1 when a node fails to start, 2 on bad usage.
`;
}

export const devnetCommand: CliCommand = {
  path: ['devnet'],
  usage: devnetUsage,
  run: runDevnet,
};
