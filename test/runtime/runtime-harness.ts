/** Real nodes in this process, on 127.0.0.1 with ephemeral ports, each in its own temporary data directory. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeRuntime } from '../../src/runtime/node-runtime.ts';

export const LOOPBACK_LISTEN = ['/ip4/127.0.0.1/tcp/0'];

export async function temporaryDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'peergrid-test-'));
}

export async function removeDataDirs(dirs: readonly string[]): Promise<void> {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

export async function startRuntime(dataDir: string, bootstrap: readonly string[] = []): Promise<NodeRuntime> {
  return NodeRuntime.start({ dataDir, listen: LOOPBACK_LISTEN, bootstrap });
}

/** Starts `count` nodes, the first alone and every other joining through it, and waits until all have joined. */
export async function startGrid(count: number, dataDirs: string[]): Promise<NodeRuntime[]> {
  const nodes: NodeRuntime[] = [];
  for (let index = 0; index < count; index++) {
    const dataDir = await temporaryDataDir();
    dataDirs.push(dataDir);
    const bootstrap = index === 0 ? [] : [nodes[0].multiaddrs()[0]];
    const node = await startRuntime(dataDir, bootstrap);
    nodes.push(node);
    await node.joined;
  }
  return nodes;
}

export async function stopAll(nodes: readonly NodeRuntime[]): Promise<void> {
  await Promise.allSettled(nodes.map((node) => node.stop()));
}

/** Writes config.json into a data directory before the node's first start (settings not given take their defaults). */
export async function writeConfig(dataDir: string, settings: Record<string, unknown>): Promise<void> {
  await writeFile(join(dataDir, 'config.json'), `${JSON.stringify(settings, null, 2)}\n`);
}
