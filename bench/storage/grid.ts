/**
 * A small grid of grid-node.ts processes on loopback for the storage network benchmarks: each node
 * gets a data directory with its own config.json (its `storage` section: a throttle, a quota) and a
 * fixed port, the first starts alone and the others join through it, and the grid is ready once
 * every node has joined and knows every other (a lookup from any node then finds them all, as
 * placement and holder discovery need).
 *
 * A node can be restarted with another configuration on the same data directory and port — the
 * same identity and address, so the others' routing tables stay right — and nodes can be added
 * and stopped while the grid runs. `withGrid` stops every node on the way out, whatever happened;
 * a SIGINT or SIGTERM meanwhile stops them too before the benchmark exits.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createApiClient, type ApiClient } from '../../src/api/client.ts';
import { readApiTokenFile } from '../../src/api/token-file.ts';
import { withTimeout } from '../support/json-lines-child.ts';
import { GridNodeProcess, type GridNodeStarted } from './grid-node-process.ts';

type Say = (line: string) => void;

/** The `storage` section of one node's config.json (src/runtime/storage-config.ts); missing fields take defaults. */
export type StorageSettings = Readonly<Record<string, number | string>>;

export interface GridNodeSpec {
  readonly name: string;
  readonly storage: StorageSettings;
}

export interface GridNode {
  readonly name: string;
  readonly process: GridNodeProcess;
  readonly started: GridNodeStarted;
  readonly api: ApiClient;
}

/** Lookups per node, at most, to fill a table that the join left short of the whole grid. */
const TABLE_FILL_ROUNDS_MAX = 5;
/** How long any node may take to start and join. */
const START_TIMEOUT_MS = 60_000;

export class Grid {
  private readonly dir: string;
  private readonly say: Say;
  private readonly running = new Map<string, GridNode>();
  /** Every process ever started, so that stopAll misses none (stopping one that has gone is harmless). */
  private readonly processes: GridNodeProcess[] = [];
  private readonly ports = new Map<string, number>();
  private bootstrap: string | null = null;

  private constructor(dir: string, say: Say) {
    this.dir = dir;
    this.say = say;
  }

  static create(dir: string, say: Say): Grid {
    return new Grid(dir, say);
  }

  /** The nodes running, in the order they were started. */
  get nodes(): GridNode[] {
    return [...this.running.values()];
  }

  node(name: string): GridNode {
    const node = this.running.get(name);
    if (node === undefined) throw new Error(`no node ${name} is running`);
    return node;
  }

  /** Starts a new node (the first one alone, the others joining through it), and fills every table. */
  async add(specs: readonly GridNodeSpec[]): Promise<GridNode[]> {
    const launched: { spec: GridNodeSpec; process: GridNodeProcess }[] = [];
    for (const spec of specs) {
      launched.push({ spec, process: await this.launch(spec) });
      if (this.bootstrap === null) {
        // The others join through the first, so it must be listening before they start.
        const started = await withTimeout(launched[0].process.started, START_TIMEOUT_MS, `${spec.name} to start`);
        this.bootstrap = started.multiaddrs[0];
      }
    }
    const added: GridNode[] = [];
    for (const { spec, process } of launched) added.push(await this.ready(spec.name, process));
    await this.fillTables();
    return added;
  }

  /** Stops `name` and starts it again on its data directory and port with new storage settings. */
  async restart(name: string, storage: StorageSettings): Promise<GridNode> {
    await this.stop(name);
    const node = await this.ready(name, await this.launch({ name, storage }));
    await this.fillTables();
    return node;
  }

  async stop(name: string): Promise<void> {
    const node = this.node(name);
    this.running.delete(name);
    await node.process.stop();
  }

  stopAll(): Promise<unknown> {
    this.running.clear();
    return Promise.allSettled(this.processes.map((process) => process.stop()));
  }

  private async launch(spec: GridNodeSpec): Promise<GridNodeProcess> {
    const dataDir = join(this.dir, spec.name);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writeFile(join(dataDir, 'config.json'), `${JSON.stringify({ storage: spec.storage }, null, 2)}\n`);
    let port = this.ports.get(spec.name);
    if (port === undefined) this.ports.set(spec.name, (port = await freePort()));
    const process = GridNodeProcess.spawn(spec.name, dataDir, `/ip4/127.0.0.1/tcp/${port}`, this.bootstrap, join(this.dir, `${spec.name}.log`));
    this.processes.push(process);
    return process;
  }

  private async ready(name: string, process: GridNodeProcess): Promise<GridNode> {
    const started = await withTimeout(process.started, START_TIMEOUT_MS, `${name} to start`);
    await withTimeout(process.joined, START_TIMEOUT_MS, `${name} to join`);
    const api = createApiClient({ baseUrl: started.api, token: await readApiTokenFile(started.apiTokenFile) });
    const node: GridNode = { name, process, started, api };
    this.running.set(name, node);
    return node;
  }

  /** Until every node knows all the others: a lookup of a random key from each node that does not, a few rounds at most. */
  private async fillTables(): Promise<void> {
    const nodes = this.nodes;
    for (let round = 0; ; round++) {
      const contacts = await Promise.all(nodes.map(async (node) => (await node.api.status()).contacts));
      const short = nodes.filter((_, index) => contacts[index] < nodes.length - 1);
      if (short.length === 0) return;
      if (round >= TABLE_FILL_ROUNDS_MAX) {
        this.say(`  warning: routing tables still short of the whole grid: ${contacts.join(',')} contacts (of ${nodes.length - 1})`);
        return;
      }
      await Promise.all(short.map((node) => node.api.lookup({ key: randomBytes(32).toString('hex') }).catch(() => null)));
    }
  }
}

/** Starts a grid of `specs` in `dir`, runs `work` on it, and stops every node however `work` ends. */
export async function withGrid<T>(dir: string, specs: readonly GridNodeSpec[], say: Say, work: (grid: Grid) => Promise<T>): Promise<T> {
  const grid = Grid.create(dir, say);
  const onSignal = (signal: NodeJS.Signals): void => {
    say(`${signal}: stopping every node started (their logs and data stay in ${dir})`);
    void grid.stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await grid.add(specs);
    return await work(grid);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await grid.stopAll();
  }
}

/** Runs `work`, then removes `dir`; when `work` fails, `dir` (the nodes' logs and data) is kept and named. */
export async function keptOnFailure<T>(dir: string, say: Say, work: () => Promise<T>): Promise<T> {
  let value: T;
  try {
    value = await work();
  } catch (error) {
    say(`  failed; the nodes' logs and data directories are kept in ${dir}`);
    throw error;
  }
  await rm(dir, { recursive: true, force: true });
  return value;
}

/** The machine a network figure was measured on: its cores and its load (other work shares them). */
export interface MachineLoad {
  readonly cores: number;
  readonly loadAverage1mAtStart: number;
  loadAverage1mAtEnd: number | null;
}

export function machineLoadNow(): MachineLoad {
  return { cores: cpus().length, loadAverage1mAtStart: Math.round(loadavg()[0] * 10) / 10, loadAverage1mAtEnd: null };
}

export function finishMachineLoad(load: MachineLoad): MachineLoad {
  load.loadAverage1mAtEnd = Math.round(loadavg()[0] * 10) / 10;
  return load;
}

/**
 * Each node's routing-table size and the counters that explain a fetch that found no holder: its
 * DHT requests that timed out, and the messages it refused from others (the peer guard's rate
 * limit). Appended to a failure's message.
 */
export async function gridCounters(nodes: readonly GridNode[]): Promise<string> {
  const lines = await Promise.all(nodes.map(async (node) => {
    try {
      const status = await node.api.status();
      return `${node.name}: contacts ${status.contacts}, DHT requests timed out ${status.kernel.requestsTimedOut}, messages refused ${status.transport.messagesRefused}`;
    } catch (error) {
      return `${node.name}: no status (${error instanceof Error ? error.message : String(error)})`;
    }
  }));
  return lines.join('; ');
}

/** A loopback port nobody listens on now (the node binds it a moment later; a restarted node binds it again). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

