/**
 * A coordinator's jobs in the cheaters experiment: each job submitted (a MainJob) runs its units in
 * a JobState, plus one recheck JobState per batch of units reopened by backtracking; the job is
 * delivered — its results final — once all of them are finished.
 */
import { JobState } from '../../../services/compute/jobs/job-state.ts';
import { AcceptanceLedger, type ReopenedUnit } from '../../../services/compute/validation/acceptance-ledger.ts';
import { AdaptiveJudge } from '../../../services/compute/validation/adaptive-judge.ts';
import { adaptiveJobValidation } from '../../../services/compute/validation/adaptive-policy.ts';
import type { CredibilityBook } from '../../../services/compute/validation/credibility-book.ts';
import { SpotChecks } from '../../../services/compute/validation/spot-checks.ts';
import type { CheatersRunOptions } from './model.ts';

export const OUTCOME = { open: 0, right: 1, wrong: 2, failed: 3 } as const;

/** Speculative backups are off in both schemes: they would let a colluder see its co-replica before reporting. */
const NO_BACKUPS_MS = Number.MAX_SAFE_INTEGER;
const FAILURES_MAX = 1_000;

export class MainJob {
  readonly id: number;
  readonly units: number;
  readonly knownUnits: number;
  readonly outcome: Uint8Array;
  /** Units (and known units, after the job's own) some colluder ran. */
  readonly seenByColluders: Uint8Array;
  /** The colluders' lie on a unit, and who told it first. */
  readonly lieBy = new Map<number, string>();
  readonly ledger: AcceptanceLedger | null;
  /** The job's own run first, then rechecks not finished yet. */
  readonly runs: JobRun[] = [];
  /** The judge of the job's own run, for backtracking. */
  judge: AdaptiveJudge | null = null;

  constructor(id: number, units: number, knownUnits: number, adaptive: boolean) {
    this.id = id;
    this.units = units;
    this.knownUnits = knownUnits;
    this.outcome = new Uint8Array(units);
    this.seenByColluders = new Uint8Array(units + knownUnits);
    this.ledger = adaptive ? new AcceptanceLedger() : null;
  }

  /** Drops finished rechecks; true when every run is finished. */
  settle(): boolean {
    for (let index = this.runs.length - 1; index > 0; index--) if (this.runs[index].state.finished) this.runs.splice(index, 1);
    return this.runs.every((run) => run.state.finished);
  }
}

export class JobRun {
  readonly main: MainJob;
  readonly state: JobState;
  readonly judge: AdaptiveJudge | null;
  /** The main job's unit for each of this run's units (null: the same index). */
  private readonly unitMap: Int32Array | null;
  /** Results reported per unit of this run. */
  readonly reported: Uint16Array;

  /** `reopened` null: the job's own run over all its units; else a recheck of these units, from the results kept. */
  constructor(main: MainJob, reopened: readonly ReopenedUnit[] | null, options: CheatersRunOptions, book: CredibilityBook | null) {
    this.main = main;
    this.unitMap = reopened === null ? null : Int32Array.from(reopened, (entry) => entry.unit);
    const count = reopened === null ? main.units : reopened.length;
    this.reported = new Uint16Array(count);
    const scheme = options.scheme;
    const prior = reopened === null ? undefined : (local: number) => reopened[local].kept;
    this.judge = scheme.kind === 'adaptive' && book !== null ? new AdaptiveJudge(scheme.policy, book, prior) : null;
    const validation = scheme.kind === 'adaptive' ? adaptiveJobValidation(scheme.policy) : scheme.validation;
    this.state = new JobState({ units: count, validation, leaseMs: options.leaseMs, stragglerAfterMs: NO_BACKUPS_MS, failuresMax: FAILURES_MAX, ...(this.judge === null ? {} : { judge: this.judge.judge }) });
  }

  mainUnit(local: number): number {
    return this.unitMap === null ? local : this.unitMap[local];
  }
}

export class Coordinator {
  readonly index: number;
  readonly spotChecks: SpotChecks | null;
  job: MainJob | null = null;

  constructor(index: number, spotCheckRate: number | null, book: CredibilityBook | null) {
    this.index = index;
    this.spotChecks = spotCheckRate !== null && book !== null ? new SpotChecks(spotCheckRate, book) : null;
  }
}

/** A known unit's number in a coordinator's spot checks: job and unit in one safe integer. */
export function knownKey(job: number, unit: number): number {
  return job * 2 ** 21 + unit;
}
