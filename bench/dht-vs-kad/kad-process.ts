/**
 * A kad-node.ts child: spawned in its own process group (so it is stopped by group id, never by
 * name), spoken to in JSON lines (a command on stdin, its answer on stdout with the same `seq`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./kad-node.ts', import.meta.url));
/** How long a stopped node may take to close libp2p before it is killed. */
const STOP_TIMEOUT_MS = 5000;

export interface KadStarted {
  readonly peerId: string;
  readonly multiaddrs: readonly string[];
  readonly pid: number;
}

export interface KadLookup {
  readonly durationMs: number;
  readonly requests: number;
  readonly answers: number;
  readonly failures: number;
  readonly closest: readonly string[];
  readonly error: string | null;
}

export interface KadStatus {
  readonly routingTableSize: number;
  readonly connections: number;
  readonly rssBytes: number;
}

export class KadProcess {
  readonly started: Promise<KadStarted>;
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, (record: Record<string, unknown>) => void>();
  private nextSeq = 1;
  private rest = '';
  private running = true;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', () => {
      this.running = false;
      resolve();
    }));
    let onStarted: (started: KadStarted) => void = () => {};
    this.started = new Promise((resolve, reject) => {
      onStarted = resolve;
      void this.exited.then(() => reject(new Error('kad-dht node exited before it started')));
    });
    this.started.catch(() => {});
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (this.rest + chunk).split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) {
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (record.event === 'started') onStarted(record as unknown as KadStarted);
        const seq = typeof record.seq === 'number' ? record.seq : -1;
        this.waiting.get(seq)?.(record);
        this.waiting.delete(seq);
      }
    });
  }

  /** `log` receives the child's stderr (libp2p's own complaints), one chunk at a time. */
  static spawn(bootstrap: string | null, log: (text: string) => void): KadProcess {
    const args = [SCRIPT, ...(bootstrap === null ? [] : ['--bootstrap', bootstrap])];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.stderr?.setEncoding('utf8').on('data', log);
    return new KadProcess(child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  lookup(keyHex: string): Promise<KadLookup> {
    return this.request({ op: 'lookup', keyHex }) as unknown as Promise<KadLookup>;
  }

  status(): Promise<KadStatus> {
    return this.request({ op: 'status' }) as unknown as Promise<KadStatus>;
  }

  /** SIGTERM to its group, SIGKILL if it has not gone after STOP_TIMEOUT_MS. */
  async stop(): Promise<void> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.running || this.pid <= 0) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Gone already.
    }
  }

  private request(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    const seq = this.nextSeq++;
    return new Promise((resolve, reject) => {
      if (!this.running) {
        reject(new Error('kad-dht node has exited'));
        return;
      }
      this.waiting.set(seq, resolve);
      void this.exited.then(() => reject(new Error('kad-dht node exited during a command')));
      this.child.stdin?.write(`${JSON.stringify({ ...command, seq })}\n`);
    });
  }
}
