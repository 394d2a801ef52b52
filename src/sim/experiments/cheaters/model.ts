/**
 * The cheaters experiment's model (issue 5's simulator test: 10^4 nodes, 20% colluding cheaters
 * and churn → the rate of wrong results accepted and the redundancy paid): its options, defaults
 * and the random draws it makes.
 */
import type { AdaptivePolicy } from '../../../services/compute/validation/adaptive-policy.ts';
import type { ValidationPolicy } from '../../../services/compute/jobs/validation-policy.ts';
import type { Prng } from '../../prng.ts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

/**
 * How the colluders play (colluders.ts):
 * - `always`: every colluder returns the group's wrong output for every unit it runs. The best
 *   play against a fixed quorum, which punishes nothing.
 * - `smart`: colluders see everything a coordinator knows (its book, the results in, the policy),
 *   copy a fellow's lie whenever there is one, and otherwise lie only on a unit nobody has reported
 *   yet and that no colluder has seen (a rerun may be a spot check), only while that identity has
 *   not yet landed a lie (each landed lie is lost again if the liar is caught later: backtracking),
 *   and only when the judge would accept the lie after at most `furtherNeededMax` more agreeing
 *   replicas — each of which is a fellow with probability f, and an honest worker who exposes the
 *   lie otherwise. A caught colluder comes back under a new identity at once (whitewashing).
 */
export type CheaterStrategy = 'always' | 'smart';

export type ValidationScheme =
  | { readonly kind: 'adaptive'; readonly policy: AdaptivePolicy; /** Units the submitter computes itself per job, for spot checks. */ readonly knownUnitsPerJob: number }
  | { readonly kind: 'fixed'; readonly validation: ValidationPolicy };

export interface CheatersRunOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly cheatersFraction: number;
  readonly strategy: CheaterStrategy;
  /** Smart colluders lie when at most this many more agreeing replicas would make the lie accepted. */
  readonly furtherNeededMax: number;
  readonly scheme: ValidationScheme;
  /** Units over all jobs; jobs of `unitsPerJob` units run `coordinators` at a time. */
  readonly units: number;
  readonly unitsPerJob: number;
  readonly coordinators: number;
  /** A unit's run time is log-normal: median and sigma, times the worker's own speed factor (log-normal, `speedSigma`). */
  readonly unitMinutesMedian: number;
  readonly unitSigma: number;
  readonly speedSigma: number;
  /** Churn: online sessions and offline gaps, exponential; a returning node is a new identity with `newIdentityChance`. */
  readonly sessionHoursMean: number;
  readonly offlineHoursMean: number;
  readonly newIdentityChance: number;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly tickMs: number;
  readonly idleRetryMs: number;
  /** A guard: the run stops here even if jobs are left. */
  readonly simHoursMax: number;
}

export const DEFAULT_RUN: Omit<CheatersRunOptions, 'seed' | 'scheme' | 'strategy'> = {
  nodes: 10_000,
  cheatersFraction: 0.2,
  furtherNeededMax: 1,
  units: 200_000,
  // About 50 workers per job: JobState.lease scans the units in flight of a job, so the
  // run's cost grows with workers per job (and 50 keep a job's replicas on many distinct workers).
  unitsPerJob: 1_000,
  coordinators: 200,
  unitMinutesMedian: 10,
  unitSigma: 0.6,
  speedSigma: 0.3,
  sessionHoursMean: 8,
  offlineHoursMean: 4,
  newIdentityChance: 0.1,
  leaseMs: 30 * MINUTE_MS,
  heartbeatMs: 10 * MINUTE_MS,
  tickMs: 5 * MINUTE_MS,
  idleRetryMs: 5 * MINUTE_MS,
  simHoursMax: 24 * 365,
};

export function exponentialMs(prng: Prng, meanMs: number): number {
  return Math.max(1, Math.round(-Math.log(1 - prng.nextFloat()) * meanMs));
}

/** A standard normal draw (Box–Muller). */
export function standardNormal(prng: Prng): number {
  const u = 1 - prng.nextFloat();
  const v = prng.nextFloat();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
