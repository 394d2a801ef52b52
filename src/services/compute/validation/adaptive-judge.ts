/**
 * Adaptive replication by credibility (issue 5, item 6; Sarmenta FGCS 2002 §5, credibility-based
 * fault tolerance; BOINC's adaptive replication): a unit starts with one replica and gets another
 * only while the results in are not credible enough.
 *
 * The verdict on a unit's results: results of blacklisted workers do not count, one per worker;
 * agreeing results (same output hash and fuel) form groups, in the order of their first report;
 * each group's lie weight is its first reporter's lie bound times, for each further member, the
 * chance it is a colluder copying a lie — the share of cheaters, unless the job assumes a least lie
 * rate (lie-bound.ts); the group whose credibility reaches 1 − errorRateMax is accepted.
 * Otherwise one more replica is asked for, once none is running — replicas go out one at a time so
 * that a colluder never knows, when it reports, whether a fellow will be asked after it (the job
 * must run without speculative backups for the same reason). After replicasMax the unit is
 * inconclusive. A newcomer's result alone never suffices (its lie bound is the share of cheaters),
 * nor does a blacklisted worker's (it does not count).
 *
 * Verdicts are sticky per unit and number of results: JobState asks again when it looks for work,
 * and a verdict that turned to "accepted" in between because a worker's standing rose would leave
 * the unit open with nobody to run it (JobState settles units only on reports). So a standing that
 * changes counts from the unit's next result on.
 *
 * Prior results: a unit reopened by backtracking is rerun in a new JobState (JobState cannot reopen
 * a settled unit); the results that still count (acceptance-ledger.ts) are given as `priorResults`
 * and judged before the rerun's own, so the rerun only adds the replicas still missing.
 */
import type { UnitJudge } from '../jobs/job-state.ts';
import type { ReplicaResult, UnitVerdict } from '../jobs/validation-policy.ts';
import type { AdaptivePolicy } from './adaptive-policy.ts';
import type { CredibilityBook } from './credibility-book.ts';
import { copierBound, groupCredibilities, lieBound } from './lie-bound.ts';

interface Group {
  readonly outputHash: string;
  readonly fuel: bigint;
  /** Workers whose results agree, in report order. */
  readonly workers: string[];
  /** The lie bound of the group's first vote; how many independent votes it has; the product of the further votes' copier bounds. */
  firstLieBound: number;
  votes: number;
  copierWeight: number;
  /** Every worker behind the group's votes: reporters, and the makers of checkpoints they resumed from. */
  readonly behind: Set<string>;
}

/**
 * A worker's lie bound against a job's share of colluders (a node's book serves jobs that assume
 * different shares); 1 when blacklisted.
 */
function lieBoundIn(book: CredibilityBook, policy: AdaptivePolicy, worker: string): number {
  if (book.isBlacklisted(worker)) return 1;
  return lieBound(book.evidence(worker), policy.cheatersFraction, policy.lieRateMin);
}

/** The chance that a worker agreeing with a group copied a fellow's lie (lie-bound.ts): f unless the job assumes a lie rate; 1 when blacklisted. */
function copierBoundIn(book: CredibilityBook, policy: AdaptivePolicy, worker: string): number {
  if (book.isBlacklisted(worker)) return 1;
  return copierBound(book.evidence(worker), policy.cheatersFraction, policy.lieRateMin);
}

/** The lie weight of agreeing workers in report order: the first one's lie bound, times each further member's copier bound (1 for none). */
export function lieWeightOf(book: CredibilityBook, policy: AdaptivePolicy, workers: readonly string[]): number {
  if (workers.length === 0) return 1;
  let weight = lieBoundIn(book, policy, workers[0]);
  for (let index = 1; index < workers.length; index++) weight *= copierBoundIn(book, policy, workers[index]);
  return weight;
}

export class AdaptiveJudge {
  private readonly policy: AdaptivePolicy;
  private readonly book: CredibilityBook;
  /** Units judged not credible yet, by the number of results they had then. */
  private readonly notYet = new Map<number, number>();

  private readonly priorResults: (unit: number) => readonly ReplicaResult[];

  constructor(policy: AdaptivePolicy, book: CredibilityBook, priorResults: (unit: number) => readonly ReplicaResult[] = () => []) {
    this.policy = policy;
    this.book = book;
    this.priorResults = priorResults;
  }

  /** The UnitJudge to give JobState. */
  readonly judge: UnitJudge = (unit, ownResults, ownReplicasStarted) => {
    const prior = this.priorResults(unit);
    const results = prior.length === 0 ? ownResults : [...prior, ...ownResults];
    const replicasStarted = ownReplicasStarted + prior.length;
    const stillRunning = Math.max(0, replicasStarted - results.length);
    if (this.notYet.get(unit) !== results.length) {
      const verdict = this.credibleGroup(results);
      if (verdict !== null) {
        this.notYet.delete(unit);
        return verdict;
      }
      this.notYet.set(unit, results.length);
    }
    const toAdd = stillRunning > 0 ? 0 : 1;
    if (replicasStarted + toAdd > this.policy.replicasMax) {
      this.notYet.delete(unit);
      return { state: 'inconclusive', distinctResults: this.groupsOf(results).length };
    }
    return { state: 'waiting', replicasToAdd: toAdd };
  };

  /** The credibility each group of these results has now (for reports and tests). */
  credibilities(results: readonly ReplicaResult[]): { outputHash: string; fuel: bigint; workers: string[]; credibility: number }[] {
    const groups = this.groupsOf(results);
    const values = groupCredibilities(groups.map((group) => this.groupLieWeight(group)));
    return groups.map((group, index) => ({ outputHash: group.outputHash, fuel: group.fuel, workers: [...group.workers], credibility: values[index] }));
  }

  /** The lie weight of agreeing workers in report order: the first one's lie bound, times f per further member. */
  lieWeight(workers: readonly string[]): number {
    return lieWeightOf(this.book, this.policy, workers);
  }

  private lieBoundOf(worker: string): number {
    return lieBoundIn(this.book, this.policy, worker);
  }

  private credibleGroup(results: readonly ReplicaResult[]): UnitVerdict | null {
    const groups = this.groupsOf(results);
    if (groups.length === 0) return null;
    const credibilities = groupCredibilities(groups.map((group) => this.groupLieWeight(group)));
    let best = 0;
    for (let index = 1; index < groups.length; index++) if (credibilities[index] > credibilities[best]) best = index;
    if (credibilities[best] < 1 - this.policy.errorRateMax) return null;
    const winner = groups[best];
    const disagreeing = groups.filter((_, index) => index !== best).flatMap((group) => group.workers);
    return { state: 'accepted', outputHash: winner.outputHash, fuel: winner.fuel, agreeing: [...winner.workers], disagreeing };
  }

  private groupLieWeight(group: Group): number {
    return group.firstLieBound * group.copierWeight;
  }

  /**
   * Groups of agreeing results, blacklisted workers left out. A replica resumed from another
   * worker's checkpoint (validation-policy.ts) is compared by its output alone and joins the
   * largest group with that output; it rests on two workers' word, so its lie bound is the worse of
   * the two, and it is a vote of its own only when neither worker is already behind the group.
   */
  private groupsOf(results: readonly ReplicaResult[]): Group[] {
    const seen = new Set<string>();
    const groups = new Map<string, Group>();
    const counted = results.filter((result) => {
      if (seen.has(result.worker) || this.book.isBlacklisted(result.worker) || (result.resumedFrom !== undefined && this.book.isBlacklisted(result.resumedFrom))) return false;
      seen.add(result.worker);
      return true;
    });
    for (const result of counted) {
      let key = `${result.outputHash}/${result.fuel}`;
      if (result.resumedFrom !== undefined) {
        let largest: [string, Group] | undefined;
        for (const entry of groups) if (entry[1].outputHash === result.outputHash && (largest === undefined || entry[1].votes > largest[1].votes)) largest = entry;
        key = largest?.[0] ?? `${result.outputHash}/resumed`;
      }
      const makers = result.resumedFrom === undefined ? [result.worker] : [result.worker, result.resumedFrom];
      const bound = Math.max(...makers.map((worker) => this.lieBoundOf(worker)));
      const group = groups.get(key);
      if (group === undefined) {
        groups.set(key, { outputHash: result.outputHash, fuel: result.fuel, workers: [result.worker], firstLieBound: bound, votes: 1, copierWeight: 1, behind: new Set(makers) });
        continue;
      }
      group.workers.push(result.worker);
      if (makers.every((worker) => !group.behind.has(worker))) {
        group.votes++;
        group.copierWeight *= Math.max(...makers.map((worker) => copierBoundIn(this.book, this.policy, worker)));
      }
      for (const worker of makers) group.behind.add(worker);
    }
    return [...groups.values()];
  }
}
