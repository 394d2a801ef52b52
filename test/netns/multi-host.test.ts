/**
 * Three hosts, each its own network namespace with its own address, joined by a bridge
 * (namespaces.ts): one `peergrid node start` per host, the second and third joining through the
 * first across the bridge, and every host looking up every other node through its own node's HTTP API
 * (on that host's loopback). Skipped, saying why, where namespaces cannot be made (not root).
 */
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../support/wait-for.ts';
import { tryCreate, type Host, type Hosts } from './namespaces.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const HOST_COUNT = 3;
const API = '127.0.0.1:5380';

interface HostNode {
  readonly host: Host;
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  stderr: string;
}

/** A node on `host`, its process in a group of its own so that it can always be killed by group id. */
function startOn(host: Host, dataDir: string, bootstrap: string | null): HostNode {
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

function eventOf(node: HostNode, name: string): Promise<Record<string, unknown>> {
  return waitFor(`'${name}' on ${node.host.namespace}`, () => {
    if (node.child.exitCode !== null) throw new Error(`the node on ${node.host.namespace} exited:\n${node.stderr}`);
    return node.lines.some((line) => line.event === name);
  }, 30_000).then(() => node.lines.find((line) => line.event === name) as Record<string, unknown>);
}

/** `peergrid lookup <id> --json`, run on `host` against its own node's API. */
function lookupOn(host: Host, id: string): Promise<{ id: string; closest: { id: string }[] }> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', host.namespace, process.execPath, 'bin/peergrid.js', 'lookup', id, '--api', `http://${API}`, '--json'],
      { cwd: repoRoot, timeout: 30_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`lookup on ${host.namespace} failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout) as { id: string; closest: { id: string }[] });
      });
  });
}

describe('nodes on separate hosts (network namespaces)', () => {
  let hosts: Hosts | null = null;
  let unavailable: string | null = null;
  const nodes: HostNode[] = [];
  const dataDirs: string[] = [];

  before(() => {
    const made = tryCreate(HOST_COUNT);
    if ('unavailable' in made) unavailable = made.unavailable;
    else hosts = made;
  });

  after(async () => {
    for (const node of nodes) {
      try {
        if (node.child.pid !== undefined) process.kill(-node.child.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    // The processes are gone before their namespaces are.
    await waitFor('the nodes to exit', () => nodes.every((node) => node.child.exitCode !== null || node.child.signalCode !== null), 10_000).catch(() => {});
    hosts?.destroy();
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('join through the first host and find each other from every host', async (t) => {
    if (hosts === null) {
      t.skip(unavailable ?? 'no hosts');
      return;
    }
    const ids: string[] = [];
    let bootstrap: string | null = null;
    for (const host of hosts.hosts) {
      const dataDir = await mkdtemp(join(tmpdir(), 'peergrid-netns-'));
      dataDirs.push(dataDir);
      const node = startOn(host, dataDir, bootstrap);
      nodes.push(node);
      const started = await eventOf(node, 'started');
      ids.push(started.id as string);
      const multiaddrs = started.multiaddrs as string[];
      assert.ok(multiaddrs.some((address) => address.startsWith(`/ip4/${host.address}/tcp/4100/p2p/`)), `listens on its host's address: ${multiaddrs.join(' ')}`);
      if (bootstrap === null) bootstrap = multiaddrs[0];
      else await eventOf(node, 'joined');
    }
    for (const [index, host] of hosts.hosts.entries()) {
      // A node's lookup names others: its own id is not among the results.
      for (const id of ids.filter((_, other) => other !== index)) {
        const result = await lookupOn(host, id);
        assert.equal(result.closest[0]?.id, id, `${host.namespace} finds ${id.slice(0, 8)}`);
      }
    }
  });
});
