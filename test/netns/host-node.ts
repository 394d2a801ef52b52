/**
 * `peergrid node start` on a host made as a network namespace (namespaces.ts), and client commands
 * run on that host against its node's API (on the host's own loopback). Each node runs in a process
 * group of its own, so that a test can always kill it by group id.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../support/wait-for.ts';
import { tryCreate, type Host, type Hosts } from './namespaces.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const API = '127.0.0.1:5380';

export interface HostNode {
  readonly host: Host;
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  stderr: string;
}

/** A node on `host`, listening on the host's address at port 4100, joining through `bootstrap` if given. */
export function startOn(host: Host, dataDir: string, bootstrap: string | null): HostNode {
  const args = ['netns', 'exec', host.namespace, process.execPath, 'bin/peergrid.js', 'node', 'start',
    '--data-dir', dataDir, '--listen', `/ip4/${host.address}/tcp/4100`, '--api', API];
  if (bootstrap !== null) args.push('--bootstrap', bootstrap);
  const child = spawn('ip', args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const node: HostNode = { host, child, lines: [], stderr: '' };
  let rest = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') node.lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (node.stderr += chunk));
  return node;
}

export function eventOf(node: HostNode, name: string): Promise<Record<string, unknown>> {
  return waitFor(`'${name}' on ${node.host.namespace}`, () => {
    if (node.child.exitCode !== null) throw new Error(`the node on ${node.host.namespace} exited:\n${node.stderr}`);
    return node.lines.some((line) => line.event === name);
  }, 30_000).then(() => node.lines.find((line) => line.event === name) as Record<string, unknown>);
}

/** `peergrid <command…> --json`, run on `host` against its own node's API. */
export function clientOn<T>(host: Host, command: readonly string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', host.namespace, process.execPath, 'bin/peergrid.js', ...command, '--api', `http://${API}`, '--json'],
      { cwd: repoRoot, timeout: 30_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${command.join(' ')} on ${host.namespace} failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout) as T);
      });
  });
}

/** `peergrid lookup <id> --json` on `host`. */
export function lookupOn(host: Host, id: string): Promise<{ id: string; closest: { id: string }[] }> {
  return clientOn(host, ['lookup', id]);
}

/** Kills every node's process group, and waits until they are gone. */
export async function killAll(nodes: readonly HostNode[]): Promise<void> {
  for (const node of nodes) {
    try {
      if (node.child.pid !== undefined) process.kill(-node.child.pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  await waitFor('the nodes to exit', () => nodes.every((node) => node.child.exitCode !== null || node.child.signalCode !== null), 10_000).catch(() => {});
}

/** Hosts for one test file: made before its tests, and after them its nodes killed, then the hosts and data directories removed. */
export interface HostFixture {
  /** Null where namespaces cannot be made; `unavailable` says why. */
  readonly hosts: () => Hosts | null;
  readonly unavailable: () => string;
  /** A node on `host` in a new temporary data directory, killed and removed after the tests. */
  start(host: Host, bootstrap: string | null, dataDirPrefix: string): Promise<HostNode>;
}

export function useHosts(count: number): HostFixture {
  let hosts: Hosts | null = null;
  let unavailable = 'no hosts';
  const nodes: HostNode[] = [];
  const dataDirs: string[] = [];
  before(() => {
    const made = tryCreate(count);
    if ('unavailable' in made) unavailable = made.unavailable;
    else hosts = made;
  });
  after(async () => {
    // The processes are gone before their namespaces are.
    await killAll(nodes);
    hosts?.destroy();
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return {
    hosts: () => hosts,
    unavailable: () => unavailable,
    async start(host, bootstrap, dataDirPrefix) {
      const dataDir = await mkdtemp(join(tmpdir(), dataDirPrefix));
      dataDirs.push(dataDir);
      const node = startOn(host, dataDir, bootstrap);
      nodes.push(node);
      return node;
    },
  };
}
