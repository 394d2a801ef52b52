/** The simulated transport (src/sim/transport/sim-fabric.ts) passes the transport compliance suite, on PlanetLab latency. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomId } from '../../src/core/id.ts';
import { planetLabLatencyModel } from '../../src/sim/latency/planetlab.ts';
import { defaultNetworkConfig, SimNetwork } from '../../src/sim/network.ts';
import { Prng } from '../../src/sim/prng.ts';
import { SimFabric, type SimTransport } from '../../src/sim/transport/sim-fabric.ts';
import { transportCompliance, type TransportFixture } from './compliance.ts';

/** Events the fabric may run before a condition counts as never coming true. */
const STEPS_MAX = 1_000_000;

function simFixture(seed: number): TransportFixture {
  const random = Prng.fromSeed(seed);
  const fabric = new SimFabric(new SimNetwork(defaultNetworkConfig, planetLabLatencyModel(), random.stream(1)), random.stream(2));
  const ids = random.stream(3);
  return {
    start: async (count) => Array.from({ length: count }, () => fabric.add(randomId(ids))),
    crash: async (transport) => (transport as SimTransport).close(),
    settle: async (what, condition) => {
      for (let steps = 0; !condition(); steps++) {
        if (steps >= STEPS_MAX || !fabric.step()) throw new Error(`the simulated network went quiet before ${what}`);
      }
    },
    stop: async () => {},
  };
}

transportCompliance('simulated (PlanetLab latency)', async () => simFixture(1));

describe('simulated transport', () => {
  it('a message takes half the model\'s round-trip time, in virtual time', async () => {
    const random = Prng.fromSeed(2);
    const network = new SimNetwork(defaultNetworkConfig, planetLabLatencyModel(), random.stream(1));
    const fabric = new SimFabric(network, random.stream(2));
    const [a, b] = [fabric.add(randomId(random)), fabric.add(randomId(random))];
    let arrivedAtMs = -1;
    b.bind({ onMessage: () => (arrivedAtMs = fabric.nowMs), onUndeliverable: () => {}, onPenalty: () => {} });
    a.send(b.self, { kind: 'ping', requestId: 1 });
    fabric.runUntil(60_000);
    assert.equal(arrivedAtMs, Math.round(network.rttMs(a.endpoint, b.endpoint) / 2));
  });

  it('a partition silences messages without reporting them', async () => {
    const random = Prng.fromSeed(3);
    const network = new SimNetwork(defaultNetworkConfig, planetLabLatencyModel(), random.stream(1));
    const fabric = new SimFabric(network, random.stream(2));
    const [a, b] = [fabric.add(randomId(random)), fabric.add(randomId(random))];
    const seen: string[] = [];
    a.bind({ onMessage: () => seen.push('a message'), onUndeliverable: () => seen.push('undeliverable'), onPenalty: () => {} });
    b.bind({ onMessage: () => seen.push('b message'), onUndeliverable: () => {}, onPenalty: () => {} });
    network.partition([[a.endpoint.index], [b.endpoint.index]]);
    a.send(b.self, { kind: 'ping', requestId: 1 });
    fabric.runUntil(60_000);
    assert.deepEqual(seen, []);
    network.heal();
    a.send(b.self, { kind: 'ping', requestId: 2 });
    fabric.runUntil(120_000);
    assert.deepEqual(seen, ['b message']);
  });
});
