/**
 * A grid-node.ts child, seen from the benchmark: in a process group of its own, stopped by that
 * group's id, never by name (bench/support/json-lines-child.ts; grid.ts stops them all on the way
 * out, and on SIGINT or SIGTERM). The child stops itself when its stdin, our end of a pipe, closes.
 */
import { fileURLToPath } from 'node:url';
import { JsonLinesChild } from '../support/json-lines-child.ts';

const SCRIPT = fileURLToPath(new URL('./grid-node.ts', import.meta.url));
/** Type stripping on a Node that does not strip by default; nothing else of ours is passed on. */
const INHERITED_FLAGS = /^--(experimental-strip-types|disable-warning=ExperimentalWarning|no-experimental-strip-types)$/;
/** A node flushes and saves its snapshot when stopped; after this it is killed. */
const STOP_TIMEOUT_MS = 15_000;

export interface GridNodeStarted {
  readonly id: string;
  readonly peerId: string;
  readonly multiaddrs: readonly string[];
  readonly api: string;
  readonly apiTokenFile: string;
  readonly dataDir: string;
  readonly pid: number;
}

/** A grid-node.ts child: the node's start-up and join, raw pulls for the baseline, and the process itself (json-lines-child.ts). */
export class GridNodeProcess {
  readonly child: JsonLinesChild;
  readonly started: Promise<GridNodeStarted>;
  /** Resolves with the contacts its start-up join found. */
  readonly joined: Promise<number>;

  private constructor(child: JsonLinesChild) {
    this.child = child;
    this.started = child.event('started').then((record) => record as unknown as GridNodeStarted);
    this.joined = child.event('joined').then((record) => Number(record.contacts));
    this.started.catch(() => {});
    this.joined.catch(() => {});
  }

  /** Starts a node on `dataDir` (its config.json written by the caller), listening on `listen`, joining through `bootstrap`. */
  static spawn(name: string, dataDir: string, listen: string, bootstrap: string | null, logPath: string): GridNodeProcess {
    const args = [
      ...process.execArgv.filter((flag) => INHERITED_FLAGS.test(flag)), SCRIPT,
      '--data-dir', dataDir, '--listen', listen, ...(bootstrap === null ? [] : ['--bootstrap', bootstrap]),
    ];
    return new GridNodeProcess(JsonLinesChild.spawn({ name, args, stderr: { logPath }, stopTimeoutMs: STOP_TIMEOUT_MS }));
  }

  get name(): string {
    return this.child.name;
  }

  get logPath(): string {
    return this.child.logPath as string;
  }

  get exited(): Promise<void> {
    return this.child.exited;
  }

  get pid(): number {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.running;
  }

  /**
   * Pulls `bytes` from the node with `peerId` over one raw libp2p stream; the time is measured in
   * the child. `hashed`: both ends hash every byte with SHA-256 (grid-node.ts, sendBytes).
   */
  async rawPull(peerId: string, bytes: number, hashed = false): Promise<{ bytes: number; durationMs: number }> {
    const answer = await this.child.command({ op: 'rawPull', peerId, bytes, hashed });
    if (typeof answer.error === 'string') throw new Error(`${this.name}: raw pull failed: ${answer.error}`);
    return { bytes: Number(answer.bytes), durationMs: Number(answer.durationMs) };
  }

  /** Starts a CPU profile of the child (stopped and written by profileStop). */
  async profileStart(): Promise<void> {
    const answer = await this.child.command({ op: 'profileStart' });
    if (typeof answer.error === 'string') throw new Error(`${this.name}: ${answer.error}`);
  }

  /** Stops the child's profiles and has it write them beside `path`; resolves with its garbage collections meanwhile. */
  async profileStop(path: string): Promise<unknown> {
    const answer = await this.child.command({ op: 'profileStop', path });
    if (typeof answer.error === 'string') throw new Error(`${this.name}: ${answer.error}`);
    return { collections: answer.collections, memory: answer.memory };
  }

  cpuSeconds(): number | null {
    return this.child.cpuSeconds();
  }

  stop(): Promise<void> {
    return this.child.stop();
  }

  signal(signal: NodeJS.Signals): void {
    this.child.signal(signal);
  }
}
