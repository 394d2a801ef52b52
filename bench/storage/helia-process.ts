/**
 * A Helia node process (bench/helia/helia-node.mjs) seen from the benchmark, and `withHeliaNodes`,
 * which starts some and stops them all however the work ends. Each child runs in a process group
 * of its own and is stopped by that group's id, never by name (bench/support/json-lines-child.ts);
 * it stops itself when its stdin, our end of a pipe, closes.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonLinesChild, withTimeout, type JsonRecord } from '../support/json-lines-child.ts';

type Say = (line: string) => void;

export const HELIA_DIR = fileURLToPath(new URL('../helia/', import.meta.url));
const SCRIPT = join(HELIA_DIR, 'helia-node.mjs');
/** The one command that installs what the Helia figures need (bench/helia/package-lock.json; nothing is fetched at run time). */
export const HELIA_INSTALL_COMMAND = 'cd bench/helia && npm ci';

/** A Helia node stops its libp2p and closes its stores when stopped; after this it is killed. */
const STOP_TIMEOUT_MS = 15_000;
/** How long a node may take to start. */
const START_TIMEOUT_MS = 60_000;

/** Whether bench/helia's packages are installed; if not, why, with the command that installs them. */
export function heliaMissingReason(): string | null {
  if (existsSync(join(HELIA_DIR, 'node_modules', 'helia', 'package.json'))) return null;
  return `Helia is not installed (it is kept out of the project's dependencies); install it with: ${HELIA_INSTALL_COMMAND}`;
}

export interface HeliaNodeStarted {
  readonly pid: number;
  readonly peerId: string;
  readonly multiaddrs: readonly string[];
  /** The versions of Helia and of the libp2p modules the node runs. */
  readonly versions: Readonly<Record<string, string | null>>;
}

/** A Helia node process: add, connect, cat, and the process itself (json-lines-child.ts). */
export class HeliaNodeProcess {
  readonly child: JsonLinesChild;
  readonly started: Promise<HeliaNodeStarted>;

  private constructor(child: JsonLinesChild) {
    this.child = child;
    this.started = child.event('started').then((record) => record as unknown as HeliaNodeStarted);
    this.started.catch(() => {});
  }

  /** Starts a Helia node keeping its blocks and data under `dir`, logging its stderr to `logPath`. */
  static spawn(name: string, dir: string, logPath: string): HeliaNodeProcess {
    const args = [SCRIPT, '--dir', dir, '--listen', '/ip4/127.0.0.1/tcp/0'];
    return new HeliaNodeProcess(JsonLinesChild.spawn({ name, args, stderr: { logPath }, stopTimeoutMs: STOP_TIMEOUT_MS }));
  }

  get name(): string {
    return this.child.name;
  }

  /** Adds the file at `path` (1 MiB chunks, raw leaves); `durationMs` is measured in the child. */
  async add(path: string): Promise<{ cid: string; bytes: number; durationMs: number }> {
    const answer = await this.command({ op: 'add', path });
    return { cid: String(answer.cid), bytes: Number(answer.bytes), durationMs: Number(answer.durationMs) };
  }

  /** Dials `multiaddr` and waits until the peer is known to speak bitswap. */
  async connect(multiaddr: string): Promise<void> {
    await this.command({ op: 'connect', multiaddr });
  }

  /** Reads every byte of the file `cid`, fetching what is missing over bitswap; `durationMs` is measured in the child. */
  async cat(cid: string): Promise<{ bytes: number; durationMs: number }> {
    const answer = await this.command({ op: 'cat', cid });
    return { bytes: Number(answer.bytes), durationMs: Number(answer.durationMs) };
  }

  cpuSeconds(): number | null {
    return this.child.cpuSeconds();
  }

  stop(): Promise<void> {
    return this.child.stop();
  }

  private async command(command: JsonRecord): Promise<JsonRecord> {
    const answer = await this.child.command(command);
    if (typeof answer.error === 'string') throw new Error(`${this.name}: ${String(command.op)} failed: ${answer.error}`);
    return answer;
  }
}

export interface HeliaNode {
  readonly process: HeliaNodeProcess;
  readonly started: HeliaNodeStarted;
}

/**
 * Starts one Helia node per name, each in `dir`/<name> (its log in `dir`/<name>.log), runs `work`
 * on them, and stops every one however `work` ends; a SIGINT or SIGTERM meanwhile stops them too.
 */
export async function withHeliaNodes<T>(dir: string, names: readonly string[], say: Say, work: (nodes: HeliaNode[]) => Promise<T>): Promise<T> {
  const processes: HeliaNodeProcess[] = [];
  const stopAll = (): Promise<unknown> => Promise.allSettled(processes.map((node) => node.stop()));
  const onSignal = (signal: NodeJS.Signals): void => {
    say(`${signal}: stopping the Helia nodes started (their logs and data stay in ${dir})`);
    void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const name of names) {
      await mkdir(join(dir, name), { recursive: true, mode: 0o700 });
      processes.push(HeliaNodeProcess.spawn(name, join(dir, name), join(dir, `${name}.log`)));
    }
    const nodes: HeliaNode[] = [];
    for (const node of processes) nodes.push({ process: node, started: await withTimeout(node.started, START_TIMEOUT_MS, `${node.name} to start`) });
    return await work(nodes);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}

