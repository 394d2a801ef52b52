/**
 * One `peergrid node start` child of a devnet. It runs in its own process group (detached), so a
 * terminal's Ctrl-C reaches only the devnet, which then stops each node exactly once; a second
 * signal to a node would make it skip its graceful shutdown. Signals go to the group by its id,
 * never to processes by name.
 *
 * The node's stdout carries its JSON event lines (started, joined, …), read here; its stderr (its
 * log) goes to a file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/peergrid.js', import.meta.url));

/**
 * Flags the node processes need from ours: type stripping, on a Node that does not strip by
 * default. Nothing else is passed on (a debugger or test-runner flag would break a child).
 */
const INHERITED_FLAGS = /^--(experimental-strip-types|disable-warning=ExperimentalWarning|no-experimental-strip-types)$/;

export interface StartedEvent {
  readonly id: string;
  readonly peerId: string;
  readonly multiaddrs: readonly string[];
  readonly api: string;
  readonly dataDir: string;
  readonly pid: number;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class DevnetNodeProcess {
  readonly index: number;
  readonly logPath: string;
  /** Resolves with the node's `started` line; rejects if it exits first. */
  readonly started: Promise<StartedEvent>;
  /** Resolves with the contacts its start-up join found; rejects if it exits first. */
  readonly joined: Promise<number>;
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private exit: Exit | null = null;
  private stdoutRest = '';
  private readonly waiting = new Map<string, (record: Record<string, unknown>) => void>();

  private constructor(index: number, child: ChildProcess, logPath: string) {
    this.index = index;
    this.child = child;
    this.logPath = logPath;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      child.on('error', () => {
        this.exit = { code: null, signal: null };
        resolve(this.exit);
      });
    });
    this.started = this.event('started').then((record) => record as unknown as StartedEvent);
    this.joined = this.event('joined').then((record) => Number(record.contacts));
    // Callers may not await these yet (or ever, when a start-up fails); that is not an error.
    this.started.catch(() => {});
    this.joined.catch(() => {});
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
  }

  static spawn(index: number, nodeArgs: readonly string[], logPath: string): DevnetNodeProcess {
    const log = openSync(logPath, 'a', 0o644);
    try {
      const child = spawn(process.execPath, [...process.execArgv.filter((flag) => INHERITED_FLAGS.test(flag)), BIN, 'node', 'start', ...nodeArgs], {
        stdio: ['ignore', 'pipe', log],
        detached: true,
      });
      return new DevnetNodeProcess(index, child, logPath);
    } finally {
      // The child has its own copy of the descriptor.
      closeSync(log);
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exit === null;
  }

  get exitStatus(): Exit | null {
    return this.exit;
  }

  /** Signals the node's process group; harmless when it has gone. */
  signal(signal: NodeJS.Signals): void {
    if (this.pid <= 0 || !this.running) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  private event(name: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.waiting.set(name, resolve);
      void this.exited.then((exit) => reject(new Error(`node ${this.index} exited (${exit.signal ?? `status ${exit.code}`}) before '${name}'; see ${this.logPath}`)));
    });
  }

  private onStdout(chunk: string): void {
    const lines = (this.stdoutRest + chunk).split('\n');
    this.stdoutRest = lines.pop() ?? '';
    for (const line of lines) {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        continue;
      }
      const name = (record as { event?: unknown } | null)?.event;
      if (typeof name !== 'string') continue;
      this.waiting.get(name)?.(record as Record<string, unknown>);
      this.waiting.delete(name);
    }
  }
}
