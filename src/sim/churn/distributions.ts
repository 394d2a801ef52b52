import type { Random } from '../../core/random.ts';

/**
 * A distribution of durations (session lengths, downtimes), sampled by inverse CDF from a Random so that
 * a seeded stream gives the same durations on every run.
 */
export interface Distribution {
  readonly name: string;
  /** Infinity when the mean does not exist (Pareto with shape <= 1). */
  readonly meanMs: number;
  readonly medianMs: number;
  /** A duration, always finite and > 0 (see DURATION_MS_MIN and DURATION_MS_MAX). */
  sample(random: Random): number;
  /**
   * The time left of the duration in progress at a random moment of a long, stationary sequence of
   * back-to-back durations (the equilibrium or residual-life distribution, density (1 - F(x)) / mean).
   * Churn models use it for the first state of a slot, so that a run starts in steady state. It is not a
   * plain draw: a random moment is more likely to fall in a long duration than in a short one.
   */
  sampleResidual(random: Random): number;
}

/**
 * Samples are clamped to [DURATION_MS_MIN, DURATION_MS_MAX] so that they are always finite and > 0, which
 * the event queue relies on. The clamp only bites on draws of vanishing probability (a 1 microsecond
 * session, or one longer than thirty thousand years from a heavy Pareto tail).
 */
export const DURATION_MS_MIN = 0.001;
export const DURATION_MS_MAX = 1e15;

const LN2 = Math.LN2;

/**
 * The exponential distribution with the given median (mean = median / ln 2): sessions that end at a
 * constant rate, whatever their age. Memoryless, so its residual life is a fresh draw.
 */
export function exponentialFromMedian(medianMs: number): Distribution {
  checkPositive(medianMs, 'exponential median');
  const meanMs = medianMs / LN2;
  const sample = (random: Random): number => clampDuration(-meanMs * Math.log(openUnit(random)));
  return {
    name: `exponential(medianMs=${medianMs})`,
    meanMs,
    medianMs,
    sample,
    sampleResidual: sample,
  };
}

/**
 * The exponential distribution with the given median, conditioned on being below `limitMs`: the median
 * parameter is that of the untruncated exponential; `medianMs` of the result is the (smaller) median after
 * truncation. Used for Mojo Nation's first-time visitors, who all leave within the hour.
 */
export function truncatedExponentialFromMedian(medianMs: number, limitMs: number): Distribution {
  checkPositive(medianMs, 'truncated exponential median');
  checkPositive(limitMs, 'truncated exponential limit');
  const rate = LN2 / medianMs;
  // The probability mass below the limit, 1 - exp(-rate * limit), computed without cancellation.
  const massBelowLimit = -Math.expm1(-rate * limitMs);
  const inverseCdf = (uniform: number): number => -Math.log1p(-uniform * massBelowLimit) / rate;
  const meanMs = 1 / rate - (limitMs * Math.exp(-rate * limitMs)) / massBelowLimit;
  const sample = (random: Random): number => clampDuration(Math.min(inverseCdf(openUnit(random)), limitMs));
  return {
    name: `truncatedExponential(medianMs=${medianMs}, limitMs=${limitMs})`,
    meanMs,
    medianMs: inverseCdf(0.5),
    sample,
    sampleResidual(random: Random): number {
      // Length-biased draw by rejection (accept x with probability x / limit, on average mean / limit of
      // the time), then a uniform point within it.
      for (;;) {
        const length = sample(random);
        if (random.nextFloat() * limitMs < length) return clampDuration(length * openUnit(random));
      }
    },
  };
}

/**
 * The Weibull distribution, F(x) = 1 - exp(-(x / scale)^shape). Stutzbach and Rejaie ("Understanding
 * churn in peer-to-peer networks", IMC 2006) found session lengths in Gnutella, Kad and BitTorrent fit by
 * a Weibull with shape about 0.3 to 0.6: most sessions are short, and the longer a peer has been up, the
 * longer it is likely to stay. median = scale * (ln 2)^(1 / shape), mean = scale * Gamma(1 + 1 / shape).
 */
export function weibull(shape: number, scaleMs: number): Distribution {
  checkPositive(shape, 'Weibull shape');
  checkPositive(scaleMs, 'Weibull scale');
  const inverseShape = 1 / shape;
  return {
    name: `weibull(shape=${shape}, scaleMs=${scaleMs})`,
    meanMs: scaleMs * gammaFunction(1 + inverseShape),
    medianMs: scaleMs * LN2 ** inverseShape,
    sample: (random: Random): number => clampDuration(scaleMs * (-Math.log(openUnit(random))) ** inverseShape),
    sampleResidual(random: Random): number {
      // If L is length-biased Weibull, (L / scale)^shape is Gamma(1 + 1 / shape, 1) distributed: the
      // length-biased density x f(x) / mean becomes y^(1/shape) e^(-y) after the substitution y = (x/scale)^shape.
      const length = scaleMs * sampleGamma(random, 1 + inverseShape) ** inverseShape;
      return clampDuration(length * openUnit(random));
    },
  };
}

/**
 * The Pareto distribution with minimum `scaleMs`: F(x) = 1 - (scale / x)^shape for x >= scale.
 * median = scale * 2^(1 / shape); mean = shape * scale / (shape - 1) when shape > 1, and Infinity when
 * shape <= 1 (the integral diverges: such a heavy tail has no mean, though every sample is finite).
 */
export function pareto(shape: number, scaleMs: number): Distribution {
  checkPositive(shape, 'Pareto shape');
  checkPositive(scaleMs, 'Pareto scale');
  const sample = (random: Random): number => clampDuration(scaleMs * openUnit(random) ** (-1 / shape));
  return {
    name: `pareto(shape=${shape}, scaleMs=${scaleMs})`,
    meanMs: shape > 1 ? (shape * scaleMs) / (shape - 1) : Number.POSITIVE_INFINITY,
    medianMs: scaleMs * 2 ** (1 / shape),
    sample,
    sampleResidual(random: Random): number {
      if (shape <= 1) {
        // With no mean there is no stationary renewal sequence to sample from; a uniform fraction of a
        // plain draw is the documented approximation.
        return uniformFractionResidual(sample, random);
      }
      // The length-biased Pareto is again Pareto with the shape reduced by one: x * x^-(shape+1) = x^-shape.
      const length = scaleMs * openUnit(random) ** (-1 / (shape - 1));
      return clampDuration(length * openUnit(random));
    },
  };
}

/**
 * The approximate residual life for distributions without a better one: a uniform fraction of a plain
 * draw. It is exact only in shape, not in scale: it underestimates, because it ignores that a random moment
 * falls more often within long durations than short ones.
 */
export function uniformFractionResidual(sample: (random: Random) => number, random: Random): number {
  return clampDuration(sample(random) * openUnit(random));
}

/** A uniform number in the open interval (0, 1), so that logarithms and negative powers stay finite. */
export function openUnit(random: Random): number {
  for (let attempt = 0; attempt < 64; attempt++) {
    const uniform = random.nextFloat();
    if (uniform > 0) return uniform;
  }
  throw new Error('the Random returned 0 sixty-four times in a row; it is broken');
}

export function clampDuration(durationMs: number): number {
  if (!(durationMs >= DURATION_MS_MIN)) return DURATION_MS_MIN; // Also catches NaN.
  return durationMs > DURATION_MS_MAX ? DURATION_MS_MAX : durationMs;
}

/**
 * The Gamma function for x > 0: the recurrence Gamma(x) = Gamma(x + n) / (x (x + 1) ... (x + n - 1)) moves
 * the argument to 15 or more, where Stirling's series with four correction terms is accurate to about
 * 1e-13 relative (2e-14 for moderate arguments). Only needed for Weibull means.
 */
export function gammaFunction(x: number): number {
  if (!(x > 0)) throw new RangeError(`gammaFunction is only defined here for x > 0, got ${x}`);
  let product = 1;
  let z = x;
  while (z < 15) {
    product *= z;
    z += 1;
  }
  const inverse = 1 / z;
  const inverseSquared = inverse * inverse;
  const correction = inverse * (1 / 12 - inverseSquared * (1 / 360 - inverseSquared * (1 / 1260 - inverseSquared / 1680)));
  const logGamma = (z - 0.5) * Math.log(z) - z + 0.5 * Math.log(2 * Math.PI) + correction;
  return Math.exp(logGamma) / product;
}

/**
 * A Gamma(shape, 1) variate for shape >= 1 by Marsaglia and Tsang's squeeze-and-reject method
 * ("A simple method for generating gamma variables", ACM TOMS 2000), with normals from Box-Muller.
 */
function sampleGamma(random: Random, shape: number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const normal = Math.sqrt(-2 * Math.log(openUnit(random))) * Math.cos(2 * Math.PI * random.nextFloat());
    const root = 1 + c * normal;
    if (root <= 0) continue;
    const v = root * root * root;
    const uniform = openUnit(random);
    const squared = normal * normal;
    if (uniform < 1 - 0.0331 * squared * squared) return d * v;
    if (Math.log(uniform) < 0.5 * squared + d * (1 - v + Math.log(v))) return d * v;
  }
}

function checkPositive(value: number, what: string): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${what} must be a finite number > 0, got ${value}`);
}
