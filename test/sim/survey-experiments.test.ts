/** The survey experiments (issue 6): load-balance (XOR placement, virtual identifiers), hops-vs-n, flooding-vs-dht, partition, replication-vs-erasure, churn and proximity, and the CLI that runs them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { runLoadBalance, xorClosest } from '../../src/sim/experiments/survey/load-balance.ts';
import { runSimExperiment } from '../../src/cli/sim-experiment/command.ts';
import { UsageError } from '../../src/cli/args.ts';
import type { ProximityResult } from '../../src/sim/experiments/survey/proximity.ts';
import type { ChurnResult } from '../../src/sim/experiments/survey/churn.ts';
import type { SearchResult } from '../../src/sim/experiments/survey/search.ts';

describe('load-balance', () => {
  it('finds the identifier closest by XOR, as a search of every one does', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.nat({ max: 0xffff_ffff }), { minLength: 1, maxLength: 40 }), fc.nat({ max: 0xffff_ffff }), (raw, key) => {
      const ids = Uint32Array.from([...raw].sort((a, b) => a - b));
      let best = 0;
      for (let index = 1; index < ids.length; index++) if (((ids[index] ^ key) >>> 0) < ((ids[best] ^ key) >>> 0)) best = index;
      assert.equal(xorClosest(ids, key), best);
    }), { numRuns: 500 });
  });

  it('measures the most loaded node against the mean, and virtual identifiers bring it down', () => {
    const result = runLoadBalance({ seed: 4, nodes: [100, 2000], keysPerNode: 50 });
    assert.equal(result.experiment, 'load-balance');
    const [plain, virtual] = result.series;
    assert.deepEqual(plain.points.map((point) => [point.nodes, point.virtualPerNode, point.keys]), [[100, 1, 5000], [2000, 1, 100_000]]);
    assert.deepEqual(virtual.points.map((point) => point.virtualPerNode), [7, 11]);
    for (const [index, point] of plain.points.entries()) {
      assert.ok(point.maxOverMean > 2, `one identifier each, ${point.nodes} nodes: ${point.maxOverMean}`);
      assert.ok(virtual.points[index].maxOverMean < point.maxOverMean, 'virtual identifiers even the load');
      assert.ok(point.p99OverMean <= point.maxOverMean);
    }
    assert.deepEqual(runLoadBalance({ seed: 4, nodes: [100, 2000], keysPerNode: 50 }), result, 'the same for a seed');
  });

  // The 99th percentile was read one rank too high, which at 100 machines is the most loaded one
  // (these seeds have no tie at the top; one with a tie would give p99 = max either way).
  it('takes the 99th percentile by nearest rank: of 100 machines the 99th most loaded, not the most loaded', () => {
    for (const seed of [1, 4, 7]) {
      for (const series of runLoadBalance({ seed, nodes: [100], keysPerNode: 50 }).series) {
        const [point] = series.points;
        assert.ok(point.p99OverMean < point.maxOverMean, `seed ${seed}, ${series.label}: p99 ${point.p99OverMean}, max ${point.maxOverMean}`);
      }
    }
  });

  it('runs from the CLI, as JSON, and refuses what it cannot run', async () => {
    let out = '';
    let err = '';
    await runSimExperiment(['load-balance', '--nodes', '50,200', '--seed', '3', '--json'], { out: (text) => (out += text), err: (text) => (err += text), env: {} });
    assert.equal(err, 'seed=3\n');
    const parsed = JSON.parse(out) as { series: { points: unknown[] }[] };
    assert.equal(parsed.series[0].points.length, 2);
    const io = { out: () => {}, err: () => {}, env: {} };
    for (const args of [[], ['flooding'], ['load-balance', 'extra'], ['load-balance', '--nodes', '5'], ['load-balance', '--nodes', 'x'], ['load-balance', '--keys-per-node', '0'], ['load-balance', '--lookups', '5'], ['hops-vs-n', '--keys-per-node', '5'], ['hops-vs-n', '--nodes', '100000']]) {
      await assert.rejects(runSimExperiment(args, io), UsageError, JSON.stringify(args));
    }
  });

  it('hops-vs-n: lookups at each size, their hops beside log n', async () => {
    let out = '';
    await runSimExperiment(['hops-vs-n', '--nodes', '40,200', '--lookups', '100', '--seed', '2', '--json'], { out: (text) => (out += text), err: () => {}, env: {} });
    const result = JSON.parse(out) as { experiment: string; bitsPerDigit: number; points: { nodes: number; hopsMean: number; correctRate: number; logBaseDigitN: number; log2N: number }[] };
    assert.equal(result.experiment, 'hops-vs-n');
    assert.deepEqual(result.points.map((point) => point.nodes), [40, 200]);
    for (const point of result.points) {
      assert.equal(point.correctRate, 1);
      assert.ok(point.hopsMean >= 1 && point.hopsMean <= point.logBaseDigitN + 1, JSON.stringify(point));
      assert.equal(point.log2N, Math.round(Math.log2(point.nodes) * 1000) / 1000);
    }
  });

  it('flooding-vs-dht: a flood costs more messages than a DHT lookup, and finds what it should', async () => {
    let out = '';
    await runSimExperiment(['flooding-vs-dht', '--nodes', '60,300', '--lookups', '50', '--queries', '100', '--seed', '2', '--json'], { out: (text) => (out += text), err: () => {}, env: {} });
    type Figures = { messagesPerQuery: number; successRate: number };
    const result = JSON.parse(out) as { experiment: string; points: { nodes: number; flooding: Figures; expandingRing: Figures; randomWalks: Figures; dht: Figures }[] };
    assert.equal(result.experiment, 'flooding-vs-dht');
    assert.deepEqual(result.points.map((point) => point.nodes), [60, 300]);
    for (const point of result.points) {
      assert.equal(point.dht.successRate, 1);
      assert.ok(point.flooding.successRate > 0.9, JSON.stringify(point.flooding));
      assert.ok(point.flooding.messagesPerQuery > 5 * point.dht.messagesPerQuery, JSON.stringify(point));
      assert.ok(point.expandingRing.messagesPerQuery <= point.flooding.messagesPerQuery * 2);
    }
    assert.ok(result.points[1].flooding.messagesPerQuery > result.points[0].flooding.messagesPerQuery, "a flood's cost grows with n");
  });

  it('partition: a region cut off finds fewer keys the smaller it is, and the CLI checks its arguments', async () => {
    let out = '';
    await runSimExperiment(['partition', '--nodes', '120', '--keys', '40', '--seed', '2', '--json'], { out: (text) => (out += text), err: () => {}, env: {} });
    const result = JSON.parse(out) as { experiment: string; k: number; points: { share: number; nodesInside: number; keysAsked: number; reachableFromInside: number; reachableMin: number; reachableMax: number; oneHomeNode: number; kCopiesAtRandom: number; copyInsideAtCut: number; foundWhenCopyInside: number }[] };
    assert.equal(result.experiment, 'partition');
    assert.deepEqual(result.points.map((point) => point.share), [0.02, 0.05, 0.1, 0.25, 0.5]);
    const half = result.points[result.points.length - 1];
    assert.ok(half.reachableFromInside > 0.9, `half the nodes hold nearly every key: ${half.reachableFromInside}`);
    assert.ok(result.points[0].reachableFromInside < half.reachableFromInside, JSON.stringify(result.points));
    for (const point of result.points) {
      assert.equal(point.keysAsked, 3 * 40, 'three networks a share');
      assert.ok(point.reachableMin <= point.reachableFromInside && point.reachableFromInside <= point.reachableMax);
      assert.equal(point.kCopiesAtRandom, Math.round((1 - (1 - point.nodesInside / 120) ** result.k) * 1000) / 1000);
      // A key is found from inside only if a copy was inside when the cut came (nothing crosses it).
      assert.ok(point.reachableFromInside <= point.copyInsideAtCut + 1e-9, JSON.stringify(point));
      assert.ok(point.foundWhenCopyInside > 0.5 && point.foundWhenCopyInside <= 1, JSON.stringify(point));
    }
    const io = { out: () => {}, err: () => {}, env: {} };
    for (const args of [['partition', '--nodes', '10'], ['partition', '--lookups', '5'], ['load-balance', '--keys', '5']]) await assert.rejects(runSimExperiment(args, io), UsageError, JSON.stringify(args));
  });

  it('replication-vs-erasure: both at the same overheads; erasure coding repairs with more traffic', async () => {
    let out = '';
    await runSimExperiment(['replication-vs-erasure', '--nodes', '200', '--objects', '400', '--days', '30', '--seed', '2', '--json'], { out: (text) => (out += text), err: () => {}, env: {} });
    type Point = { scheme: string; overhead: number; lostFraction: number; availability: number; repairBytesPerStoredByte: number };
    const result = JSON.parse(out) as { experiment: string; series: { label: string; points: Point[] }[] };
    assert.equal(result.experiment, 'replication-vs-erasure');
    const [replication, erasure] = result.series;
    assert.deepEqual(replication.points.map((point) => point.scheme), ['replicate:2', 'replicate:3', 'replicate:4']);
    assert.deepEqual(erasure.points.map((point) => point.scheme), ['erasure:10+10', 'erasure:10+20', 'erasure:10+30']);
    for (const [index, point] of erasure.points.entries()) {
      assert.equal(point.overhead, replication.points[index].overhead);
      assert.ok(point.repairBytesPerStoredByte > replication.points[index].repairBytesPerStoredByte, `rebuilding a fragment reads ten: ${JSON.stringify([point, replication.points[index]])}`);
      for (const figure of [point, replication.points[index]]) assert.ok(figure.lostFraction >= 0 && figure.lostFraction <= 1 && figure.availability > 0 && figure.availability <= 1);
    }
    await assert.rejects(runSimExperiment(['partition', '--objects', '5'], { out: () => {}, err: () => {}, env: {} }), UsageError);
  });

  it('churn: lookups under each session length and the Mojo profile, with their maintenance cost, with either eviction policy', async () => {
    let out = '';
    await runSimExperiment(['churn', '--nodes', '60', '--sessions', '5', '--lookups', '50', '--seed', '2', '--json'], { out: (text) => (out += text), err: () => {}, env: {} });
    const result = JSON.parse(out) as ChurnResult;
    assert.equal(result.experiment, 'churn');
    assert.deepEqual(result.points.map((point) => [point.churn, point.medianSessionMinutes]), [['exp:5', 5], ['mojo', null]]);
    for (const point of result.points) {
      for (const figures of [point, point.lru]) {
        assert.ok(figures.correctRate > 0.9, JSON.stringify(point));
        assert.ok(figures.maintenanceBytesPerNodePerSec > 0);
        assert.ok(figures.failuresPerLookup >= 0);
      }
    }
    await assert.rejects(runSimExperiment(['load-balance', '--sessions', '5'], { out: () => {}, err: () => {}, env: {} }), UsageError);
    // On two threads, the same figures.
    let pooled = '';
    await runSimExperiment(['churn', '--nodes', '60', '--sessions', '5', '--lookups', '50', '--seed', '2', '--json', '--workers', '2'], { out: (text) => (pooled += text), err: () => {}, env: {} });
    assert.deepEqual(JSON.parse(pooled), result);
    await assert.rejects(runSimExperiment(['load-balance', '--workers', '2'], { out: () => {}, err: () => {}, env: {} }), /--workers is for hops-vs-n, churn, proximity/);
    await assert.rejects(runSimExperiment(['churn', '--workers', '0'], { out: () => {}, err: () => {}, env: {} }), UsageError);
  });

  it('proximity: lookups with proximity off and on at each size, their latency and stretch side by side', async () => {
    let out = '';
    await runSimExperiment(['proximity', '--nodes', '150,400', '--lookups', '150', '--warmup', '5', '--seed', '3', '--json'], { out: (text) => (out += text), err: () => {}, env: {} });
    const result = JSON.parse(out) as ProximityResult;
    assert.equal(result.experiment, 'proximity');
    assert.deepEqual(result.points.map((point) => point.nodes), [150, 400]);
    for (const point of result.points) {
      for (const side of [point.off, point.on]) {
        assert.equal(side.correctRate, 1, JSON.stringify(point));
        assert.ok(side.stretchP50 >= 1 && side.latencyP50Ms > 0);
      }
      assert.ok(point.on.latencyP50Ms < point.off.latencyP50Ms, `proximity is faster: ${JSON.stringify(point)}`);
      assert.ok(point.vivaldiRelErrorP50 > 0 && point.vivaldiRelErrorP50 < 0.3, `the coordinates predict: ${point.vivaldiRelErrorP50}`);
    }
    await assert.rejects(runSimExperiment(['proximity', '--keys', '5'], { out: () => {}, err: () => {}, env: {} }), UsageError);
    await assert.rejects(runSimExperiment(['churn', '--warmup', '5'], { out: () => {}, err: () => {}, env: {} }), UsageError);
  });

  it('search: an inverted index on the DHT against flooding at equal recall, Bloom-filter intersection against whole lists', async () => {
    let out = '';
    await runSimExperiment(['search', '--nodes', '300', '--documents', '3000', '--queries', '200', '--seed', '4', '--json'], { out: (text) => (out += text), err: () => {}, env: {} });
    const result = JSON.parse(out) as SearchResult;
    assert.equal(result.experiment, 'search');
    for (const field of ['nodes', 'queries', 'recall', 'dhtMessagesPerQuery', 'floodMessagesPerQuery', 'dhtBytesPerQuery', 'floodBytesPerQuery', 'bloomBytesSavedRatio'] as const) {
      assert.equal(typeof result[field], 'number', field);
    }
    assert.equal(result.nodes, 300);
    assert.equal(result.recall, 1);
    assert.ok(result.matchesPerQuery >= 1, 'every query is two terms of a document, so it matches at least that one');
    assert.ok(result.floodMessagesPerQuery > 5 * result.dhtMessagesPerQuery, JSON.stringify(result));
    assert.ok(result.bloomBytesSavedRatio > 0 && result.bloomBytesSavedRatio < 1, `Bloom filters save bytes: ${result.bloomBytesSavedRatio}`);
    // Through the searcher, as nodes chain: two messages more a query (two terms), and still far below flooding.
    assert.equal(Math.round((result.nodeChainMessagesPerQuery - result.dhtMessagesPerQuery) * 10) / 10, 2, JSON.stringify(result));
    assert.ok(result.nodeChainBytesPerQuery > result.dhtBytesPerQuery && result.floodMessagesPerQuery > 5 * result.nodeChainMessagesPerQuery);
    assert.ok(result.floodTtl7.recall > 0 && result.floodTtl7.recall <= 1);
    await assert.rejects(runSimExperiment(['search', '--keys', '5'], { out: () => {}, err: () => {}, env: {} }), UsageError);
    await assert.rejects(runSimExperiment(['churn', '--documents', '5'], { out: () => {}, err: () => {}, env: {} }), UsageError);
  });
});
