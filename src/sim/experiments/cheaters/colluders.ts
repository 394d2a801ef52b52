/**
 * What a colluder answers (model.ts describes the two strategies). Colluders share one memory: the
 * units any of them has run, and the lie the group told on a unit, so that every colluder asked
 * for that unit later tells the same one (the wrong output is the same for the same unit).
 */
import type { CheaterStrategy } from './model.ts';

export interface ColluderView {
  /** A fellow already lied on this unit (and was not caught for it). */
  readonly fellowLied: boolean;
  /** Some colluder ran this unit before: a rerun, possibly a spot check. */
  readonly seenBefore: boolean;
  /** Results already reported for this unit in its current run (the coordinator's state, seen by the strongest adversary). */
  readonly resultsBefore: number;
  /** This identity already has a lie accepted. */
  readonly landedLie: boolean;
  /** More agreeing replicas the judge would want after this one for a lie to be accepted. */
  readonly furtherNeeded: number;
}

export function colluderLies(strategy: CheaterStrategy, view: ColluderView, furtherNeededMax: number): boolean {
  if (strategy === 'always' || view.fellowLied) return true;
  return !view.landedLie && !view.seenBefore && view.resultsBefore === 0 && view.furtherNeeded <= furtherNeededMax;
}

/** The smallest number of agreeing replicas after the first that brings lieBound · f^n down to errorRateMax. */
export function furtherNeededAdaptive(firstLieBound: number, cheatersFraction: number, errorRateMax: number, replicasMax: number): number {
  let weight = firstLieBound;
  for (let further = 0; further < replicasMax; further++) {
    if (weight <= errorRateMax) return further;
    weight *= cheatersFraction;
  }
  return replicasMax;
}
