/**
 * A `peergrid node start` child process for multi-process tests. Each runs in its own process
 * group (detached), so a test can always end it — and anything it started — by group id, even
 * when the test fails half-way; nothing is ever killed by name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../support/wait-for.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export type NodeEvent = Record<string, unknown> & { event: string };

export class NodeProcess {
  readonly events: NodeEvent[] = [];
  stderr = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private readonly child: ChildProcess;
  private stdoutRest = '';

  private constructor(child: ChildProcess) {
    this.child = child;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    child.on('exit', (code, signal) => {
      this.exitCode = code;
      this.exitSignal = signal;
    });
  }

  static start(args: readonly string[]): NodeProcess {
    const child = spawn(process.execPath, ['bin/peergrid.js', 'node', 'start', ...args], {
      cwd: repoRoot,
      env: { ...process.env, PEERGRID_DEBUG: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return new NodeProcess(child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === null && this.exitSignal === null;
  }

  /** The first line on stdout with this event, waiting for it if need be. */
  async event(name: string, timeoutMs = 20_000): Promise<NodeEvent> {
    await waitFor(`'${name}' from node process ${this.pid}`, () => {
      if (!this.running && !this.events.some((record) => record.event === name)) {
        throw new Error(`node process ${this.pid} exited (${this.exitCode ?? this.exitSignal}) before '${name}':\n${this.stderr}`);
      }
      return this.events.some((record) => record.event === name);
    }, timeoutMs);
    return this.events.find((record) => record.event === name) as NodeEvent;
  }

  /** Asks the node to stop (SIGTERM to its group) and waits for it to exit; returns the exit code. */
  async stop(timeoutMs = 20_000): Promise<number | null> {
    this.signalGroup('SIGTERM');
    await waitFor(`node process ${this.pid} to exit`, () => !this.running, timeoutMs);
    return this.exitCode;
  }

  /** Ends the whole process group at once; for clean-up after a failure. Harmless when it is gone. */
  kill(): void {
    this.signalGroup('SIGKILL');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.pid <= 0) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  private onStdout(chunk: string): void {
    const lines = (this.stdoutRest + chunk).split('\n');
    this.stdoutRest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() !== '') this.events.push(JSON.parse(line) as NodeEvent);
    }
  }
}
