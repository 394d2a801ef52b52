/**
 * job.json's `validation` in adaptive mode (issue 5, item 6):
 *
 *   "validation": { "mode": "adaptive", "errorRateMax": 1e-4, "cheatersFraction": 0.2,
 *                   "spotCheckRate": 0.05, "replicasMax": 10, "lieRateMin": 0 }
 *
 * Replicas are started one at a time, and a unit is accepted once the agreeing results' credibility
 * reaches 1 − errorRateMax against a grid whose colluding cheaters are `cheatersFraction` of the
 * workers (adaptive-judge.ts); `spotCheckRate` of leases are spot checks (spot-checks.ts); after
 * `replicasMax` replicas without enough credibility the unit fails as inconclusive. `lieRateMin`
 * is what the job assumes of its cheaters: that each lies on at least that share of its units (0,
 * the default, assumes nothing; 1, that they lie on every unit — lie-bound.ts says what it buys and
 * what it risks). The fixed quorum
 * ({"replicas", "quorum", "replicasMax"}) stays parseValidation's.
 */
import type { ValidationPolicy } from '../jobs/validation-policy.ts';

export interface AdaptivePolicy {
  readonly mode: 'adaptive';
  /** The largest probability the judge leaves that an accepted result is a lie. */
  readonly errorRateMax: number;
  /** The share of colluding cheaters to withstand (Sarmenta's f). */
  readonly cheatersFraction: number;
  /** The share of leases that are spot checks. */
  readonly spotCheckRate: number;
  readonly replicasMax: number;
  /** The least share of its units a cheater is assumed to lie on (Sarmenta's sabotage rate s); 0 assumes nothing. */
  readonly lieRateMin: number;
  /** Workers the credibility book remembers. */
  readonly workersMax: number;
}

export const DEFAULT_ADAPTIVE_POLICY: AdaptivePolicy = { mode: 'adaptive', errorRateMax: 1e-4, cheatersFraction: 0.2, spotCheckRate: 0.05, replicasMax: 10, lieRateMin: 0, workersMax: 1_000_000 };

/** As parseValidation's cap: more replicas than this is not validation but waste. */
const REPLICAS_MAX = 16;
/** A book of 10^6 workers is about 100 MB in memory; the grid's coordinators need no more. */
const WORKERS_MAX = 1_000_000;
const KNOWN = ['mode', 'errorRateMax', 'cheatersFraction', 'spotCheckRate', 'replicasMax', 'lieRateMin', 'workersMax'];

export function parseAdaptivePolicy(value: unknown, path: string, problems: string[]): AdaptivePolicy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${path}: must be an object such as {"mode": "adaptive", "errorRateMax": 1e-4}`);
    return DEFAULT_ADAPTIVE_POLICY;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!KNOWN.includes(key)) problems.push(`${path}.${key}: unknown field (known: ${KNOWN.join(', ')})`);
  if (record.mode !== 'adaptive') problems.push(`${path}.mode: must be "adaptive"`);
  const fraction = (key: string, fallback: number, low: number, high: number, lowIncluded: boolean): number => {
    const raw = record[key];
    if (raw === undefined) return fallback;
    if (typeof raw !== 'number' || !Number.isFinite(raw) || raw > high || raw < low || (!lowIncluded && raw === low) || raw === high) {
      problems.push(`${path}.${key}: must be a number ${lowIncluded ? 'from' : 'above'} ${low} and below ${high}`);
      return fallback;
    }
    return raw;
  };
  const unitInterval = (key: string, fallback: number): number => {
    const raw = record[key];
    if (raw === undefined) return fallback;
    if (typeof raw !== 'number' || !(raw >= 0 && raw <= 1)) {
      problems.push(`${path}.${key}: must be a number from 0 to 1`);
      return fallback;
    }
    return raw;
  };
  const integer = (key: string, fallback: number, high: number): number => {
    const raw = record[key];
    if (raw === undefined) return fallback;
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > high) {
      problems.push(`${path}.${key}: must be an integer from 1 to ${high}`);
      return fallback;
    }
    return raw;
  };
  const errorRateMax = fraction('errorRateMax', DEFAULT_ADAPTIVE_POLICY.errorRateMax, 0, 1, false);
  // Above one half, cheaters outvote the honest and no number of replicas tells who is right.
  const cheatersFraction = fraction('cheatersFraction', DEFAULT_ADAPTIVE_POLICY.cheatersFraction, 0, 0.5, false);
  const spotCheckRate = fraction('spotCheckRate', DEFAULT_ADAPTIVE_POLICY.spotCheckRate, 0, 1, true);
  const lieRateMin = unitInterval('lieRateMin', DEFAULT_ADAPTIVE_POLICY.lieRateMin);
  const replicasMax = integer('replicasMax', DEFAULT_ADAPTIVE_POLICY.replicasMax, REPLICAS_MAX);
  const workersMax = integer('workersMax', DEFAULT_ADAPTIVE_POLICY.workersMax, WORKERS_MAX);
  // replicasMax newcomers agreeing lie with probability f^replicasMax: if that is above the target,
  // a unit run only by newcomers could never be accepted.
  if (cheatersFraction ** replicasMax > errorRateMax) {
    problems.push(`${path}.replicasMax: ${replicasMax} newcomers agreeing are a lie with probability ${(cheatersFraction ** replicasMax).toExponential(1)}, above errorRateMax; at least ${Math.ceil(Math.log(errorRateMax) / Math.log(cheatersFraction))} needed`);
  }
  return { mode: 'adaptive', errorRateMax, cheatersFraction, spotCheckRate, replicasMax, lieRateMin, workersMax };
}

/** What JobState is given in adaptive mode: one replica to start with, the judge asks for the rest. */
export function adaptiveJobValidation(policy: AdaptivePolicy): ValidationPolicy {
  return { replicas: 1, quorum: 1, replicasMax: policy.replicasMax };
}
