/**
 * A small grid of grid-node.ts processes on loopback for the storage network benchmarks: each node
 * gets a data directory with its own config.json (its `storage` section: a throttle, a quota), the
 * first starts alone and the others join through it, and the grid is ready once every node has
 * joined and knows every other (a lookup from any node then finds them all, as placement and
 * holder discovery need).
 *
 * `withGrid` stops every node on the way out, whatever happened; a SIGINT or SIGTERM meanwhile
 * stops them too before the benchmark exits.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createApiClient, type ApiClient } from '../../src/api/client.ts';
import { readApiTokenFile } from '../../src/api/token-file.ts';
import { GridNodeProcess, type GridNodeStarted } from './grid-node-process.ts';

type Say = (line: string) => void;

/** The `storage` section of one node's config.json (src/runtime/storage-config.ts); missing fields take defaults. */
export type StorageSettings = Record<string, number | string>;

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

/** Starts the grid in `dir`, runs `work` on it, and stops every node however `work` ends. */
export async function withGrid<T>(dir: string, specs: readonly GridNodeSpec[], say: Say, work: (nodes: readonly GridNode[]) => Promise<T>): Promise<T> {
  const processes: GridNodeProcess[] = [];
  const stopAll = (): Promise<unknown> => Promise.allSettled(processes.map((node) => node.stop()));
  const onSignal = (signal: NodeJS.Signals): void => {
    say(`${signal}: stopping every node started`);
    void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const nodes: GridNode[] = [];
    let bootstrap: string | null = null;
    for (const [index, spec] of specs.entries()) {
      const dataDir = join(dir, spec.name);
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      await writeFile(join(dataDir, 'config.json'), `${JSON.stringify({ storage: spec.storage }, null, 2)}\n`);
      const node = GridNodeProcess.spawn(spec.name, dataDir, bootstrap, join(dir, `${spec.name}.log`));
      processes.push(node);
      if (index === 0) {
        // The others join through the first, so it must be listening before they start.
        const started = await withTimeout(node.started, START_TIMEOUT_MS, `${spec.name} to start`);
        bootstrap = started.multiaddrs[0];
      }
    }
    for (const [index, node] of processes.entries()) {
      const started = await withTimeout(node.started, START_TIMEOUT_MS, `${node.name} to start`);
      await withTimeout(node.joined, START_TIMEOUT_MS, `${node.name} to join`);
      const api = createApiClient({ baseUrl: started.api, token: await readApiTokenFile(started.apiTokenFile) });
      nodes.push({ name: specs[index].name, process: node, started, api });
    }
    await fillTables(nodes, say);
    return await work(nodes);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
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

/** Until every node knows all the others: a lookup of a random key from each node that does not, a few rounds at most. */
async function fillTables(nodes: readonly GridNode[], say: Say): Promise<void> {
  for (let round = 0; ; round++) {
    const contacts = await Promise.all(nodes.map(async (node) => (await node.api.status()).contacts));
    const short = nodes.filter((_, index) => contacts[index] < nodes.length - 1);
    if (short.length === 0) return;
    if (round >= TABLE_FILL_ROUNDS_MAX) {
      say(`  warning: routing tables still short of the whole grid: ${contacts.join(',')} contacts (of ${nodes.length - 1})`);
      return;
    }
    await Promise.all(short.map((node) => node.api.lookup({ key: randomBytes(32).toString('hex') }).catch(() => null)));
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${timeoutMs} ms for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, late]).finally(() => {
    if (timer !== null) clearTimeout(timer);
  });
}
