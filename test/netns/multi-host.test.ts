/**
 * Three hosts, each its own network namespace with its own address, joined by a bridge
 * (namespaces.ts): one `peergrid node start` per host, the second and third joining through the
 * first across the bridge, and every host looking up every other node through its own node's HTTP API
 * (on that host's loopback). Skipped, saying why, where namespaces cannot be made (not root).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventOf, lookupOn, useHosts } from './host-node.ts';

const HOST_COUNT = 3;

describe('nodes on separate hosts (network namespaces)', () => {
  const fixture = useHosts(HOST_COUNT);

  it('join through the first host and find each other from every host', async (t) => {
    const hosts = fixture.hosts();
    if (hosts === null) {
      t.skip(fixture.unavailable());
      return;
    }
    const ids: string[] = [];
    let bootstrap: string | null = null;
    for (const host of hosts.hosts) {
      const node = await fixture.start(host, bootstrap, 'peergrid-netns-');
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
