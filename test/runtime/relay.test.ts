/**
 * A node that cannot be dialled is reached through a relay (issue 3's test): relay R serves;
 * node A listens on nothing at all — no direct connection can reach it — and reserves a slot on R;
 * node B, which has never met A, joins through R and reaches A through R. The kernel's messages
 * flow over the relayed connection, which is "limited" (the relay cuts it after a time or a number
 * of bytes): B's lookup finds A and A answers it, and a value B stores is held by A.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { idFromBytes, idToHex } from '../../src/core/id.ts';
import type { NodeRuntime } from '../../src/runtime/node-runtime.ts';
import { NodeRuntime as Runtime } from '../../src/runtime/node-runtime.ts';
import { waitFor } from '../support/wait-for.ts';
import { LOOPBACK_LISTEN, removeDataDirs, stopAll, temporaryDataDir, writeConfig } from './runtime-harness.ts';

describe('a node that cannot be dialled, reached through a relay', () => {
  const nodes: NodeRuntime[] = [];
  const dataDirs: string[] = [];
  let relay: NodeRuntime;
  let hidden: NodeRuntime;
  let other: NodeRuntime;

  async function start(settings: Record<string, unknown>, listen: readonly string[], bootstrap: readonly string[]): Promise<NodeRuntime> {
    const dataDir = await temporaryDataDir();
    dataDirs.push(dataDir);
    await writeConfig(dataDir, settings);
    const node = await Runtime.start({ dataDir, listen, bootstrap });
    nodes.push(node);
    return node;
  }

  before(async () => {
    relay = await start({ relay: { serve: true } }, LOOPBACK_LISTEN, []);
    await relay.joined;
    hidden = await start({ relay: { use: true, serve: false } }, [], [relay.multiaddrs()[0]]);
    await hidden.joined;
  });

  after(async () => {
    await stopAll(nodes);
    await removeDataDirs(dataDirs);
  });

  it('the hidden node reserves a slot on the relay and announces the relayed address', async () => {
    await waitFor('a relayed address', () => hidden.multiaddrs().some((address) => address.includes(`/p2p/${relay.peerId}/p2p-circuit`)), 30_000);
    assert.ok(hidden.multiaddrs().every((address) => address.includes('/p2p-circuit')), `only relayed addresses: ${hidden.multiaddrs().join(' ')}`);
    await waitFor('its address to name the relayed one', () => hidden.status().address.includes('/p2p-circuit'));
    // It tells the relay (its only contact) its new address by rejoining.
    await waitFor('the relay to hold the hidden node’s relayed address', () => relay.contacts().some((contact) =>
      idToHex(contact.peer) === idToHex(hidden.id) && contact.peer.address.includes('/p2p-circuit')), 30_000);
  });

  it('a node that never met it finds it through the relay, and the kernel’s messages flow', async () => {
    other = await start({}, LOOPBACK_LISTEN, [relay.multiaddrs()[0]]);
    await other.joined;
    const found = await other.lookup(hidden.id);
    assert.equal(found.error, null);
    assert.equal(idToHex(found.closest[0]), idToHex(hidden.id));
    // The only way in to the hidden node is through the relay: the connection is relayed and limited.
    await waitFor('a relayed connection to the hidden node', () => other.connections().some((connection) =>
      connection.peerId === hidden.peerId && connection.relayed), 30_000);
    const relayed = other.connections().find((connection) => connection.peerId === hidden.peerId && connection.relayed);
    assert.ok(relayed?.limited, 'a relayed connection is limited, and our protocol runs on it');
    assert.ok(hidden.connections().some((connection) => connection.peerId === other.peerId && connection.relayed && connection.direction === 'inbound'));
    // The hidden node answered: the other node has heard from it directly.
    await waitFor('the hidden node to answer', () => other.contacts().some((contact) => idToHex(contact.peer) === idToHex(hidden.id) && contact.verified));

    const key = idFromBytes(new Uint8Array(32).fill(7));
    const put = await other.put(key, new TextEncoder().encode('through the relay'));
    assert.ok(put.stored >= 1);
    await waitFor('the hidden node to hold the value', () => hidden.status().values >= 1);
    const got = await hidden.get(key);
    assert.equal(new TextDecoder().decode(got.value ?? new Uint8Array()), 'through the relay');
  });
});
