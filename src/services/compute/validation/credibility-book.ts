/**
 * Each worker's standing with a coordinator (issue 5, item 6): the checks it passed, the results
 * it had accepted or proven wrong, and whether it is blacklisted. The adaptive judge turns a
 * worker's evidence into its lie bound under the job's assumptions (adaptive-judge.ts,
 * lie-bound.ts); spot checks and verdicts write to it.
 *
 * - Evidence (Sarmenta FGCS 2002 §4.2: checks survived): a passed spot check counts 1, since a lie
 *   there is always caught; a result the worker reported first on a unit, later confirmed by
 *   another worker's replica, counts 1 − f, the chance that the confirming replica was honest and
 *   would have exposed a lie (BOINC's adaptive replication trusts a long run of valid results in
 *   the same spirit). Results reported after a fellow's are no evidence: a colluder copying a lie
 *   agrees whenever it is asked to.
 * - A failed spot check or a result outvoted by an accepted one blacklists the worker for good:
 *   its results stop counting, it gets no more work, and units accepted on its word are reopened
 *   (acceptance-ledger.ts). Units are deterministic, so an honest worker is never outvoted unless
 *   its hardware is broken — which is also worth knowing.
 * - Bounded: at most `workersMax` workers are remembered; the one touched longest ago is forgotten
 *   first. A forgotten worker comes back as a newcomer, which costs an honest veteran its standing
 *   and gains a blacklisted one nothing: a newcomer's word never suffices, and new identities are
 *   free anyway (whitewashing).
 * - Serializable: `snapshot()` is plain JSON-able data the coordinator can replicate, and
 *   `CredibilityBook.fromSnapshot` restores it.
 */

export interface CredibilityConfig {
  /** The share of colluding cheaters the grid must withstand (Sarmenta's f). */
  readonly cheatersFraction: number;
  /** Workers remembered at most (least recently touched forgotten first). */
  readonly workersMax: number;
}

export interface WorkerStanding {
  spotChecksPassed: number;
  /** Results this worker reported first on a unit and another worker then confirmed. */
  firstResultsConfirmed: number;
  /** Results in an accepted group (first or not). */
  resultsAgreed: number;
  /** Results outvoted by an accepted one, and spot checks failed. */
  resultsWrong: number;
  blacklisted: boolean;
}

/** A book as plain data: [worker, spotChecksPassed, firstResultsConfirmed, resultsAgreed, resultsWrong, blacklisted ? 1 : 0], least recently touched first. */
export interface CredibilitySnapshot {
  readonly version: 1;
  readonly config: CredibilityConfig;
  readonly workers: readonly (readonly [string, number, number, number, number, number])[];
}

export class CredibilityBook {
  readonly config: CredibilityConfig;
  /** Insertion order is touch order: a Map keeps it, and re-inserting moves a worker to the end. */
  private readonly standings = new Map<string, WorkerStanding>();
  private changesCount = 0;

  constructor(config: CredibilityConfig) {
    if (!(config.cheatersFraction > 0 && config.cheatersFraction < 1)) throw new RangeError('cheatersFraction must be in (0, 1)');
    if (!Number.isInteger(config.workersMax) || config.workersMax < 1) throw new RangeError('workersMax must be a positive integer');
    this.config = config;
  }

  static fromSnapshot(snapshot: CredibilitySnapshot): CredibilityBook {
    const book = new CredibilityBook(snapshot.config);
    for (const [worker, spotChecksPassed, firstResultsConfirmed, resultsAgreed, resultsWrong, blacklisted] of snapshot.workers) {
      book.standings.set(worker, { spotChecksPassed, firstResultsConfirmed, resultsAgreed, resultsWrong, blacklisted: blacklisted === 1 });
    }
    return book;
  }

  snapshot(): CredibilitySnapshot {
    const workers: [string, number, number, number, number, number][] = [];
    for (const [worker, s] of this.standings) workers.push([worker, s.spotChecksPassed, s.firstResultsConfirmed, s.resultsAgreed, s.resultsWrong, s.blacklisted ? 1 : 0]);
    return { version: 1, config: { ...this.config }, workers };
  }

  get size(): number {
    return this.standings.size;
  }

  /** Counts every change: a holder that saves the book saves it when this moved. */
  get changes(): number {
    return this.changesCount;
  }

  /** A copy of a worker's standing, or null for a worker unknown (a newcomer). */
  standingOf(worker: string): WorkerStanding | null {
    const standing = this.standings.get(worker);
    return standing === undefined ? null : { ...standing };
  }

  /** Whether the worker has passed a spot check (blacklisted or not). */
  hasPassedSpotCheck(worker: string): boolean {
    return (this.standings.get(worker)?.spotChecksPassed ?? 0) > 0;
  }

  isBlacklisted(worker: string): boolean {
    return this.standings.get(worker)?.blacklisted === true;
  }

  /** Checks survived: spot checks, and first results confirmed weighted by the chance the confirmer was honest. */
  evidence(worker: string): number {
    const standing = this.standings.get(worker);
    if (standing === undefined || standing.blacklisted) return 0;
    return standing.spotChecksPassed + (1 - this.config.cheatersFraction) * standing.firstResultsConfirmed;
  }

  recordSpotCheck(worker: string, passed: boolean): void {
    const standing = this.touch(worker);
    if (passed) standing.spotChecksPassed++;
    else {
      standing.resultsWrong++;
      standing.blacklisted = true;
    }
  }

  /**
   * An accepted unit: `agreeing` in the order they reported (the first is the one whose result the
   * others confirmed), `disagreeing` outvoted. Returns the workers newly blacklisted.
   */
  recordAccepted(agreeing: readonly string[], disagreeing: readonly string[]): string[] {
    agreeing.forEach((worker, index) => {
      const standing = this.touch(worker);
      standing.resultsAgreed++;
      if (index === 0 && agreeing.length > 1) standing.firstResultsConfirmed++;
    });
    const blacklisted: string[] = [];
    for (const worker of disagreeing) {
      const standing = this.touch(worker);
      standing.resultsWrong++;
      if (!standing.blacklisted) blacklisted.push(worker);
      standing.blacklisted = true;
    }
    return blacklisted;
  }

  /** Blacklists a worker caught otherwise (by backtracking, or an operator). */
  blacklist(worker: string): void {
    this.touch(worker).blacklisted = true;
  }

  private touch(worker: string): WorkerStanding {
    this.changesCount++;
    let standing = this.standings.get(worker);
    if (standing !== undefined) this.standings.delete(worker);
    else standing = { spotChecksPassed: 0, firstResultsConfirmed: 0, resultsAgreed: 0, resultsWrong: 0, blacklisted: false };
    this.standings.set(worker, standing);
    if (this.standings.size > this.config.workersMax) {
      const oldest = this.standings.keys().next().value as string;
      this.standings.delete(oldest);
    }
    return standing;
  }
}
