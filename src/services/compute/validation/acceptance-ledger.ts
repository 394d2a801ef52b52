/**
 * Backtracking (Sarmenta FGCS 2002 §4.2: "when a saboteur is caught, all results it produced are
 * invalidated"): which workers each accepted unit of a job rested on, so that when one of them is
 * blacklisted the units that are no longer credible without it can be reopened.
 *
 * The simulator keeps this ledger beside each job and reruns the units it returns as a recheck job,
 * keeping the results that still count. A node does it in place instead (JobCoordinator.backtrack,
 * JobState.reopen: the unit reruns from scratch). Memory: one entry per agreeing result of an
 * accepted unit, released when the job's results are delivered (drop the ledger).
 */
import type { ReplicaResult } from '../jobs/validation-policy.ts';
import type { AdaptiveJudge } from './adaptive-judge.ts';

/** A unit reopened, with the agreeing results that still count (to be given to the rerun's judge as prior results). */
export interface ReopenedUnit {
  readonly unit: number;
  readonly kept: readonly ReplicaResult[];
}

interface Acceptance {
  readonly agreeing: readonly string[];
  readonly outputHash: string;
  readonly fuel: bigint;
}

export class AcceptanceLedger {
  private readonly agreeingByUnit = new Map<number, Acceptance>();
  private readonly unitsByWorker = new Map<string, Set<number>>();

  get size(): number {
    return this.agreeingByUnit.size;
  }

  /** A unit accepted on the word of `agreeing` (in report order). */
  record(unit: number, agreeing: readonly string[], outputHash: string, fuel: bigint): void {
    this.forget(unit);
    this.agreeingByUnit.set(unit, { agreeing: [...agreeing], outputHash, fuel });
    for (const worker of agreeing) {
      let units = this.unitsByWorker.get(worker);
      if (units === undefined) this.unitsByWorker.set(worker, (units = new Set()));
      units.add(unit);
    }
  }

  agreeingOf(unit: number): readonly string[] | undefined {
    return this.agreeingByUnit.get(unit)?.agreeing;
  }

  /**
   * A worker was blacklisted: the units it agreed on whose remaining agreeing workers are no
   * longer credible enough (the judge's lie weight above `errorRateMax`; blacklisted workers do not
   * count) are forgotten here and returned with the results that still count, to be run again
   * from there. Units still credible without it stay.
   */
  backtrack(worker: string, judge: AdaptiveJudge, errorRateMax: number, isBlacklisted: (worker: string) => boolean): ReopenedUnit[] {
    const units = this.unitsByWorker.get(worker);
    if (units === undefined) return [];
    this.unitsByWorker.delete(worker);
    const reopened: ReopenedUnit[] = [];
    for (const unit of units) {
      const acceptance = this.agreeingByUnit.get(unit);
      if (acceptance === undefined) continue;
      const remaining = acceptance.agreeing.filter((other) => !isBlacklisted(other));
      // A single group left: its credibility is 1 − its lie weight (lie-bound.ts).
      if (remaining.length > 0 && judge.lieWeight(remaining) <= errorRateMax) continue;
      this.forget(unit);
      reopened.push({ unit, kept: remaining.map((other) => ({ worker: other, outputHash: acceptance.outputHash, fuel: acceptance.fuel })) });
    }
    return reopened.sort((a, b) => a.unit - b.unit);
  }

  forget(unit: number): void {
    const acceptance = this.agreeingByUnit.get(unit);
    if (acceptance === undefined) return;
    this.agreeingByUnit.delete(unit);
    for (const worker of acceptance.agreeing) this.unitsByWorker.get(worker)?.delete(unit);
  }
}
