/**
 * Three hosts, each its own network namespace with its own address, joined by a bridge
 * (namespaces.ts): one `peergrid node start` per host, the second and third joining through the
 * first across the bridge, and every host looking up every other node through its own node's HTTP API
 * (on that host's loopback). Skipped, saying why, where namespaces cannot be made (not root).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventOf, killAll, lookupOn, startOn, type HostNode } from './host-node.ts';
import { tryCreate, type Hosts } from './namespaces.ts';

const HOST_COUNT = 3;

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
    // The processes are gone before their namespaces are.
    await killAll(nodes);
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
