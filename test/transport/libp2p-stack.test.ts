/**
 * The libp2p node as peergrid builds it (create-libp2p.ts): which protocols it speaks with which
 * settings, what it announces, and when it serves as a relay. DCUtR is checked only for being
 * there: hole punching needs two NATs, which loopback cannot give (docs/NODE.md says so).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Libp2p } from '@libp2p/interface';
import { defaultRelayOptions, type Libp2pNodeOptions } from '../../src/transport/libp2p/create-libp2p.ts';
import { waitFor } from '../support/wait-for.ts';
import { startRawLibp2p } from './libp2p-harness.ts';

const HOP = '/libp2p/circuit/relay/0.2.0/hop';
const STOP = '/libp2p/circuit/relay/0.2.0/stop';

describe('the libp2p stack', () => {
  const started: Libp2p[] = [];

  async function start(options: Partial<Libp2pNodeOptions>): Promise<Libp2p> {
    const node = await startRawLibp2p(options);
    started.push(node);
    return node;
  }

  after(async () => {
    await Promise.allSettled(started.map((node) => node.stop()));
  });

  it('speaks identify, ping, AutoNAT, DCUtR and the relay’s stop protocol; on loopback it does not serve as a relay', async () => {
    const node = await start({});
    const protocols = node.getProtocols();
    for (const protocol of ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0', '/libp2p/autonat/1.0.0', '/libp2p/dcutr', STOP]) {
      assert.ok(protocols.includes(protocol), `${protocol} in ${protocols.join(' ')}`);
    }
    assert.ok(!protocols.includes(HOP));
  });

  it('serves as a relay when told to, and leaves DCUtR out when told to', async () => {
    const serving = await start({ relay: { ...defaultRelayOptions, serve: 'always' }, holePunching: false });
    assert.ok(serving.getProtocols().includes(HOP));
    assert.ok(!serving.getProtocols().includes('/libp2p/dcutr'));
  });

  it('in auto mode, serves as a relay once it has a public address (here one it announces)', async () => {
    // Nobody dials the announced address: no other node runs in this test.
    const node = await start({ announce: ['/ip4/8.8.8.8/tcp/4100'] });
    assert.deepEqual(node.getMultiaddrs().map(String), [`/ip4/8.8.8.8/tcp/4100/p2p/${node.peerId}`]);
    await waitFor('the relay protocol', () => node.getProtocols().includes(HOP));
  });

  it('listens on WebSockets beside TCP', async () => {
    const node = await start({ listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'] });
    const addresses = node.getMultiaddrs().map(String);
    assert.ok(addresses.some((address) => /\/tcp\/\d+\/p2p\//.test(address)), addresses.join(' '));
    assert.ok(addresses.some((address) => /\/tcp\/\d+\/ws\/p2p\//.test(address)), addresses.join(' '));
  });
});
