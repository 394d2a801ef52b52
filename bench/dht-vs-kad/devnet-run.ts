/**
 * `peergrid devnet --nodes N` as a child of the benchmark: started in its own process group,
 * used through DIR/devnet.json, and stopped with SIGTERM (the devnet stops its nodes gracefully).
 * Should the devnet not stop in time, it and every node are killed by their process-group ids, so
 * a failed or interrupted run leaves nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEVNET_FILE, type DevnetEntry } from '../../src/cli/devnet/devnet-file.ts';

const BIN = fileURLToPath(new URL('../../bin/peergrid.js', import.meta.url));
/** The devnet's own start limit is 120 s; this is a little more. */
const START_TIMEOUT_MS = 150_000;
/** The devnet gives its nodes 15 s to stop before it kills them; this is a little more. */
const STOP_TIMEOUT_MS = 20_000;

export class DevnetRun {
  /** Every node's entry, once `ready` has resolved. */
  entries: readonly DevnetEntry[] = [];
  /** From spawning `peergrid devnet` to devnet.json: every node started and joined. */
  startMs = NaN;
  /** Resolves when devnet.json is written; rejects if the devnet exits or takes too long first. */
  readonly ready: Promise<void>;
  private readonly child: ChildProcess;
  private readonly dir: string;
  private running = true;
  private readonly exited: Promise<void>;

  /** Spawns at once, so that whoever holds the result can stop it even while it is starting. */
  constructor(nodes: number, dir: string, say: (line: string) => void) {
    this.dir = dir;
    const startedMs = performance.now();
    this.child = spawn(process.execPath, [BIN, 'devnet', '--nodes', String(nodes), '--dir', dir, '--api-port', '0'], {
      stdio: ['ignore', 'ignore', 'pipe'], detached: true,
    });
    this.exited = new Promise<void>((resolve) => this.child.on('exit', () => {
      this.running = false;
      resolve();
    }));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim() !== '') say(`  ${line}`);
    });
    this.ready = this.waitForEntries(startedMs);
    this.ready.catch(() => {});
  }

  private async waitForEntries(startedMs: number): Promise<void> {
    for (;;) {
      const entries = await readEntries(this.dir);
      if (entries !== null) {
        this.entries = entries;
        this.startMs = performance.now() - startedMs;
        return;
      }
      if (!this.running) throw new Error('peergrid devnet exited before all its nodes had joined');
      if (performance.now() - startedMs > START_TIMEOUT_MS) throw new Error(`peergrid devnet did not start within ${START_TIMEOUT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGTERM to the devnet's group; after STOP_TIMEOUT_MS, SIGKILL to it and to each node's group. */
  async stop(): Promise<void> {
    if (this.running) kill(this.child.pid, 'SIGTERM');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
    });
    const tooLate = await Promise.race([this.exited.then(() => false), late]);
    clearTimeout(timer);
    if (!tooLate) return;
    kill(this.child.pid, 'SIGKILL');
    // Nodes outlive a killed devnet, so their groups are killed too (harmless for those already gone).
    const entries = this.entries.length > 0 ? this.entries : (await readEntries(this.dir)) ?? [];
    for (const entry of entries) kill(entry.pid, 'SIGKILL');
  }
}

function kill(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined || pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Gone already.
  }
}

async function readEntries(dir: string): Promise<DevnetEntry[] | null> {
  try {
    return JSON.parse(await readFile(join(dir, DEVNET_FILE), 'utf8')) as DevnetEntry[];
  } catch {
    return null;
  }
}
