/**
 * Splitting nodes into parts: even sizes, one host never split, and a lookahead that every
 * message between parts honours; clear refusals where no useful split exists.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { geoLatencyModel } from '../../../src/sim/latency/geo.ts';
import { matrixLatencyModel } from '../../../src/sim/latency/matrix.ts';
import type { Placement } from '../../../src/sim/latency/model.ts';
import { planetLabLatencyModel } from '../../../src/sim/latency/planetlab.ts';
import { partitionNodes, PART_SKEW_MAX } from '../../../src/sim/parallel/node-partition.ts';
import { Prng } from '../../../src/sim/prng.ts';

function placeNodes(count: number, place: (random: Prng) => Placement, seed = 1): Placement[] {
  const random = Prng.fromSeed(seed);
  return Array.from({ length: count }, () => place(random));
}

describe('partitionNodes', () => {
  const planetLab = planetLabLatencyModel();
  for (const parts of [2, 3, 4]) {
    it(`splits 2,000 PlanetLab nodes into ${parts} even parts that are apart by the lookahead`, () => {
      const placements = placeNodes(2000, (random) => planetLab.place(random));
      const { partOf, partSizes, lookaheadMs } = partitionNodes(placements, planetLab, parts);
      assert.equal(partSizes.length, parts);
      assert.equal(partSizes.reduce((a, b) => a + b, 0), 2000);
      for (const size of partSizes) assert.ok(size <= Math.ceil((2000 / parts) * (1 + PART_SKEW_MAX)), `part of ${size} nodes`);
      assert.ok(lookaheadMs >= 1);
      const partOfHost = new Map<number, number>();
      for (let a = 0; a < placements.length; a++) {
        const known = partOfHost.get(placements[a].host);
        if (known !== undefined) assert.equal(partOf[a], known, 'a host is never split');
        partOfHost.set(placements[a].host, partOf[a]);
      }
      // Every message between parts takes at least the lookahead (one way: half the RTT).
      for (let a = 0; a < placements.length; a += 7) {
        for (let b = 0; b < placements.length; b += 11) {
          if (partOf[a] !== partOf[b]) assert.ok(planetLab.rttMs(placements[a], placements[b]) / 2 >= lookaheadMs);
        }
      }
    });
  }

  it('splits a small overlay on the geographic model, where every node is its own host', () => {
    const geo = geoLatencyModel();
    const placements = placeNodes(600, (random) => geo.place(random));
    const { partOf, partSizes, lookaheadMs } = partitionNodes(placements, geo, 2);
    assert.ok(Math.max(...partSizes) <= Math.ceil(300 * (1 + PART_SKEW_MAX)));
    assert.ok(lookaheadMs >= 1 && Number.isFinite(lookaheadMs), `lookahead ${lookaheadMs}`);
    for (let a = 0; a < placements.length; a += 3) {
      for (let b = 1; b < placements.length; b += 5) {
        if (partOf[a] !== partOf[b]) assert.ok(geo.rttMs(placements[a], placements[b]) / 2 >= lookaheadMs);
      }
    }
  });

  it('puts every node in part 0 when there is one part', () => {
    const split = partitionNodes(placeNodes(10, (random) => planetLab.place(random)), planetLab, 1);
    assert.deepEqual([...split.partOf], new Array(10).fill(0));
  });

  it('refuses the geographic model, which gives every node its own host', () => {
    const geo = geoLatencyModel();
    assert.throws(() => partitionNodes(placeNodes(6000, (random) => geo.place(random)), geo, 2), /shared hosts, such as planetlab/);
  });

  it('refuses hosts too close together for any lookahead', () => {
    // Four hosts, all 1 ms apart: half of that rounds down to nothing.
    const rttMs = Float32Array.from([0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0]);
    const model = matrixLatencyModel({ hosts: 4, rttMs }, { name: 'close' });
    const placements = [0, 1, 2, 3].map((host): Placement => ({ host, accessMs: 0, latitude: Number.NaN, longitude: Number.NaN }));
    assert.throws(() => partitionNodes(placements, model, 2), /at least 2 ms of RTT apart/);
  });

  it('refuses a split that one crowded host makes uneven', () => {
    const placements = [0, 0, 0, 0, 0, 1].map((host): Placement => ({ host, accessMs: 0, latitude: Number.NaN, longitude: Number.NaN }));
    assert.throws(() => partitionNodes(placements, planetLab, 2), /parts of even size/);
  });

  it('refuses a number of parts out of range', () => {
    assert.throws(() => partitionNodes([], planetLab, 0), /parts must be an integer from 1 to 255/);
  });
});
