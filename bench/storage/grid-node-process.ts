/**
 * A grid-node.ts child, seen from the benchmark. Each runs in a process group of its own
 * (detached), and is stopped by that group's id — SIGTERM, then SIGKILL if it has not gone in time
 * — never by name (grid.ts stops them all on the way out, and on SIGINT or SIGTERM). Should the
 * benchmark exit without stopping one, a process 'exit' handler kills every group still running;
 * should it die outright (SIGKILL), each child stops itself when its stdin, our end of a pipe, closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times (100 on every common architecture). */
const CLOCK_TICKS_PER_SECOND = 100;

/** Every child not yet seen to exit, for the 'exit' handler. */
const running = new Set<GridNodeProcess>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // 'exit' handlers run synchronously at the very end: a signal is all they can still send.
  process.on('exit', () => {
    for (const node of running) node.signal('SIGKILL');
  });
}

export class GridNodeProcess {
  readonly name: string;
  readonly logPath: string;
  readonly started: Promise<GridNodeStarted>;
  /** Resolves with the contacts its start-up join found. */
  readonly joined: Promise<number>;
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private alive = true;
  private rest = '';
  private nextSeq = 1;
  private readonly waitingEvents = new Map<string, (record: Record<string, unknown>) => void>();
  private readonly waitingAnswers = new Map<number, (record: Record<string, unknown>) => void>();

  private constructor(name: string, child: ChildProcess, logPath: string) {
    this.name = name;
    this.child = child;
    this.logPath = logPath;
    running.add(this);
    this.exited = new Promise((resolve) => {
      const gone = (): void => {
        this.alive = false;
        running.delete(this);
        resolve();
      };
      child.on('exit', gone);
      child.on('error', gone);
    });
    this.started = this.event('started').then((record) => record as unknown as GridNodeStarted);
    this.joined = this.event('joined').then((record) => Number(record.contacts));
    this.started.catch(() => {});
    this.joined.catch(() => {});
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
    // A benchmark that dies closes this pipe, and the child stops itself.
    child.stdin?.on('error', () => {});
  }

  /** Starts a node on `dataDir` (its config.json written by the caller), listening on `listen`, joining through `bootstrap`. */
  static spawn(name: string, dataDir: string, listen: string, bootstrap: string | null, logPath: string): GridNodeProcess {
    installExitHandler();
    const log = openSync(logPath, 'a', 0o644);
    try {
      const args = [
        ...process.execArgv.filter((flag) => INHERITED_FLAGS.test(flag)), SCRIPT,
        '--data-dir', dataDir, '--listen', listen, ...(bootstrap === null ? [] : ['--bootstrap', bootstrap]),
      ];
      const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', log], detached: true });
      return new GridNodeProcess(name, child, logPath);
    } finally {
      closeSync(log);
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.alive;
  }

  /** Pulls `bytes` from the node with `peerId` over one raw libp2p stream; the time is measured in the child. */
  async rawPull(peerId: string, bytes: number): Promise<{ bytes: number; durationMs: number }> {
    const answer = await this.command({ op: 'rawPull', peerId, bytes });
    if (typeof answer.error === 'string') throw new Error(`${this.name}: raw pull failed: ${answer.error}`);
    return { bytes: Number(answer.bytes), durationMs: Number(answer.durationMs) };
  }

  /** CPU time the node process has used so far (user and system), from /proc; null where there is none. */
  cpuSeconds(): number | null {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      // The fields after the command name (which may hold spaces) in parentheses: utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    } catch {
      return null;
    }
  }

  /** SIGTERM to its group, SIGKILL if it has not gone after STOP_TIMEOUT_MS. */
  async stop(): Promise<void> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** Signals the node's process group; harmless when it has gone. */
  signal(signal: NodeJS.Signals): void {
    if (!this.alive || this.pid <= 0) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Gone already.
    }
  }

  private command(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    const seq = this.nextSeq++;
    return new Promise((resolve, reject) => {
      if (!this.alive) {
        reject(new Error(`${this.name} has exited`));
        return;
      }
      this.waitingAnswers.set(seq, resolve);
      void this.exited.then(() => reject(new Error(`${this.name} exited during a command; see ${this.logPath}`)));
      this.child.stdin?.write(`${JSON.stringify({ ...command, seq })}\n`);
    });
  }

  private event(name: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.waitingEvents.set(name, resolve);
      void this.exited.then(() => reject(new Error(`${this.name} exited before '${name}'; see ${this.logPath}`)));
    });
  }

  private onStdout(chunk: string): void {
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (typeof record.event === 'string') {
        this.waitingEvents.get(record.event)?.(record);
        this.waitingEvents.delete(record.event);
      } else if (typeof record.seq === 'number') {
        this.waitingAnswers.get(record.seq)?.(record);
        this.waitingAnswers.delete(record.seq);
      }
    }
  }
}
