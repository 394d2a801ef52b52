/** The driver between a kernel and a transport: commands settle from events, outputs are drained, stop is clean. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultDhtConfig } from '../../src/core/config.ts';
import { idEquals, idFromHex } from '../../src/core/id.ts';
import { monotonicClock } from '../../src/runtime/clock.ts';
import { CryptoRandom } from '../../src/runtime/crypto-random.ts';
import { NodeDriver, NodeStoppedError } from '../../src/runtime/node-driver.ts';
import { MemoryNetwork } from './memory-transport.ts';

function driverOn(network: MemoryNetwork, fill: number): NodeDriver {
  return new NodeDriver(defaultDhtConfig, { clock: monotonicClock, random: new CryptoRandom(), transport: network.add(fill) });
}

describe('node driver', () => {
  it('joins, looks up, puts and gets over any transport', async () => {
    const network = new MemoryNetwork();
    const drivers = [1, 2, 3, 4].map((fill) => driverOn(network, fill));
    try {
      await drivers[0].join([]);
      for (const driver of drivers.slice(1)) {
        const joined = await driver.join([drivers[0].self]);
        assert.ok(joined.contacts >= 1);
      }
      const found = await drivers[3].lookup(drivers[1].self);
      assert.ok(idEquals(found.closest[0], drivers[1].self));
      const key = idFromHex('05'.repeat(32));
      const put = await drivers[2].put(key, Uint8Array.of(9));
      assert.ok(put.stored >= 3);
      const got = await drivers[1].get(key);
      assert.deepEqual(got.value, Uint8Array.of(9));
      const status = drivers[0].status();
      assert.equal(status.state, 'ready');
      assert.equal(status.contacts, 3);
      assert.ok(status.kernel.requestsServed > 0);
      assert.equal(status.operationsWaiting, 0);
    } finally {
      for (const driver of drivers) driver.stop({ leave: false });
    }
  });

  it('fails operations still waiting when it stops, and refuses new ones', async () => {
    const network = new MemoryNetwork();
    const lonely = driverOn(network, 1);
    // The bootstrap peer does not exist: the join waits on a request that will time out.
    const ghost = network.add(9);
    await ghost.close();
    const joining = lonely.join([ghost.self]);
    assert.equal(lonely.status().operationsWaiting, 1);
    lonely.stop({ leave: true });
    await assert.rejects(joining, NodeStoppedError);
    await assert.rejects(lonely.lookup(ghost.self), NodeStoppedError);
    assert.equal(lonely.status().state, 'left');
  });

  it('a request the transport could not send fails at once, not at its timeout', async () => {
    const network = new MemoryNetwork();
    const lonely = driverOn(network, 1);
    const ghost = network.add(9);
    await ghost.close();
    try {
      await lonely.join([ghost.self]);
      assert.equal(lonely.node.table.find(ghost.self)?.failures, 1, 'the ghost was charged a failure');
      const { kernel } = lonely.status();
      assert.ok(kernel.requestsUndeliverable >= 1);
      assert.equal(kernel.requestsTimedOut, 0, 'nothing waited for a timeout');
    } finally {
      lonely.stop({ leave: false });
    }
  });

  it('passes a kernel refusal back as a rejected promise', async () => {
    const network = new MemoryNetwork();
    const driver = driverOn(network, 1);
    try {
      await assert.rejects(driver.put(idFromHex('01'.repeat(32)), new Uint8Array(70_000)), RangeError);
    } finally {
      driver.stop({ leave: false });
    }
  });
});
