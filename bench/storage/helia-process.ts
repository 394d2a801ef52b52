/**
 * A Helia node process (bench/helia/helia-node.mjs) seen from the benchmark, and `withHeliaNodes`,
 * which starts some and stops them all however the work ends. Each child runs in a process group
 * of its own (detached) and is stopped by that group's id — SIGTERM, then SIGKILL if it has not
 * gone in time — never by name. Should the benchmark exit without stopping one, a process 'exit'
 * handler kills every group still running; should it die outright, each child stops itself when
 * its stdin, our end of a pipe, closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Say = (line: string) => void;

export const HELIA_DIR = fileURLToPath(new URL('../helia/', import.meta.url));
const SCRIPT = join(HELIA_DIR, 'helia-node.mjs');
/** The one command that installs what the Helia figures need (bench/helia/package-lock.json; nothing is fetched at run time). */
export const HELIA_INSTALL_COMMAND = 'cd bench/helia && npm ci';

/** A Helia node stops its libp2p and closes its stores when stopped; after this it is killed. */
const STOP_TIMEOUT_MS = 15_000;
/** How long a node may take to start. */
const START_TIMEOUT_MS = 60_000;
/** Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS_PER_SECOND = 100;

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

/** Every child not yet seen to exit, for the 'exit' handler. */
const running = new Set<HeliaNodeProcess>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // 'exit' handlers run synchronously at the very end: a signal is all they can still send.
  process.on('exit', () => {
    for (const node of running) node.signal('SIGKILL');
  });
}

export class HeliaNodeProcess {
  readonly name: string;
  readonly logPath: string;
  readonly started: Promise<HeliaNodeStarted>;
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private alive = true;
  private rest = '';
  private nextSeq = 1;
  private onStarted: ((record: Record<string, unknown>) => void) | null = null;
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
    this.started = new Promise((resolve, reject) => {
      this.onStarted = (record) => resolve(record as unknown as HeliaNodeStarted);
      void this.exited.then(() => reject(new Error(`${name} exited before it started; see ${logPath}`)));
    });
    this.started.catch(() => {});
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
    child.stdin?.on('error', () => {});
  }

  /** Starts a Helia node keeping its blocks and data under `dir`, logging its stderr to `logPath`. */
  static spawn(name: string, dir: string, logPath: string): HeliaNodeProcess {
    installExitHandler();
    const log = openSync(logPath, 'a', 0o644);
    try {
      const child = spawn(process.execPath, [SCRIPT, '--dir', dir, '--listen', '/ip4/127.0.0.1/tcp/0'], { stdio: ['pipe', 'pipe', log], detached: true });
      return new HeliaNodeProcess(name, child, logPath);
    } finally {
      closeSync(log);
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
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

  /** CPU time the process has used so far (user and system), from /proc; null where there is none. */
  cpuSeconds(): number | null {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      // After the command name (in parentheses, maybe with spaces), utime and stime are the 12th and 13th fields.
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
      this.waitingAnswers.set(seq, (record) => {
        if (typeof record.error === 'string') reject(new Error(`${this.name}: ${String(command.op)} failed: ${record.error}`));
        else resolve(record);
      });
      void this.exited.then(() => reject(new Error(`${this.name} exited during ${String(command.op)}; see ${this.logPath}`)));
      this.child.stdin?.write(`${JSON.stringify({ ...command, seq })}\n`);
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
      if (record.event === 'started') {
        this.onStarted?.(record);
      } else if (typeof record.seq === 'number') {
        this.waitingAnswers.get(record.seq)?.(record);
        this.waitingAnswers.delete(record.seq);
      }
    }
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

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${timeoutMs} ms for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, late]).finally(() => {
    if (timer !== null) clearTimeout(timer);
  });
}
