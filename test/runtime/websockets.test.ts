/**
 * WebSockets beside TCP: a node that listens on a WebSocket address only is joined, found and
 * reached over it — by a node it bootstraps, and by one that only heard of it from another.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { idToHex } from '../../src/core/id.ts';
import { NodeRuntime } from '../../src/runtime/node-runtime.ts';
import { waitFor } from '../support/wait-for.ts';
import { LOOPBACK_LISTEN, removeDataDirs, stopAll, temporaryDataDir } from './runtime-harness.ts';

describe('WebSockets', () => {
  const nodes: NodeRuntime[] = [];
  const dataDirs: string[] = [];

  async function start(listen: readonly string[], bootstrap: readonly string[]): Promise<NodeRuntime> {
    const dataDir = await temporaryDataDir();
    dataDirs.push(dataDir);
    const node = await NodeRuntime.start({ dataDir, listen, bootstrap });
    nodes.push(node);
    await node.joined;
    return node;
  }

  after(async () => {
    await stopAll(nodes);
    await removeDataDirs(dataDirs);
  });

  it('a node listening only on /ws is joined, looked up and reached over it', async () => {
    const web = await start(['/ip4/127.0.0.1/tcp/0/ws'], []);
    assert.ok(web.multiaddrs().length > 0 && web.multiaddrs().every((address) => /\/tcp\/\d+\/ws\/p2p\//.test(address)), web.multiaddrs().join(' '));
    const tcp = await start(LOOPBACK_LISTEN, [web.multiaddrs()[0]]);
    // A third node hears of the WebSocket node only from the second, and dials the address it was given.
    const third = await start(LOOPBACK_LISTEN, [tcp.multiaddrs()[0]]);

    for (const asker of [tcp, third]) {
      const found = await asker.lookup(web.id);
      assert.equal(found.error, null);
      assert.equal(idToHex(found.closest[0]), idToHex(web.id));
      await waitFor('a WebSocket connection to the node', () => asker.connections().some((connection) =>
        connection.peerId === web.peerId && connection.remoteAddress.includes('/ws')));
      await waitFor('the WebSocket node to answer', () => asker.contacts().some((contact) => idToHex(contact.peer) === idToHex(web.id) && contact.verified));
    }
    const back = await web.lookup(third.id);
    assert.equal(idToHex(back.closest[0]), idToHex(third.id));
  });
});
