/**
 * The cheaters experiment (issue 5's simulator test): 10^4 workers, 20% of them colluding
 * cheaters, under churn — the rate of wrong results accepted and the redundancy paid, for adaptive
 * replication by credibility with spot checks (services/compute/validation/) against the colluders'
 * smart play and against their always lying, and for a naive fixed 2-of-2 quorum against colluders
 * always lying (their best play there), over the same workers and churn (one seed). cheaters/model.ts
 * gives the model.
 *
 * And a second adaptive policy that assumes what the adversary is — colluders who lie on
 * every unit (`lieRateMin` 1; the "naive 2-of-2 accepts about 10%" is what those get,
 * f² + 2f(1 − f)·f) — with fewer random spot checks, since probation already checks every newcomer
 * (spot-checks.ts): against those colluders, and against the smart ones, whose rare lies it was
 * told not to fear (what the assumption risks).
 */
import { DEFAULT_ADAPTIVE_POLICY, type AdaptivePolicy } from '../../services/compute/validation/adaptive-policy.ts';
import { round } from '../stats.ts';
import { type CheatersRunResult, runCheaters } from './cheaters/cheaters-run.ts';
import { type CheatersRunOptions, type CheaterStrategy, DEFAULT_RUN, type ValidationScheme } from './cheaters/model.ts';

export interface CheatersExperimentOptions extends Partial<Omit<CheatersRunOptions, 'scheme' | 'strategy'>> {
  readonly seed: number;
  readonly policy?: Partial<AdaptivePolicy>;
  /** The policy assuming persistent cheaters: PERSISTENT_CHEATERS_POLICY over the default policy by default. */
  readonly persistentPolicy?: Partial<AdaptivePolicy>;
  /** Units each submitter computes itself per job, for spot checks; by default enough for every spot check to use a fresh one. */
  readonly knownUnitsPerJob?: number;
  readonly progress?: (line: string) => void;
}

export interface CheatersSchemeReport extends CheatersRunResult {
  scheme: string;
  strategy: CheaterStrategy;
  wallMs: number;
}

export interface CheatersReport {
  seed: number;
  nodes: number;
  cheatersFraction: number;
  units: number;
  policy: AdaptivePolicy;
  /** Adaptive replication against the smart colluders (the headline figures). */
  adaptive: CheatersSchemeReport;
  /** Adaptive replication against colluders who always lie. */
  adaptiveAlways: CheatersSchemeReport;
  /** Fixed 2-of-2 quorum (up to 5 replicas) against colluders who always lie. */
  naive: CheatersSchemeReport;
  persistentPolicy: AdaptivePolicy;
  /** The policy assuming cheaters lie on every unit, against colluders who do (the adversary). */
  persistent: CheatersSchemeReport;
  /** The same policy against the smart colluders: what the assumption risks. */
  persistentVsSmart: CheatersSchemeReport;
}

/**
 * What a job assumes about persistent cheaters: they lie on every unit, so one passed check (the
 * probation every newcomer gets) proves a worker honest, and random checks after it matter little.
 */
export const PERSISTENT_CHEATERS_POLICY: Partial<AdaptivePolicy> = { lieRateMin: 1, spotCheckRate: 0.01 };

export function runCheatersExperiment(options: CheatersExperimentOptions): CheatersReport {
  const { policy: policyOverrides, persistentPolicy: persistentOverrides, knownUnitsPerJob, progress, ...runOverrides } = options;
  const base = { ...DEFAULT_RUN, ...runOverrides };
  const policy: AdaptivePolicy = { ...DEFAULT_ADAPTIVE_POLICY, cheatersFraction: base.cheatersFraction, ...policyOverrides };
  const persistentPolicy: AdaptivePolicy = { ...policy, ...(persistentOverrides ?? PERSISTENT_CHEATERS_POLICY) };
  // About two leases per unit, spotCheckRate of them spot checks, each on a unit of its own.
  const knownFor = (rate: number): number => knownUnitsPerJob ?? Math.ceil(rate * 2 * base.unitsPerJob);
  const adaptiveScheme: ValidationScheme = { kind: 'adaptive', policy, knownUnitsPerJob: knownFor(policy.spotCheckRate) };
  const persistentScheme: ValidationScheme = { kind: 'adaptive', policy: persistentPolicy, knownUnitsPerJob: knownFor(persistentPolicy.spotCheckRate) };
  const naiveScheme: ValidationScheme = { kind: 'fixed', validation: { replicas: 2, quorum: 2, replicasMax: 5 } };
  const one = (name: string, scheme: ValidationScheme, strategy: CheaterStrategy): CheatersSchemeReport => {
    progress?.(`  ${name} against ${strategy} colluders: ${base.nodes} nodes, ${base.units} units`);
    const started = performance.now();
    const result = runCheaters({ ...base, scheme, strategy });
    const wallMs = Math.round(performance.now() - started);
    progress?.(`    wrong accepted ${result.wrongAccepted} of ${result.unitsAccepted} (${result.wrongAcceptedRate.toExponential(2)}), redundancy ${result.redundancyMean.toFixed(3)}, ${wallMs} ms`);
    return { scheme: name, strategy, ...roundFigures(result), wallMs };
  };
  return {
    seed: base.seed,
    nodes: base.nodes,
    cheatersFraction: base.cheatersFraction,
    units: base.units,
    policy,
    adaptive: one('adaptive', adaptiveScheme, 'smart'),
    adaptiveAlways: one('adaptive', adaptiveScheme, 'always'),
    naive: one('fixed 2-of-2', naiveScheme, 'always'),
    persistentPolicy,
    persistent: one('adaptive, assuming persistent cheaters', persistentScheme, 'always'),
    persistentVsSmart: one('adaptive, assuming persistent cheaters', persistentScheme, 'smart'),
  };
}

function roundFigures(result: CheatersRunResult): CheatersRunResult {
  return { ...result, redundancyMean: round(result.redundancyMean, 4), colluderWorkPerUnit: round(result.colluderWorkPerUnit, 4), replicasPerUnit: round(result.replicasPerUnit, 4), simHours: round(result.simHours, 2), wrongAcceptedRate: Number(result.wrongAcceptedRate.toPrecision(4)) };
}
