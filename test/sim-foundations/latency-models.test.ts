import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GEO_REGIONS_DEFAULT, geoLatencyModel, greatCircleKm } from '../../src/sim/latency/geo.ts';
import { MatrixFormatError } from '../../src/sim/latency/matrix.ts';
import type { LatencyModel, Placement } from '../../src/sim/latency/model.ts';
import { parseLatencySpec } from '../../src/sim/latency/spec.ts';
import { Prng } from '../../src/sim/prng.ts';

/** RTT quantiles between random pairs of distinct nodes. */
function pairwiseRttQuantiles(model: LatencyModel, seed: number): { median: number; p5: number; p95: number } {
  const random = Prng.fromSeed(seed);
  const placementRandom = random.stream(1);
  const placements = Array.from({ length: 3000 }, () => model.place(placementRandom));
  const pairs = random.stream(2);
  const rtts: number[] = [];
  while (rtts.length < 100_000) {
    const a = placements[pairs.nextUint32() % placements.length];
    const b = placements[pairs.nextUint32() % placements.length];
    if (a !== b) rtts.push(model.rttMs(a, b));
  }
  rtts.sort((x, y) => x - y);
  const at = (fraction: number): number => rtts[Math.floor(fraction * rtts.length)];
  return { median: at(0.5), p5: at(0.05), p95: at(0.95) };
}

describe('geoLatencyModel', () => {
  it('computes great-circle distances (London to New York is about 5570 km)', () => {
    const km = greatCircleKm(51.5074, -0.1278, 40.7128, -74.006);
    assert.ok(Math.abs(km - 5570) < 30, `${km} km`);
    assert.equal(greatCircleKm(10, 20, 10, 20), 0);
    assert.ok(Math.abs(greatCircleKm(0, 0, 0, 180) - Math.PI * 6371) < 1);
  });

  it('is calibrated so that the median RTT between random nodes is between 100 and 150 ms', (t) => {
    const quantiles = pairwiseRttQuantiles(geoLatencyModel(), 2024);
    t.diagnostic(
      `geo RTT between random nodes: median ${quantiles.median.toFixed(1)} ms, ` +
        `5th percentile ${quantiles.p5.toFixed(1)} ms, 95th percentile ${quantiles.p95.toFixed(1)} ms`,
    );
    assert.ok(quantiles.median >= 100 && quantiles.median <= 150, `median ${quantiles.median}`);
    assert.ok(quantiles.p5 < 50, 'nearby nodes should exist');
    assert.ok(quantiles.p95 < 400, 'no pair should be further than half the globe allows');
  });

  it('follows the formula 2 d / 200 km/ms * inflation + base + 2 (access a + access b)', () => {
    const model = geoLatencyModel({ routeInflation: 2, baseMs: 3 });
    const a: Placement = { host: 1, accessMs: 1, latitude: 0, longitude: 0 };
    const b: Placement = { host: 2, accessMs: 0.5, latitude: 0, longitude: 90 };
    const quarterKm = (Math.PI / 2) * 6371;
    assert.ok(Math.abs(model.rttMs(a, b) - ((2 * quarterKm) / 200 * 2 + 3 + 2 * 1.5)) < 1e-9);
  });

  it('is symmetric, and a node compared with itself pays only its access link', () => {
    const model = geoLatencyModel();
    const random = Prng.fromSeed(8);
    const placements = Array.from({ length: 200 }, () => model.place(random));
    for (let i = 0; i < placements.length; i++) {
      const a = placements[i];
      const b = placements[(i * 7 + 3) % placements.length];
      assert.equal(model.rttMs(a, b), model.rttMs(b, a));
      assert.equal(model.rttMs(a, a), 4 * a.accessMs);
    }
    assert.equal(new Set(placements.map((placement) => placement.host)).size, placements.length);
  });

  it('places nodes deterministically given the Random, on the globe, in every region', () => {
    const first = geoLatencyModel();
    const second = geoLatencyModel();
    const a = Prng.fromSeed(5);
    const b = Prng.fromSeed(5);
    const regionHits = new Array<number>(GEO_REGIONS_DEFAULT.length).fill(0);
    for (let i = 0; i < 5000; i++) {
      const p = first.place(a);
      const q = second.place(b);
      assert.deepEqual(p, q);
      assert.ok(p.latitude >= -80 && p.latitude <= 80 && p.longitude >= -180 && p.longitude < 180);
      // Attribute the point to the nearest region centre, to see that every region gets nodes.
      let nearest = 0;
      GEO_REGIONS_DEFAULT.forEach((region, index) => {
        const distance = greatCircleKm(p.latitude, p.longitude, region.latitudeCentre, region.longitudeCentre);
        const best = GEO_REGIONS_DEFAULT[nearest];
        if (distance < greatCircleKm(p.latitude, p.longitude, best.latitudeCentre, best.longitudeCentre)) nearest = index;
      });
      regionHits[nearest]++;
    }
    assert.ok(regionHits.every((hits) => hits > 50), `hits per region ${regionHits}`);
  });

  it('rejects nonsensical options', () => {
    assert.throws(() => geoLatencyModel({ routeInflation: 0.5 }), RangeError);
    assert.throws(() => geoLatencyModel({ baseMs: -1 }), RangeError);
    assert.throws(() => geoLatencyModel({ accessMsMean: Number.NaN }), RangeError);
    assert.throws(() => geoLatencyModel({ regions: [] }), RangeError);
  });
});

describe('parseLatencySpec', () => {
  it('knows geo and planetlab', () => {
    assert.equal(parseLatencySpec('geo').name, 'geo');
    assert.equal(parseLatencySpec(' planetlab ').name, 'planetlab');
  });

  it('loads a matrix file given its path, and passes on its format errors', () => {
    const directory = mkdtempSync(join(tmpdir(), 'peergrid-latency-'));
    try {
      const good = join(directory, 'good.txt');
      writeFileSync(good, '0 10\n10 0\n');
      const model = parseLatencySpec(good);
      assert.equal(model.name, `matrix:${good}`);
      const random = Prng.fromSeed(1);
      const a = model.place(random);
      const b = model.place(random);
      const core = a.host === b.host ? 0 : 10;
      assert.equal(model.rttMs(a, b), core + 2 * (a.accessMs + b.accessMs));
      const bad = join(directory, 'bad.txt');
      writeFileSync(bad, '0 10\n10\n');
      assert.throws(() => parseLatencySpec(bad), MatrixFormatError);
      assert.throws(() => parseLatencySpec(directory), /expected 'geo'.*'planetlab'.*readable RTT matrix file/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('rejects anything else with a message that lists the accepted forms', () => {
    for (const spec of ['', 'Geo', 'king', '/no/such/file.txt']) {
      assert.throws(() => parseLatencySpec(spec), /unknown latency model .*expected 'geo'.*'planetlab'.*path/);
    }
  });
});
