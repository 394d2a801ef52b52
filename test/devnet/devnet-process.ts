/**
 * A `peergrid devnet` child process for tests. It runs in its own process group (detached) and
 * its nodes each in theirs, so clean-up never depends on names: stop() asks the devnet to stop
 * its nodes (SIGTERM) and waits; kill() then SIGKILLs the devnet's group and the group of every
 * node devnet.json lists, whether or not the test got that far.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DevnetEntry } from '../../src/cli/devnet/devnet-file.ts';
import { waitFor } from '../support/wait-for.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export type { DevnetEntry };

export class DevnetProcess {
  readonly dir: string;
  stdout = '';
  stderr = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private readonly child: ChildProcess;

  private constructor(dir: string, child: ChildProcess) {
    this.dir = dir;
    this.child = child;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    child.on('exit', (code, signal) => {
      this.exitCode = code;
      this.exitSignal = signal;
    });
  }

  static start(args: readonly string[], dir: string): DevnetProcess {
    const child = spawn(process.execPath, ['bin/peergrid.js', 'devnet', '--dir', dir, ...args], {
      cwd: repoRoot,
      env: { ...process.env, PEERGRID_DEBUG: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return new DevnetProcess(dir, child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === null && this.exitSignal === null;
  }

  /** devnet.json, once the devnet has written it (when all its nodes have joined). */
  async entries(timeoutMs: number): Promise<DevnetEntry[]> {
    let entries: DevnetEntry[] | null = null;
    await waitFor('devnet.json', () => {
      if (!this.running) throw new Error(`the devnet exited (${this.exitCode ?? this.exitSignal}) before devnet.json:\n${this.stderr}`);
      entries = this.readEntries();
      return entries !== null;
    }, timeoutMs);
    return entries as unknown as DevnetEntry[];
  }

  /** SIGTERM to the devnet, which stops its nodes; resolves with its exit status once it has exited. */
  async stop(timeoutMs: number): Promise<number | null> {
    signalGroup(this.pid, 'SIGTERM');
    await waitFor(`the devnet (pid ${this.pid}) to exit`, () => !this.running, timeoutMs);
    return this.exitCode;
  }

  /** SIGKILL to the devnet's group and to every node group devnet.json names. Harmless when they are gone. */
  kill(): void {
    signalGroup(this.pid, 'SIGKILL');
    for (const entry of this.readEntries() ?? []) signalGroup(entry.pid, 'SIGKILL');
  }

  private readEntries(): DevnetEntry[] | null {
    try {
      return JSON.parse(readFileSync(join(this.dir, 'devnet.json'), 'utf8')) as DevnetEntry[];
    } catch {
      return null;
    }
  }
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * What every devnet test's after() does: the devnet stopped gracefully if it still runs, then
 * whatever is left of it killed by process group, and its directory removed (kept with
 * PEERGRID_KEEP_TEST_DIR=1, for the nodes' logs after a failure).
 */
export async function cleanUpDevnet(devnet: DevnetProcess | null, dir: string): Promise<void> {
  if (devnet !== null) {
    if (devnet.running) await devnet.stop(30_000).catch(() => {});
    devnet.kill();
  }
  if (dir !== '' && process.env.PEERGRID_KEEP_TEST_DIR !== '1') await rm(dir, { recursive: true, force: true });
}
