/**
 * `peergrid node start` as separate processes on loopback: four nodes join through the first, a
 * fifth (in this process) looks every one of them up, all shut down gracefully on SIGTERM and
 * leave their routing snapshots behind, and a restarted process keeps its id and rejoins.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { idFromHex, idToHex } from '../../src/core/id.ts';
import { DataFiles } from '../../src/runtime/data-dir.ts';
import type { NodeRuntime } from '../../src/runtime/node-runtime.ts';
import { NodeProcess } from './node-process.ts';
import { LOOPBACK_LISTEN, removeDataDirs, startRuntime, temporaryDataDir } from './runtime-harness.ts';

const PROCESS_COUNT = 4;

describe('node processes on loopback', () => {
  const processes: NodeProcess[] = [];
  const dataDirs: string[] = [];
  let observer: NodeRuntime | null = null;

  after(async () => {
    for (const child of processes) child.kill();
    await observer?.stop();
    await removeDataDirs(dataDirs);
  });

  async function startProcess(bootstrap: string | null, dataDir?: string): Promise<NodeProcess> {
    const dir = dataDir ?? (await temporaryDataDir());
    if (dataDir === undefined) dataDirs.push(dir);
    // Port 0: the default API port would be taken by the first of several nodes.
    const args = ['--data-dir', dir, '--listen', LOOPBACK_LISTEN[0], '--api', '127.0.0.1:0'];
    if (bootstrap !== null) args.push('--bootstrap', bootstrap);
    const child = NodeProcess.start(args);
    processes.push(child);
    return child;
  }

  it('join through the first, are found by another node, stop on SIGTERM and restart with their identity', async () => {
    const first = await startProcess(null);
    const firstDir = dataDirs[dataDirs.length - 1];
    const firstStarted = await first.event('started');
    const bootstrap = (firstStarted.multiaddrs as string[])[0];
    assert.match(bootstrap, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/);

    const others = await Promise.all(Array.from({ length: PROCESS_COUNT - 1 }, () => startProcess(bootstrap)));
    const started = [firstStarted, ...(await Promise.all(others.map((child) => child.event('started'))))];
    await Promise.all(others.map((child) => child.event('joined')));
    const ids = started.map((record) => record.id as string);
    assert.equal(new Set(ids).size, PROCESS_COUNT);

    // A node in this process joins the same way and looks every process up.
    const observerDir = await temporaryDataDir();
    dataDirs.push(observerDir);
    observer = await startRuntime(observerDir, [bootstrap]);
    await observer.joined;
    for (const id of ids) {
      const result = await observer.lookup(idFromHex(id));
      assert.equal(result.error, null);
      assert.equal(idToHex(result.closest[0]), id, `finds ${id}`);
    }

    // Graceful shutdown on SIGTERM: exit status 0, and the snapshot lists the others.
    const all = [first, ...others];
    const codes = await Promise.all(all.map((child) => child.stop()));
    assert.deepEqual(codes, all.map(() => 0), all.map((child) => child.stderr).join('\n'));
    for (const child of all) assert.ok(child.events.some((record) => record.event === 'stopped'));
    const firstSnapshot = JSON.parse(await readFile(join(firstDir, DataFiles.routing), 'utf8')) as { self: string; contacts: { id: string }[] };
    assert.equal(firstSnapshot.self, ids[0]);
    const remembered = new Set(firstSnapshot.contacts.map((contact) => contact.id));
    for (const id of ids.slice(1)) assert.ok(remembered.has(id), `the first node remembers ${id}`);

    // The first node again, from its data directory and nothing else: same id, and it rejoins
    // through the observer, the one contact it remembered that still runs.
    const restarted = await startProcess(null, firstDir);
    const again = await restarted.event('started');
    assert.equal(again.id, ids[0]);
    assert.equal(again.peerId, firstStarted.peerId);
    const rejoined = await restarted.event('joined');
    assert.ok((rejoined.contacts as number) >= 1, 'it found a live contact');
    const found = await observer.lookup(idFromHex(ids[0]));
    assert.equal(idToHex(found.closest[0]), ids[0]);
    assert.equal(await restarted.stop(), 0);
  });
});
