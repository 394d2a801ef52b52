/**
 * mDNS on a LAN: three hosts as network namespaces on one bridge (namespaces.ts), one
 * `peergrid node start` each, with no bootstrap at all and the default settings (mdns 'auto' is
 * on for a machine whose addresses are LAN ones). They find each other by multicast, join through
 * what they found, and every host finds every other node by a lookup. Multicast cannot be tested
 * on this machine's loopback without sending it onto the real network, hence the namespaces.
 * Skipped, saying why, where namespaces cannot be made (not root).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../support/wait-for.ts';
import { clientOn, eventOf, lookupOn, useHosts } from './host-node.ts';

const HOST_COUNT = 3;

describe('nodes on one LAN, without bootstrap (mDNS, network namespaces)', () => {
  const fixture = useHosts(HOST_COUNT);

  it('find each other by multicast and look each other up', async (t) => {
    const hosts = fixture.hosts();
    if (hosts === null) {
      t.skip(fixture.unavailable());
      return;
    }
    const ids: string[] = [];
    for (const host of hosts.hosts) {
      const node = await fixture.start(host, null, 'peergrid-lan-');
      ids.push((await eventOf(node, 'started')).id as string);
    }
    for (const [index, host] of hosts.hosts.entries()) {
      const others = ids.filter((_, other) => other !== index);
      // mDNS asks every 10 s; a node that knows nobody joins through the first it finds.
      await waitForAsync(`${host.namespace} to know the other nodes`, async () => {
        const peers = await clientOn<{ contacts: { id: string }[] }>(host, ['peers']);
        return others.every((id) => peers.contacts.some((contact) => contact.id === id));
      });
      for (const id of others) {
        const result = await lookupOn(host, id);
        assert.equal(result.closest[0]?.id, id, `${host.namespace} finds ${id.slice(0, 8)}`);
      }
    }
  });
});

/** waitFor for a condition that needs a process to answer: polled once a second, for at most 60 s. */
async function waitForAsync(what: string, condition: () => Promise<boolean>): Promise<void> {
  let met = false;
  let checking = false;
  await waitFor(what, () => {
    if (!checking) {
      checking = true;
      condition().then((result) => {
        met = result;
      }, () => {}).finally(() => {
        setTimeout(() => {
          checking = false;
        }, 1000);
      });
    }
    return met;
  }, 60_000);
}
