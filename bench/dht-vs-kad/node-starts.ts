/**
 * How long one more node takes to start and to join a running network, measured by starting one
 * at a time (the devnet starts its nodes together, and on 2 cores they wait for each other):
 * - ours: `peergrid node start` on a new data directory through the devnet's node 0 — from spawn
 *   to its `started` line (identity created, libp2p listening, API serving) and to `joined`;
 * - kad-dht: kad-node.ts through the kad-dht node 0 — from spawn to `started` (listening and
 *   connected to the bootstrap) and to a routing table that is not empty (kad-dht adds a peer once
 *   identify has named its protocols).
 * Each node is stopped (SIGTERM to its process group) before the next starts.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DevnetNodeProcess } from '../../src/cli/devnet/node-process.ts';
import { KadProcess } from './kad-process.ts';

const STEP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export interface StartTimes {
  readonly startedMs: number[];
  readonly readyMs: number[];
}

export async function measureOurStarts(dir: string, bootstrap: string, count: number): Promise<StartTimes> {
  const times: StartTimes = { startedMs: [], readyMs: [] };
  for (let index = 0; index < count; index++) {
    const dataDir = join(dir, `start-${index}`);
    await mkdir(dataDir, { recursive: true });
    const startedAtMs = performance.now();
    const node = DevnetNodeProcess.spawn(100 + index, [
      '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--bootstrap', bootstrap,
    ], join(dir, `start-${index}.log`));
    try {
      await within(node.started, 'peergrid node start did not start');
      times.startedMs.push(performance.now() - startedAtMs);
      await within(node.joined, 'peergrid node start did not join');
      times.readyMs.push(performance.now() - startedAtMs);
    } finally {
      node.signal('SIGTERM');
      const killer = setTimeout(() => node.signal('SIGKILL'), STOP_TIMEOUT_MS);
      await node.exited;
      clearTimeout(killer);
    }
  }
  return times;
}

export async function measureKadStarts(bootstrap: string, count: number, log: (text: string) => void): Promise<StartTimes> {
  const times: StartTimes = { startedMs: [], readyMs: [] };
  for (let index = 0; index < count; index++) {
    const startedAtMs = performance.now();
    const node = KadProcess.spawn(bootstrap, log);
    try {
      await within(node.started, 'kad-dht node did not start');
      times.startedMs.push(performance.now() - startedAtMs);
      const deadlineMs = performance.now() + STEP_TIMEOUT_MS;
      while ((await node.status()).routingTableSize === 0) {
        if (performance.now() > deadlineMs) throw new Error('kad-dht node found no peer');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      times.readyMs.push(performance.now() - startedAtMs);
    } finally {
      await node.stop();
    }
  }
  return times;
}

async function within<T>(step: Promise<T>, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), STEP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([step, late]);
  } finally {
    clearTimeout(timer);
  }
}
