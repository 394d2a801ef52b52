/**
 * The simulated connection set-up (`--connect-rtts`): the first message from a node to another
 * pays the set-up; the receiving end has the connection once a message arrived on it, so its
 * answers pay nothing more — but one it sends before then pays a set-up of its own. A restart
 * closes a node's connections, and each node keeps at most connectionsPerNodeMax.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LatencyModel, Placement } from '../../src/sim/latency/model.ts';
import { defaultNetworkConfig, SimNetwork, type Endpoint } from '../../src/sim/network.ts';
import { Prng } from '../../src/sim/prng.ts';

const RTT_MS = 100;
/** Every pair of hosts RTT_MS apart, with no access delay. */
const flat: LatencyModel = {
  name: 'flat',
  place: (): Placement => ({ host: 0, accessMs: 0, latitude: Number.NaN, longitude: Number.NaN }),
  rttMs: () => RTT_MS,
};

function endpoint(index: number): Endpoint {
  return { index, placement: { host: index, accessMs: 0, latitude: Number.NaN, longitude: Number.NaN }, generation: 1, uplinkFreeAtMs: 0, connections: null };
}

function network(connectionsPerNodeMax = 256): SimNetwork {
  return new SimNetwork({ ...defaultNetworkConfig, connectionSetupRtts: 4, connectionsPerNodeMax }, flat, Prng.fromSeed(1));
}

describe('simulated connections', () => {
  it('charge the first message the set-up, and the answer that came on the connection nothing', () => {
    const net = network();
    const [a, b] = [endpoint(0), endpoint(1)];
    assert.equal(net.transmit(0, a, b, 100), RTT_MS / 2 + 4 * RTT_MS);
    assert.equal(net.transmit(10, a, b, 100), 10 + RTT_MS / 2, 'the sender keeps its connection');
    net.accept(b, a);
    assert.equal(net.transmit(500, b, a, 100), 500 + RTT_MS / 2, 'the answer travels on it');
    assert.equal(net.stats.connectionsOpened, 1);
  });

  it('charge a message the receiving end sends before anything arrived a set-up of its own', () => {
    const net = network();
    const [a, b] = [endpoint(0), endpoint(1)];
    net.transmit(0, a, b, 100);
    assert.equal(net.transmit(1, b, a, 100), 1 + RTT_MS / 2 + 4 * RTT_MS);
    assert.equal(net.stats.connectionsOpened, 2);
  });

  it('forget the connections of a node that restarted, and keep at most connectionsPerNodeMax', () => {
    const net = network(2);
    const [a, b, c, d] = [endpoint(0), endpoint(1), endpoint(2), endpoint(3)];
    net.transmit(0, a, b, 100);
    b.generation++;
    assert.equal(net.transmit(1, a, b, 100), 1 + RTT_MS / 2 + 4 * RTT_MS, 'a new incarnation needs a new connection');
    net.transmit(2, a, c, 100);
    net.transmit(3, a, d, 100);
    // b was the least recently used of three: it was closed.
    assert.equal(net.transmit(4, a, b, 100), 4 + RTT_MS / 2 + 4 * RTT_MS);
    assert.equal(net.transmit(5, a, d, 100), 5 + RTT_MS / 2);
    net.disconnect(a);
    assert.equal(net.transmit(6, a, d, 100), 6 + RTT_MS / 2 + 4 * RTT_MS);
  });

  it('cost nothing when the set-up is 0', () => {
    const net = new SimNetwork(defaultNetworkConfig, flat, Prng.fromSeed(1));
    const [a, b] = [endpoint(0), endpoint(1)];
    assert.equal(net.transmit(0, a, b, 100), RTT_MS / 2);
    net.accept(b, a);
    assert.equal(a.connections, null);
    assert.equal(b.connections, null);
  });
});
