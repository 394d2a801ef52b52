/**
 * Spot checks as a coordinator hands them out (issue 5, item 6; Sarmenta FGCS 2002 §4): a lease of
 * a unit whose right answer the coordinator's node computed itself, granted like any other lease
 * (same unit, arguments and input as the job's own), outside JobState — the unit's own replicas and
 * verdict are not touched. A right answer is evidence for the worker, a wrong one blacklists it
 * (spot-checks.ts writes both to the node's standing book).
 *
 * Which units are known: `knownUnitsWanted` picks a few at random (so a colluder cannot tell them
 * from their place in the job); the node computes them and hands their answers back
 * (`addKnownAnswer`). The answers travel in the job's snapshot, so a copy that takes over keeps
 * checking; the spot leases themselves do not (a volunteer's report of one to the new coordinator
 * is named lost, as any lease it does not know).
 */
import { randomBelow, type Random } from '../../../core/random.ts';
import type { CredibilityBook } from '../validation/credibility-book.ts';
import { SpotChecks, type KnownAnswer } from '../validation/spot-checks.ts';

export const SpotLeaseLimits = {
  /** Known units a job's coordinator computes at most: each is one unit of work on its own node. */
  knownUnitsMax: 32,
  /** …and at least this many, so that a worker can be checked more than once. */
  knownUnitsMin: 2,
} as const;

interface SpotLease {
  readonly unit: number;
  readonly worker: string;
  lastHeardAtMs: number;
}

export type SpotOutcome = 'passed' | 'failed' | 'unknown';

export class SpotLeases {
  private readonly checks: SpotChecks;
  private readonly random: Random;
  private readonly units: number;
  private readonly rate: number;
  private readonly leases = new Map<number, SpotLease>();
  private readonly answers: KnownAnswer[] = [];
  private readonly outcomes = { issued: 0, passed: 0, failed: 0 };

  constructor(rate: number, book: CredibilityBook, random: Random, units: number) {
    this.checks = new SpotChecks(rate, book);
    this.random = random;
    this.units = units;
    this.rate = rate;
  }

  /**
   * The units whose answers the node should compute: about `rate` of the job (a worker meets a
   * spot check that often, and each known unit checks a worker once), within the limits.
   */
  knownUnitsWanted(): number[] {
    const count = Math.min(this.units, SpotLeaseLimits.knownUnitsMax, Math.max(SpotLeaseLimits.knownUnitsMin, Math.ceil(this.units * this.rate)));
    // The first `count` draws of a Fisher–Yates shuffle, over a sparse map of the swaps (jobs have up to 10^6 units).
    const swapped = new Map<number, number>();
    const chosen: number[] = [];
    for (let index = 0; index < count; index++) {
      const pick = index + randomBelow(this.random, this.units - index);
      chosen.push(swapped.get(pick) ?? pick);
      swapped.set(pick, swapped.get(index) ?? index);
    }
    return chosen.sort((a, b) => a - b);
  }

  addKnownAnswer(answer: KnownAnswer): void {
    if (!Number.isInteger(answer.unit) || answer.unit < 0 || answer.unit >= this.units) return;
    if (this.answers.some((known) => known.unit === answer.unit)) return;
    this.answers.push(answer);
    this.checks.addKnownAnswer(answer);
  }

  /** Spot leases granted, and the answers that passed and failed. */
  get counts(): { readonly issued: number; readonly passed: number; readonly failed: number } {
    return { ...this.outcomes };
  }

  get knownAnswers(): readonly KnownAnswer[] {
    return this.answers;
  }

  /** With the spot-check rate, a known unit for this worker (one it has not worked on), under a lease number from `takeLeaseId`. */
  offer(worker: string, nowMs: number, hasWorkedOn: (unit: number) => boolean, takeLeaseId: () => number): { readonly lease: number; readonly unit: number } | null {
    const unit = this.checks.maybeSpotCheck(worker, this.random);
    if (unit === null) return null;
    if (hasWorkedOn(unit)) {
      // It would know the unit: no check this time (the unit stays given to it, as it has seen it).
      this.checks.abandon(worker, unit);
      return null;
    }
    const lease = takeLeaseId();
    this.leases.set(lease, { unit, worker, lastHeardAtMs: nowMs });
    this.outcomes.issued++;
    return { lease, unit };
  }

  /** Whether `lease` is a spot lease `worker` holds (a heartbeat for it keeps it alive). */
  heartbeat(lease: number, worker: string, nowMs: number): boolean {
    const held = this.leases.get(lease);
    if (held === undefined || held.worker !== worker) return false;
    held.lastHeardAtMs = nowMs;
    return true;
  }

  holds(lease: number, worker: string): boolean {
    return this.leases.get(lease)?.worker === worker;
  }

  unitOf(lease: number): number | undefined {
    return this.leases.get(lease)?.unit;
  }

  /** The worker's answer to its spot lease; null (and the check forgotten) when it gave no output. */
  answer(lease: number, outputHash: string | null, fuel: bigint): SpotOutcome | null {
    const held = this.leases.get(lease);
    if (held === undefined) return null;
    this.leases.delete(lease);
    if (outputHash === null) {
      // A trap or a timeout on a slow machine is not a lie: neither passed nor failed.
      this.checks.abandon(held.worker, held.unit);
      return null;
    }
    const outcome = this.checks.checkSpot(held.worker, held.unit, outputHash, fuel);
    if (outcome === 'passed') this.outcomes.passed++;
    else if (outcome === 'failed') this.outcomes.failed++;
    return outcome;
  }

  /** Ends a spot lease without an answer (given back, or the job is over). */
  release(lease: number): boolean {
    const held = this.leases.get(lease);
    if (held === undefined) return false;
    this.leases.delete(lease);
    this.checks.abandon(held.worker, held.unit);
    return true;
  }

  /** Spot leases not heard from within `leaseMs`: forgotten, and their workers returned. */
  expire(nowMs: number, leaseMs: number): string[] {
    const workers: string[] = [];
    for (const [lease, held] of this.leases) {
      if (nowMs - held.lastHeardAtMs < leaseMs) continue;
      this.release(lease);
      workers.push(held.worker);
    }
    return workers;
  }
}
