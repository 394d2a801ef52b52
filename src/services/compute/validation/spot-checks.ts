/**
 * Spot checks (Sarmenta FGCS 2002 §4: spot-checking with blacklisting): now and then a worker is
 * given a unit whose right output the coordinator already knows — one the submitter computed
 * itself — in a lease that looks like any other; a wrong answer blacklists it at once, a right one
 * is evidence for it (credibility-book.ts).
 *
 * The coordinator asks `maybeSpotCheck(worker, random)` before JobState.lease: a unit index means
 * "lease this known unit instead"; the worker's report then goes to `checkSpot`. A known unit is
 * given to a worker once at most, and the least used first, since colluders who ran a unit before
 * would recognise it (the simulator's colluders do). Answers accepted by the grid's own vote are
 * not used: one that was a colluders' lie would blacklist every honest worker checked against it.
 *
 * Probation: a worker that has passed no check yet, and has none pending, gets one before any
 * other unit (when spot checks are on and a known unit is left for it). A newcomer's word counts
 * least (lie-bound.ts), so its first unit would need the most replicas behind it; a check first
 * costs one unit per identity and gives every later result of an honest worker its first evidence
 * (BOINC likewise replicates a new host's results until it has a record). A cheater that lies on
 * every unit is caught by its first.
 */
import type { Random } from '../../../core/random.ts';
import type { CredibilityBook } from './credibility-book.ts';

export interface KnownAnswer {
  readonly unit: number;
  readonly outputHash: string;
  readonly fuel: bigint;
}

export type SpotCheckOutcome = 'passed' | 'failed' | 'unknown';

interface KnownRecord extends KnownAnswer {
  /** Workers this unit was given to as a spot check. */
  readonly givenTo: Set<string>;
}

/** Spot checks issued and not yet answered, at most: one per worker in practice; the rest expire oldest first. */
const PENDING_MAX = 100_000;
/** Known units tried per request before giving up on finding one the worker has not run. */
const CANDIDATES_PER_REQUEST = 8;

export class SpotChecks {
  private readonly rate: number;
  private readonly book: CredibilityBook;
  private readonly known: KnownRecord[] = [];
  private readonly knownByUnit = new Map<number, KnownRecord>();
  /** Round-robin position: known units are used in turn, so the least used come first. */
  private next = 0;
  /** `${worker}\n${unit}` of spot checks issued and not answered yet. */
  private readonly pending = new Set<string>();
  /** How many of `pending` each worker has. */
  private readonly pendingByWorker = new Map<string, number>();
  private issued = 0;

  constructor(rate: number, book: CredibilityBook) {
    if (!(rate >= 0 && rate < 1)) throw new RangeError('spot-check rate must be in [0, 1)');
    this.rate = rate;
    this.book = book;
  }

  get issuedCount(): number {
    return this.issued;
  }

  get knownCount(): number {
    return this.known.length;
  }

  addKnownAnswer(answer: KnownAnswer): void {
    if (this.knownByUnit.has(answer.unit)) return;
    const record: KnownRecord = { ...answer, givenTo: new Set() };
    this.known.push(record);
    this.knownByUnit.set(answer.unit, record);
  }

  /** A known unit this worker has not been given, to lease instead: on probation always, else with probability `rate`. Else null. */
  maybeSpotCheck(worker: string, random: Random): number | null {
    if (this.known.length === 0 || this.rate === 0) return null;
    const onProbation = !this.pendingByWorker.has(worker) && !this.book.hasPassedSpotCheck(worker);
    if (!onProbation && random.nextFloat() >= this.rate) return null;
    for (let tried = 0; tried < Math.min(CANDIDATES_PER_REQUEST, this.known.length); tried++) {
      const record = this.known[this.next];
      this.next = (this.next + 1) % this.known.length;
      if (record.givenTo.has(worker)) continue;
      record.givenTo.add(worker);
      this.addPending(worker, record.unit);
      this.issued++;
      return record.unit;
    }
    return null;
  }

  /** A worker's answer to a spot check: recorded in the book ('unknown' if no such check is pending). */
  checkSpot(worker: string, unit: number, outputHash: string, fuel: bigint): SpotCheckOutcome {
    const key = `${worker}\n${unit}`;
    const record = this.knownByUnit.get(unit);
    if (record === undefined || !this.deletePending(key)) return 'unknown';
    const passed = record.outputHash === outputHash && record.fuel === fuel;
    this.book.recordSpotCheck(worker, passed);
    return passed ? 'passed' : 'failed';
  }

  /** A spot check whose worker went away: forget it (it neither passed nor failed). */
  abandon(worker: string, unit: number): void {
    this.deletePending(`${worker}\n${unit}`);
  }

  private addPending(worker: string, unit: number): void {
    this.pending.add(`${worker}\n${unit}`);
    this.pendingByWorker.set(worker, (this.pendingByWorker.get(worker) ?? 0) + 1);
    if (this.pending.size > PENDING_MAX) this.deletePending(this.pending.values().next().value as string);
  }

  private deletePending(key: string): boolean {
    if (!this.pending.delete(key)) return false;
    const worker = key.slice(0, key.lastIndexOf('\n'));
    const left = (this.pendingByWorker.get(worker) ?? 1) - 1;
    if (left === 0) this.pendingByWorker.delete(worker);
    else this.pendingByWorker.set(worker, left);
    return true;
  }
}
