/**
 * A kad-node.ts child: spawned in its own process group (so it is stopped by group id, never by
 * name), spoken to in JSON lines (bench/support/json-lines-child.ts).
 */
import { fileURLToPath } from 'node:url';
import { JsonLinesChild } from '../support/json-lines-child.ts';

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
  private readonly child: JsonLinesChild;

  private constructor(child: JsonLinesChild) {
    this.child = child;
    this.started = child.event('started').then((record) => record as unknown as KadStarted);
    this.started.catch(() => {});
  }

  /** `log` receives the child's stderr (libp2p's own complaints), one chunk at a time. */
  static spawn(bootstrap: string | null, log: (text: string) => void): KadProcess {
    const args = [SCRIPT, ...(bootstrap === null ? [] : ['--bootstrap', bootstrap])];
    return new KadProcess(JsonLinesChild.spawn({ name: 'kad-dht node', args, stderr: { onText: log }, stopTimeoutMs: STOP_TIMEOUT_MS }));
  }

  get pid(): number {
    return this.child.pid;
  }

  get exited(): Promise<void> {
    return this.child.exited;
  }

  lookup(keyHex: string): Promise<KadLookup> {
    return this.child.command({ op: 'lookup', keyHex }) as unknown as Promise<KadLookup>;
  }

  status(): Promise<KadStatus> {
    return this.child.command({ op: 'status' }) as unknown as Promise<KadStatus>;
  }

  stop(): Promise<void> {
    return this.child.stop();
  }

  signal(signal: NodeJS.Signals): void {
    this.child.signal(signal);
  }
}
