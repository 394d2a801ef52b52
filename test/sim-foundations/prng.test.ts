import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Prng } from '../../src/sim/prng.ts';

function draws(prng: Prng, count: number): number[] {
  return Array.from({ length: count }, () => prng.nextUint32());
}

describe('Prng', () => {
  it('implements xoshiro128** (known answers from the reference implementation for state 1, 2, 3, 4)', () => {
    const prng = Prng.fromSeed(0);
    // The state is private; setting it directly is the only way to compare with the reference vectors.
    Object.assign(prng, { state0: 1, state1: 2, state2: 3, state3: 4 });
    assert.deepEqual(draws(prng, 6), [11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('gives the same sequence for the same seed', () => {
    assert.deepEqual(draws(Prng.fromSeed(42), 1000), draws(Prng.fromSeed(42), 1000));
    assert.deepEqual(draws(Prng.fromSeed(42).stream(3), 100), draws(Prng.fromSeed(42).stream(3), 100));
  });

  it('gives different sequences for different seeds, including seeds that differ only above bit 32', () => {
    const seeds = [0, 1, 2, 2 ** 32, 2 ** 32 + 1, 2 ** 52, Number.MAX_SAFE_INTEGER];
    const firsts = new Set(seeds.map((seed) => draws(Prng.fromSeed(seed), 4).join(',')));
    assert.equal(firsts.size, seeds.length);
  });

  it('gives different sequences for different streams, and nested streams differ from top-level ones', () => {
    const root = Prng.fromSeed(7);
    const sequences = [
      draws(root.stream(0), 4),
      draws(root.stream(1), 4),
      draws(root.stream(2 ** 40), 4),
      draws(root.stream(1).stream(0), 4),
      draws(root.stream(0).stream(1), 4),
      draws(Prng.fromSeed(8).stream(0), 4),
      draws(Prng.fromSeed(7), 4),
    ].map((sequence) => sequence.join(','));
    assert.equal(new Set(sequences).size, sequences.length);
  });

  it('derives stream(i) from the seed, not from the draws made on the parent', () => {
    const fresh = Prng.fromSeed(99);
    const used = Prng.fromSeed(99);
    draws(used, 12345);
    used.nextFloat();
    assert.deepEqual(draws(used.stream(7), 50), draws(fresh.stream(7), 50));
    const child = used.stream(7);
    draws(child, 10);
    assert.deepEqual(draws(child.stream(2), 20), draws(fresh.stream(7).stream(2), 20));
  });

  it('keeps neighbouring streams uncorrelated', () => {
    const a = Prng.fromSeed(5).stream(1000);
    const b = Prng.fromSeed(5).stream(1001);
    const count = 20000;
    let sumA = 0;
    let sumB = 0;
    let sumAB = 0;
    let sumAA = 0;
    let sumBB = 0;
    for (let i = 0; i < count; i++) {
      const x = a.nextFloat();
      const y = b.nextFloat();
      sumA += x;
      sumB += y;
      sumAB += x * y;
      sumAA += x * x;
      sumBB += y * y;
    }
    const covariance = sumAB / count - (sumA / count) * (sumB / count);
    const correlation =
      covariance / Math.sqrt((sumAA / count - (sumA / count) ** 2) * (sumBB / count - (sumB / count) ** 2));
    assert.ok(Math.abs(correlation) < 0.03, `correlation ${correlation}`);
  });

  it('rejects seeds and stream indices outside [0, 2^53 - 1]', () => {
    for (const bad of [-1, 0.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => Prng.fromSeed(bad), RangeError);
      assert.throws(() => Prng.fromSeed(1).stream(bad), RangeError);
    }
  });

  it('returns integers in [0, 2^32) and floats in [0, 1)', () => {
    const prng = Prng.fromSeed(3);
    for (let i = 0; i < 10000; i++) {
      const integer = prng.nextUint32();
      assert.ok(Number.isInteger(integer) && integer >= 0 && integer < 2 ** 32);
      const float = prng.nextFloat();
      assert.ok(float >= 0 && float < 1);
    }
  });

  // With 15 degrees of freedom, chi-square exceeds 37.7 with probability 0.001.
  const CHI_SQUARE_15_P001 = 37.7;

  function chiSquare(counts: number[], total: number): number {
    const expected = total / counts.length;
    return counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
  }

  it('spreads nextFloat evenly over 16 bins (chi-square, 1e5 draws, fixed seed)', () => {
    const prng = Prng.fromSeed(20240601);
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 100_000; i++) counts[Math.floor(prng.nextFloat() * 16)]++;
    const statistic = chiSquare(counts, 100_000);
    assert.ok(statistic < CHI_SQUARE_15_P001, `chi-square ${statistic.toFixed(2)}`);
  });

  it('spreads the low and the high bits of nextUint32 evenly over 16 bins', () => {
    const prng = Prng.fromSeed(11).stream(4);
    const high = new Array<number>(16).fill(0);
    const low = new Array<number>(16).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const value = prng.nextUint32();
      high[value >>> 28]++;
      low[value & 15]++;
    }
    assert.ok(chiSquare(high, 100_000) < CHI_SQUARE_15_P001, `high bits ${chiSquare(high, 100_000)}`);
    assert.ok(chiSquare(low, 100_000) < CHI_SQUARE_15_P001, `low bits ${chiSquare(low, 100_000)}`);
  });

  it('makes the first draws of consecutive seeds and of consecutive streams uniform (the seed mixer)', () => {
    const bySeed = new Array<number>(16).fill(0);
    const byStream = new Array<number>(16).fill(0);
    const root = Prng.fromSeed(1);
    for (let i = 0; i < 50_000; i++) {
      bySeed[Prng.fromSeed(i).nextUint32() >>> 28]++;
      byStream[root.stream(i).nextUint32() & 15]++;
    }
    assert.ok(chiSquare(bySeed, 50_000) < CHI_SQUARE_15_P001, `by seed ${chiSquare(bySeed, 50_000)}`);
    assert.ok(chiSquare(byStream, 50_000) < CHI_SQUARE_15_P001, `by stream ${chiSquare(byStream, 50_000)}`);
  });
});
