import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Distribution } from '../../src/sim/churn/distributions.ts';
import {
  DURATION_MS_MAX,
  exponentialFromMedian,
  gammaFunction,
  pareto,
  truncatedExponentialFromMedian,
  weibull,
} from '../../src/sim/churn/distributions.ts';
import { Prng } from '../../src/sim/prng.ts';

const SAMPLES = 100_000;

interface Summary {
  readonly mean: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function summarise(draw: () => number): Summary {
  const values = new Float64Array(SAMPLES);
  let sum = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const value = draw();
    assert.ok(Number.isFinite(value) && value > 0, `sample ${value}`);
    values[i] = value;
    sum += value;
  }
  values.sort();
  return { mean: sum / SAMPLES, median: (values[SAMPLES / 2 - 1] + values[SAMPLES / 2]) / 2, min: values[0], max: values[SAMPLES - 1] };
}

function assertClose(actual: number, expected: number, relativeTolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= relativeTolerance * expected,
    `${what}: ${actual} is not within ${relativeTolerance * 100}% of ${expected}`,
  );
}

/** Sample median and mean against the distribution's own figures. */
function checkAgainstTheory(distribution: Distribution, seed: number, meanTolerance = 0.03): Summary {
  const random = Prng.fromSeed(seed);
  const summary = summarise(() => distribution.sample(random));
  assertClose(summary.median, distribution.medianMs, 0.02, `${distribution.name} median`);
  if (Number.isFinite(distribution.meanMs)) assertClose(summary.mean, distribution.meanMs, meanTolerance, `${distribution.name} mean`);
  return summary;
}

/** The residual life's mean is E[X^2] / (2 E[X]) for a renewal sequence of X. */
function checkResidualMean(distribution: Distribution, expectedMeanMs: number, seed: number, tolerance = 0.03): void {
  const random = Prng.fromSeed(seed);
  const summary = summarise(() => distribution.sampleResidual(random));
  assertClose(summary.mean, expectedMeanMs, tolerance, `${distribution.name} residual mean`);
}

describe('gammaFunction', () => {
  it('matches known values', () => {
    assertClose(gammaFunction(1), 1, 1e-13, 'Gamma(1)');
    assertClose(gammaFunction(5), 24, 1e-13, 'Gamma(5)');
    assertClose(gammaFunction(0.5), Math.sqrt(Math.PI), 1e-13, 'Gamma(1/2)');
    assertClose(gammaFunction(3.5), (15 / 8) * Math.sqrt(Math.PI), 1e-13, 'Gamma(7/2)');
  });
});

describe('exponentialFromMedian', () => {
  it('has median as given and mean median / ln 2, and samples match', () => {
    const distribution = exponentialFromMedian(1200);
    assert.equal(distribution.medianMs, 1200);
    assertClose(distribution.meanMs, 1200 / Math.LN2, 1e-12, 'mean');
    checkAgainstTheory(distribution, 1);
  });

  it('has a residual life distributed like a fresh draw (memorylessness)', () => {
    const distribution = exponentialFromMedian(1200);
    checkResidualMean(distribution, distribution.meanMs, 2);
  });
});

describe('truncatedExponentialFromMedian', () => {
  it('stays below its limit, with the truncated median and mean', () => {
    const distribution = truncatedExponentialFromMedian(20, 60);
    // Untruncated median 20, limit 60 = 3 medians: 1/8 of the mass is cut off.
    assertClose(distribution.medianMs, -20 * Math.log2(1 - 0.5 * (7 / 8)), 1e-12, 'median');
    const summary = checkAgainstTheory(distribution, 3);
    assert.ok(summary.max < 60);
  });

  it('has the residual mean E[X^2] / (2 E[X])', () => {
    const distribution = truncatedExponentialFromMedian(20, 60);
    // E[X^2] by numerical integration of x^2 f(x) over [0, 60].
    const rate = Math.LN2 / 20;
    const mass = 1 - Math.exp(-rate * 60);
    let secondMoment = 0;
    const steps = 60_000;
    for (let i = 0; i < steps; i++) {
      const x = ((i + 0.5) / steps) * 60;
      secondMoment += x * x * ((rate * Math.exp(-rate * x)) / mass) * (60 / steps);
    }
    checkResidualMean(distribution, secondMoment / (2 * distribution.meanMs), 4);
  });
});

describe('weibull', () => {
  it('matches median scale (ln 2)^(1/k) and mean scale Gamma(1 + 1/k) for heavy and light shapes', () => {
    for (const [shape, seed] of [[0.5, 5], [1, 6], [2.5, 7]]) {
      const distribution = weibull(shape, 1000);
      assertClose(distribution.medianMs, 1000 * Math.LN2 ** (1 / shape), 1e-12, 'median formula');
      checkAgainstTheory(distribution, seed);
    }
    assertClose(weibull(0.5, 1000).meanMs, 2000, 1e-12, 'mean for shape 1/2');
  });

  it('has the residual mean scale Gamma(1 + 2/k) / (2 Gamma(1 + 1/k)) (length-biased, not a plain draw)', () => {
    for (const [shape, seed] of [[0.5, 8], [2, 9]]) {
      const expected = (1000 * gammaFunction(1 + 2 / shape)) / (2 * gammaFunction(1 + 1 / shape));
      checkResidualMean(weibull(shape, 1000), expected, seed);
    }
  });
});

describe('pareto', () => {
  it('matches median scale 2^(1/shape) and mean shape scale / (shape - 1); never below the scale', () => {
    const distribution = pareto(3, 1000);
    assertClose(distribution.meanMs, 1500, 1e-12, 'mean formula');
    const summary = checkAgainstTheory(distribution, 10);
    assert.ok(summary.min >= 1000);
  });

  it('has an infinite mean when shape <= 1, yet finite samples', () => {
    const distribution = pareto(0.7, 1000);
    assert.equal(distribution.meanMs, Number.POSITIVE_INFINITY);
    const summary = checkAgainstTheory(distribution, 11);
    assert.ok(summary.max <= DURATION_MS_MAX);
    const random = Prng.fromSeed(12);
    for (let i = 0; i < 1000; i++) {
      const residual = distribution.sampleResidual(random);
      assert.ok(Number.isFinite(residual) && residual > 0);
    }
  });

  it('has the residual mean E[X^2] / (2 E[X]) = scale (shape - 1) / (2 (shape - 2)) when shape > 2', () => {
    checkResidualMean(pareto(4, 1000), (1000 * 3) / (2 * 2), 13);
  });
});

describe('distribution arguments', () => {
  it('rejects non-positive and non-finite parameters', () => {
    assert.throws(() => exponentialFromMedian(0), RangeError);
    assert.throws(() => weibull(-1, 10), RangeError);
    assert.throws(() => weibull(1, Number.POSITIVE_INFINITY), RangeError);
    assert.throws(() => pareto(1, Number.NaN), RangeError);
    assert.throws(() => truncatedExponentialFromMedian(10, 0), RangeError);
  });
});
