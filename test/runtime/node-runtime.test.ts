/**
 * Real nodes in one process over libp2p on loopback: they join, find each other, store and fetch
 * values, shrug off garbage, and keep their identity and contacts across a restart.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { multiaddr } from '@multiformats/multiaddr';
import { idEquals, idFromHex, idToHex } from '../../src/core/id.ts';
import { DataFiles } from '../../src/runtime/data-dir.ts';
import type { NodeRuntime } from '../../src/runtime/node-runtime.ts';
import { encodeFrame } from '../../src/transport/libp2p/frames.ts';
import { KAD_PROTOCOL } from '../../src/transport/libp2p/protocol.ts';
import { startRawLibp2p, streamClosed } from '../transport/libp2p-harness.ts';
import { waitFor } from '../support/wait-for.ts';
import { removeDataDirs, startGrid, startRuntime, stopAll, temporaryDataDir } from './runtime-harness.ts';

describe('three nodes on loopback', () => {
  const dataDirs: string[] = [];
  let nodes: NodeRuntime[] = [];
  after(async () => {
    await stopAll(nodes);
    await removeDataDirs(dataDirs);
  });

  it('join through the first and look each other up', async () => {
    nodes = await startGrid(3, dataDirs);
    for (const from of nodes) {
      for (const target of nodes) {
        if (from === target) continue;
        const result = await from.lookup(target.id);
        assert.equal(result.error, null);
        assert.ok(result.closest.length >= 1, 'something was found');
        assert.equal(idToHex(result.closest[0]), idToHex(target.id), `${from.peerId} finds ${target.peerId}`);
        assert.equal(result.closest[0].address, target.self.address);
      }
    }
  });

  it('store a value at one node and fetch it from another', async () => {
    const key = idFromHex('ab'.repeat(32));
    const value = new TextEncoder().encode('hello, grid');
    const put = await nodes[1].put(key, value);
    assert.ok(put.stored >= 2, `stored at ${put.stored}`);
    const got = await nodes[2].get(key);
    assert.deepEqual(got.value, value);
    const missing = await nodes[0].get(idFromHex('cd'.repeat(32)));
    assert.equal(missing.value, null);
  });

  it('reset a garbage stream, count the penalty, and keep serving', async () => {
    const [victim, other] = nodes;
    const attacker = await startRawLibp2p();
    try {
      const stream = await attacker.dialProtocol(victim.multiaddrs().map((text) => multiaddr(text)), KAD_PROTOCOL, { signal: AbortSignal.timeout(10_000) });
      stream.send(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
      assert.deepEqual(await streamClosed(stream), { reset: true });
      await waitFor('the penalty', () => victim.status().penalties.total > 0);
      assert.match(victim.status().penalties.recent[0].lastReason, /frame length prefix/);
      const stream2 = await attacker.dialProtocol(victim.multiaddrs().map((text) => multiaddr(text)), KAD_PROTOCOL, { signal: AbortSignal.timeout(10_000) });
      stream2.send(encodeFrame(new Uint8Array(2000).fill(0x41)));
      assert.deepEqual(await streamClosed(stream2), { reset: true });
      await waitFor('the second penalty', () => victim.status().penalties.total > 1);
    } finally {
      await attacker.stop();
    }
    const result = await other.lookup(victim.id);
    assert.ok(idEquals(result.closest[0], victim.id));
    const status = victim.status();
    assert.equal(status.state, 'ready');
    assert.ok(status.transport.messagesReceived > 0);
  });
});

describe('a node that shuts down gracefully', () => {
  const dataDirs: string[] = [];
  let nodes: NodeRuntime[] = [];
  after(async () => {
    await stopAll(nodes);
    await removeDataDirs(dataDirs);
  });

  it('tells its contacts, who drop it at once', async () => {
    nodes = await startGrid(3, dataDirs);
    const [first, second, leaving] = nodes;
    for (const node of [first, second]) await node.lookup(leaving.id);
    const knows = (node: NodeRuntime): boolean => node.status().contacts === 2;
    assert.ok(knows(first) && knows(second));
    await leaving.stop();
    await waitFor('both to drop the leaver', () => first.status().contacts === 1 && second.status().contacts === 1);
  });
});

describe('a restarted node', () => {
  const dataDirs: string[] = [];
  const running: NodeRuntime[] = [];
  after(async () => {
    await stopAll(running);
    await removeDataDirs(dataDirs);
  });

  it('keeps its identity and its contacts when it starts again on the same data directory', async () => {
    const nodes = await startGrid(2, dataDirs);
    running.push(...nodes);
    const [seed, restarting] = nodes;
    const idBefore = idToHex(restarting.id);
    const peerIdBefore = restarting.peerId;
    await restarting.stop();
    const saved = JSON.parse(await readFile(join(restarting.dataDir, DataFiles.routing), 'utf8')) as { contacts: { id: string }[] };
    assert.ok(saved.contacts.some((contact) => contact.id === idToHex(seed.id)), 'the snapshot lists the seed');

    // No bootstrap this time: it rejoins through the contacts it remembered.
    const again = await startRuntime(restarting.dataDir);
    running.push(again);
    assert.equal(idToHex(again.id), idBefore);
    assert.equal(again.peerId, peerIdBefore);
    await again.joined;
    assert.ok(again.status().contacts >= 1);
    const result = await again.lookup(seed.id);
    assert.ok(idEquals(result.closest[0], seed.id));
    // And the seed learns its new address (a new ephemeral port) when it hears from it.
    const back = await seed.lookup(again.id);
    assert.ok(idEquals(back.closest[0], again.id));
    assert.equal(back.closest[0].address, again.self.address);
  });

  it('refuses to start twice on one data directory', async () => {
    const dataDir = await temporaryDataDir();
    dataDirs.push(dataDir);
    const first = await startRuntime(dataDir);
    running.push(first);
    await assert.rejects(startRuntime(dataDir), { name: 'DataDirLockedError' });
  });
});
