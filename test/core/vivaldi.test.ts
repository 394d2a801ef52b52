/** Vivaldi coordinates converge on a space they can embed exactly, ignore samples that are not RTTs, and are deterministic. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCoordinate, ORIGIN, predictedRttMs, relativeError, vivaldiUpdate, type VivaldiCoordinate } from '../../src/core/vivaldi.ts';
import { Prng } from '../../src/sim/prng.ts';

/** Hosts at known places in a plane with access delays: a space 2-D + height embeds without error. */
function syntheticSpace(seed: number, hosts: number): { rtt: (a: number, b: number) => number } {
  const prng = Prng.fromSeed(seed);
  const places = Array.from({ length: hosts }, () => ({ x: prng.nextFloat() * 300, y: prng.nextFloat() * 300, access: 1 + prng.nextFloat() * 20 }));
  return { rtt: (a, b) => Math.hypot(places[a].x - places[b].x, places[a].y - places[b].y) + places[a].access + places[b].access };
}

function run(seed: number, hosts: number, rounds: number): { coordinates: VivaldiCoordinate[]; medianError: number } {
  const space = syntheticSpace(seed, hosts);
  const prng = Prng.fromSeed(seed + 1);
  const coordinates: VivaldiCoordinate[] = Array.from({ length: hosts }, () => ORIGIN);
  for (let round = 0; round < rounds; round++) {
    for (let node = 0; node < hosts; node++) {
      let peer = Math.floor(prng.nextFloat() * (hosts - 1));
      if (peer >= node) peer++;
      coordinates[node] = vivaldiUpdate(coordinates[node], coordinates[peer], space.rtt(node, peer), prng);
    }
  }
  const errors: number[] = [];
  for (let a = 0; a < hosts; a++) for (let b = a + 1; b < hosts; b++) errors.push(relativeError(predictedRttMs(coordinates[a], coordinates[b]), space.rtt(a, b)));
  errors.sort((p, q) => p - q);
  return { coordinates, medianError: errors[Math.floor(errors.length / 2)] };
}

describe('Vivaldi', () => {
  it('converges on a plane with access delays, from every node at the origin', () => {
    const early = run(7, 64, 5).medianError;
    const { coordinates, medianError } = run(7, 64, 300);
    assert.ok(medianError < 0.05, `median relative error ${medianError.toFixed(4)}`);
    assert.ok(medianError < early / 3, `it improves with samples: ${early.toFixed(3)} → ${medianError.toFixed(4)}`);
    assert.ok(coordinates.every(isCoordinate));
    const meanError = coordinates.reduce((sum, coordinate) => sum + coordinate.error, 0) / coordinates.length;
    assert.ok(meanError < 0.1, `the nodes know they are right: mean error estimate ${meanError.toFixed(3)}`);
  });

  it('is deterministic for a seed', () => {
    assert.deepEqual(run(3, 16, 20).coordinates, run(3, 16, 20).coordinates);
  });

  it('separates two nodes at one place, and moves the less sure node more', () => {
    const prng = Prng.fromSeed(1);
    const moved = vivaldiUpdate(ORIGIN, ORIGIN, 100, prng);
    assert.ok(predictedRttMs(moved, ORIGIN) > predictedRttMs(ORIGIN, ORIGIN));
    const sure: VivaldiCoordinate = { x: 50, y: 0, height: 5, error: 0.05 };
    const unsure: VivaldiCoordinate = { x: 50, y: 0, height: 5, error: 0.9 };
    const far: VivaldiCoordinate = { x: 0, y: 0, height: 5, error: 0.1 };
    const step = (from: VivaldiCoordinate) => Math.hypot(vivaldiUpdate(from, far, 200, prng).x - from.x, 0);
    // Weights 0.9 / (0.9 + 0.1) and 0.05 / (0.05 + 0.1): 2.7 times the step.
    assert.ok(step(unsure) > 2.5 * step(sure), `${step(unsure)} vs ${step(sure)}`);
  });

  it('ignores samples that are not round-trip times, and peer coordinates that are not coordinates', () => {
    const prng = Prng.fromSeed(2);
    const self: VivaldiCoordinate = { x: 10, y: 10, height: 2, error: 0.5 };
    const peer: VivaldiCoordinate = { x: 0, y: 0, height: 2, error: 0.5 };
    for (const rtt of [Number.NaN, -5, 0, Number.POSITIVE_INFINITY, 60_000]) assert.equal(vivaldiUpdate(self, peer, rtt, prng), self, String(rtt));
    for (const bad of [null, {}, { ...peer, x: Number.NaN }, { ...peer, height: -1 }, { ...peer, error: 2 }, { ...peer, y: 1e12 }]) {
      assert.equal(vivaldiUpdate(self, bad as VivaldiCoordinate, 50, prng), self, JSON.stringify(bad));
    }
  });
});
