/**
 * A benchmark's child process spoken to in JSON lines: a command on its stdin with a `seq`, the
 * answer on its stdout with the same `seq`; lines with an `event` field announce things unasked
 * ("started", "joined"). Shared by the grid nodes, the kad-dht nodes and the Helia nodes the
 * benchmarks run.
 *
 * Each child runs in a process group of its own (detached) and is stopped by that group's id —
 * SIGTERM, then SIGKILL if it has not gone in time — never by name. Should the benchmark exit
 * without stopping one, a process 'exit' handler kills every group still running; should it die
 * outright (SIGKILL), a child that stops itself when its stdin (our end of a pipe) closes goes too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export type JsonRecord = Record<string, unknown>;

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times (100 on every common architecture). */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ChildOptions {
  /** What the child is called in errors. */
  readonly name: string;
  /** Node's arguments: the script and its own. */
  readonly args: readonly string[];
  /** Where its stderr goes: a file (appended to), or a function given each chunk. */
  readonly stderr: { readonly logPath: string } | { readonly onText: (text: string) => void };
  /** How long a stopped child may take before it is killed. */
  readonly stopTimeoutMs: number;
}

/** Every child not yet seen to exit, for the 'exit' handler. */
const running = new Set<JsonLinesChild>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // 'exit' handlers run synchronously at the very end: a signal is all they can still send.
  process.on('exit', () => {
    for (const child of running) child.signal('SIGKILL');
  });
}

export class JsonLinesChild {
  readonly name: string;
  /** Where its stderr goes, for error messages ("see …"); null when it goes to a function. */
  readonly logPath: string | null;
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private readonly stopTimeoutMs: number;
  private alive = true;
  private rest = '';
  private nextSeq = 1;
  private readonly waitingEvents = new Map<string, (record: JsonRecord) => void>();
  private readonly waitingAnswers = new Map<number, (record: JsonRecord) => void>();

  private constructor(child: ChildProcess, options: ChildOptions) {
    this.name = options.name;
    this.child = child;
    this.stopTimeoutMs = options.stopTimeoutMs;
    this.logPath = 'logPath' in options.stderr ? options.stderr.logPath : null;
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
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
    // A benchmark that dies closes this pipe (the child may stop itself on it); a write after the child went is harmless.
    child.stdin?.on('error', () => {});
  }

  /** Starts `process.execPath` with the options' arguments, in a process group of its own. */
  static spawn(options: ChildOptions): JsonLinesChild {
    installExitHandler();
    if ('onText' in options.stderr) {
      const child = spawn(process.execPath, [...options.args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      child.stderr?.setEncoding('utf8').on('data', options.stderr.onText);
      return new JsonLinesChild(child, options);
    }
    const log = openSync(options.stderr.logPath, 'a', 0o644);
    try {
      return new JsonLinesChild(spawn(process.execPath, [...options.args], { stdio: ['pipe', 'pipe', log], detached: true }), options);
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

  /** The next line announcing `name` (`{"event": name, …}`); rejects if the child exits first. Never left unhandled. */
  event(name: string): Promise<JsonRecord> {
    const promise = new Promise<JsonRecord>((resolve, reject) => {
      this.waitingEvents.set(name, resolve);
      void this.exited.then(() => reject(new Error(`${this.name} exited before '${name}'${this.seeLog()}`)));
    });
    promise.catch(() => {});
    return promise;
  }

  /** Sends a command; resolves with the line answering it (which may carry an `error` the caller reads). */
  command(command: JsonRecord): Promise<JsonRecord> {
    const seq = this.nextSeq++;
    return new Promise((resolve, reject) => {
      if (!this.alive) {
        reject(new Error(`${this.name} has exited`));
        return;
      }
      this.waitingAnswers.set(seq, resolve);
      void this.exited.then(() => reject(new Error(`${this.name} exited during ${String(command.op ?? 'a command')}${this.seeLog()}`)));
      this.child.stdin?.write(`${JSON.stringify({ ...command, seq })}\n`);
    });
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

  /** SIGTERM to its group, SIGKILL if it has not gone after the stop timeout. */
  async stop(): Promise<void> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), this.stopTimeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Signals the child's process group; harmless when it has gone. */
  signal(signal: NodeJS.Signals): void {
    if (!this.alive || this.pid <= 0) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Gone already.
    }
  }

  private seeLog(): string {
    return this.logPath === null ? '' : `; see ${this.logPath}`;
  }

  private onStdout(chunk: string): void {
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) {
      let record: JsonRecord;
      try {
        record = JSON.parse(line) as JsonRecord;
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

/** `promise`, or a rejection naming `what` once `timeoutMs` have passed. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${timeoutMs} ms for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, late]).finally(() => {
    if (timer !== null) clearTimeout(timer);
  });
}
