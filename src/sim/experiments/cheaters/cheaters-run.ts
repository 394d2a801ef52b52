/**
 * One run of the cheaters experiment: `nodes` workers (a share of them colluders) pull units from
 * `coordinators` driving real JobState instances, under churn, until `units` units are delivered.
 * A discrete-event simulation in virtual milliseconds over a (time, sequence) heap; every random
 * draw comes from a stream of the seed (one per worker slot, one for setup), so a seed gives the
 * same run. model.ts gives the model, colluders.ts the cheaters' play.
 */
import { MinHeap } from '../../../core/min-heap.ts';
import { randomBelow } from '../../../core/random.ts';
import { lieWeightOf } from '../../../services/compute/validation/adaptive-judge.ts';
import { CredibilityBook } from '../../../services/compute/validation/credibility-book.ts';
import type { UnitVerdict } from '../../../services/compute/jobs/validation-policy.ts';
import { Prng } from '../../prng.ts';
import { colluderLies, furtherNeededAdaptive } from './colluders.ts';
import { Coordinator, JobRun, knownKey, MainJob, OUTCOME } from './job-runs.ts';
import { type CheatersRunOptions, exponentialMs, HOUR_MS, standardNormal } from './model.ts';

const RIGHT = 'right';
const WRONG = 'wrong';
const FUEL = 1n;
/** Coordinators a worker asks per request before waiting idleRetryMs (a lease request costs a scan of the job's units in flight). */
const COORDINATORS_PER_REQUEST = 4;
const KIND = { request: 0, finish: 1, heartbeat: 2, leave: 3, join: 4, tick: 5 } as const;

interface Event {
  readonly atMs: number;
  readonly sequence: number;
  readonly kind: number;
  readonly slot: number;
  readonly session: number;
}

interface Assignment {
  readonly coordinator: Coordinator;
  readonly main: MainJob;
  /** Null for a spot check. */
  readonly run: JobRun | null;
  readonly leaseId: number;
  readonly local: number;
  readonly lied: boolean;
  readonly finishAtMs: number;
}

export interface CheatersRunResult {
  units: number;
  unitsAccepted: number;
  unitsFailed: number;
  wrongAccepted: number;
  wrongAcceptedRate: number;
  /** Wrong results accepted at some point, including those reopened by backtracking before delivery. */
  wrongAcceptedBeforeBacktracking: number;
  /** Work paid per unit delivered: replicas reported, spot checks run and known units the submitters computed. */
  redundancyMean: number;
  /** The part of redundancyMean the colluders answered themselves (replicas and spot checks): no honest worker's time. */
  colluderWorkPerUnit: number;
  replicasPerUnit: number;
  spotChecks: number;
  spotChecksFailed: number;
  knownUnitsComputed: number;
  cheatersCaught: number;
  honestBlacklisted: number;
  colluderIdentities: number;
  unitsReopened: number;
  leasesExpired: number;
  reportsLost: number;
  jobs: number;
  simHours: number;
  events: number;
  finishedAllJobs: boolean;
}

export function runCheaters(options: CheatersRunOptions): CheatersRunResult {
  return new CheatersRun(options).run();
}

class CheatersRun {
  private readonly options: CheatersRunOptions;
  private readonly book: CredibilityBook | null;
  private readonly coordinators: Coordinator[];
  private readonly heap = new MinHeap<Event>();
  private sequence = 0;
  private nowMs = 0;
  // Worker slots.
  private readonly prng: Prng[] = [];
  private readonly colluder: Uint8Array;
  private readonly online: Uint8Array;
  private readonly session: Int32Array;
  private readonly generation: Int32Array;
  private readonly speed: Float64Array;
  private readonly identity: string[] = [];
  private readonly current: (Assignment | null)[] = [];
  private readonly colluderIdentitySet = new Set<string>();
  private readonly landed = new Set<string>();
  private readonly caught = new Set<string>();
  // Jobs.
  private jobsSubmitted = 0;
  private jobsActive = 0;
  private activeCache: Coordinator[] | null = null;
  private unitsSubmitted = 0;
  // Figures.
  private readonly figures = { unitsAccepted: 0, unitsFailed: 0, wrongAccepted: 0, wrongEver: 0, replicaReports: 0, colluderWork: 0, spotChecks: 0, spotChecksFailed: 0, knownUnitsComputed: 0, cheatersCaught: 0, honestBlacklisted: 0, colluderIdentities: 0, unitsReopened: 0, leasesExpired: 0, reportsLost: 0, events: 0 };

  constructor(options: CheatersRunOptions) {
    this.options = options;
    const scheme = options.scheme;
    this.book = scheme.kind === 'adaptive' ? new CredibilityBook({ cheatersFraction: scheme.policy.cheatersFraction, workersMax: scheme.policy.workersMax }) : null;
    this.coordinators = Array.from({ length: options.coordinators }, (_, index) => new Coordinator(index, scheme.kind === 'adaptive' ? scheme.policy.spotCheckRate : null, this.book));
    const nodes = options.nodes;
    this.colluder = new Uint8Array(nodes);
    this.online = new Uint8Array(nodes);
    this.session = new Int32Array(nodes);
    this.generation = new Int32Array(nodes);
    this.speed = new Float64Array(nodes);
    const root = Prng.fromSeed(options.seed);
    // Exactly round(f·n) colluders, chosen by a shuffle of the setup stream.
    const setup = root.stream(0);
    const order = Array.from({ length: nodes }, (_, index) => index);
    for (let i = nodes - 1; i > 0; i--) {
      const j = randomBelow(setup, i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const colluders = Math.round(options.cheatersFraction * nodes);
    for (let i = 0; i < colluders; i++) this.colluder[order[i]] = 1;
    for (let slot = 0; slot < nodes; slot++) {
      const prng = root.stream(1 + slot);
      this.prng.push(prng);
      this.speed[slot] = Math.exp(options.speedSigma * standardNormal(prng));
      this.identity.push('');
      this.current.push(null);
      this.newIdentity(slot);
    }
  }

  run(): CheatersRunResult {
    const options = this.options;
    for (const coordinator of this.coordinators) this.submitNext(coordinator);
    const onlineShare = options.sessionHoursMean / (options.sessionHoursMean + options.offlineHoursMean);
    for (let slot = 0; slot < options.nodes; slot++) {
      const prng = this.prng[slot];
      if (prng.nextFloat() < onlineShare) {
        this.online[slot] = 1;
        this.schedule(randomBelow(prng, 60_000), KIND.request, slot);
        this.schedule(exponentialMs(prng, options.sessionHoursMean * HOUR_MS), KIND.leave, slot);
      } else {
        this.schedule(exponentialMs(prng, options.offlineHoursMean * HOUR_MS), KIND.join, slot);
      }
    }
    this.schedule(options.tickMs, KIND.tick, -1);
    const endMs = options.simHoursMax * HOUR_MS;
    for (;;) {
      const event = this.heap.pop();
      if (event === undefined || event.atMs > endMs || this.allDelivered()) break;
      this.nowMs = event.atMs;
      this.figures.events++;
      this.handle(event);
    }
    return this.result();
  }

  private handle(event: Event): void {
    const slot = event.slot;
    switch (event.kind) {
      case KIND.tick: {
        for (const coordinator of this.coordinators) {
          const job = coordinator.job;
          if (job === null) continue;
          for (const run of job.runs) this.figures.leasesExpired += run.state.tick(this.nowMs).length;
          this.deliverIfFinished(coordinator);
        }
        this.schedule(this.nowMs + this.options.tickMs, KIND.tick, -1);
        return;
      }
      case KIND.leave: {
        if (this.online[slot] === 0) return;
        this.online[slot] = 0;
        this.session[slot]++;
        // The lease is simply abandoned: no report, no heartbeats; it expires at a tick.
        const assignment = this.current[slot];
        if (assignment !== null && assignment.run === null) assignment.coordinator.spotChecks?.abandon(this.identity[slot], knownKey(assignment.main.id, assignment.local));
        this.current[slot] = null;
        this.schedule(this.nowMs + exponentialMs(this.prng[slot], this.options.offlineHoursMean * HOUR_MS), KIND.join, slot);
        return;
      }
      case KIND.join: {
        if (this.online[slot] === 1) return;
        this.online[slot] = 1;
        this.session[slot]++;
        const prng = this.prng[slot];
        if (prng.nextFloat() < this.options.newIdentityChance) this.newIdentity(slot);
        this.schedule(this.nowMs, KIND.request, slot);
        this.schedule(this.nowMs + exponentialMs(prng, this.options.sessionHoursMean * HOUR_MS), KIND.leave, slot);
        return;
      }
    }
    if (event.session !== this.session[slot] || this.online[slot] === 0) return;
    if (event.kind === KIND.request) this.request(slot);
    else if (event.kind === KIND.finish) this.finish(slot);
    else if (event.kind === KIND.heartbeat) this.heartbeat(slot);
  }

  private request(slot: number): void {
    if (this.current[slot] !== null) return;
    if (this.caught.has(this.identity[slot])) this.newIdentity(slot);
    const worker = this.identity[slot];
    const prng = this.prng[slot];
    // A worker asks a few coordinators with a job at a time (it knows some, not all), the first at random.
    const active = this.activeCoordinators();
    const start = active.length === 0 ? 0 : randomBelow(prng, active.length);
    let spotAsked = false;
    for (let offset = 0; offset < Math.min(COORDINATORS_PER_REQUEST, active.length); offset++) {
      const coordinator = active[(start + offset) % active.length];
      const job = coordinator.job;
      if (job === null || this.book?.isBlacklisted(worker) === true) continue;
      if (!spotAsked && coordinator.spotChecks !== null) {
        spotAsked = true;
        const key = coordinator.spotChecks.maybeSpotCheck(worker, prng);
        if (key !== null) {
          this.assign(slot, coordinator, job, null, 0, key - knownKey(job.id, 0));
          return;
        }
      }
      // Rechecks first: their units hold up the job's delivery.
      for (let index = job.runs.length - 1; index >= 0; index--) {
        const run = job.runs[index];
        const lease = run.state.lease(worker, this.nowMs);
        if (lease !== null) {
          this.assign(slot, coordinator, job, run, lease.id, lease.unit);
          return;
        }
      }
    }
    if (!this.allDelivered()) this.schedule(this.nowMs + this.options.idleRetryMs, KIND.request, slot);
  }

  private assign(slot: number, coordinator: Coordinator, main: MainJob, run: JobRun | null, leaseId: number, local: number): void {
    const unit = run === null ? main.units + local : run.mainUnit(local);
    let lied = false;
    if (this.colluder[slot] === 1) {
      const worker = this.identity[slot];
      const fellowLied = run !== null && main.lieBy.has(unit);
      lied = colluderLies(this.options.strategy, {
        fellowLied,
        seenBefore: main.seenByColluders[unit] === 1,
        resultsBefore: run === null ? 0 : run.reported[local],
        landedLie: this.landed.has(worker),
        furtherNeeded: this.furtherNeeded(worker),
      }, this.options.furtherNeededMax);
      main.seenByColluders[unit] = 1;
      if (lied && run !== null && !fellowLied) main.lieBy.set(unit, worker);
    }
    const prng = this.prng[slot];
    const durationMs = Math.max(1_000, Math.round(this.options.unitMinutesMedian * 60_000 * this.speed[slot] * Math.exp(this.options.unitSigma * standardNormal(prng))));
    const assignment: Assignment = { coordinator, main, run, leaseId, local, lied, finishAtMs: this.nowMs + durationMs };
    this.current[slot] = assignment;
    this.schedule(assignment.finishAtMs, KIND.finish, slot);
    if (run !== null && durationMs > this.options.heartbeatMs) this.schedule(this.nowMs + this.options.heartbeatMs, KIND.heartbeat, slot);
  }

  private heartbeat(slot: number): void {
    const assignment = this.current[slot];
    if (assignment === null || assignment.run === null) return;
    assignment.run.state.heartbeat(assignment.leaseId, this.nowMs);
    if (assignment.finishAtMs - this.nowMs > this.options.heartbeatMs) this.schedule(this.nowMs + this.options.heartbeatMs, KIND.heartbeat, slot);
  }

  private finish(slot: number): void {
    const assignment = this.current[slot];
    if (assignment === null || assignment.finishAtMs !== this.nowMs) return;
    this.current[slot] = null;
    const worker = this.identity[slot];
    const outputHash = assignment.lied ? WRONG : RIGHT;
    const { coordinator, main, run } = assignment;
    const answeredByColluder = this.colluder[slot] === 1;
    if (run === null) {
      this.figures.spotChecks++;
      if (answeredByColluder) this.figures.colluderWork++;
      const outcome = coordinator.spotChecks?.checkSpot(worker, knownKey(main.id, assignment.local), outputHash, FUEL);
      if (outcome === 'failed') {
        this.figures.spotChecksFailed++;
        this.blacklisted([worker]);
      }
    } else {
      const wasOpen = run.state.phaseOf(assignment.local) === 'open';
      const report = run.state.report(assignment.leaseId, { outputHash, fuel: FUEL });
      if (!report.accepted) this.figures.reportsLost++;
      else {
        this.figures.replicaReports++;
        if (answeredByColluder) this.figures.colluderWork++;
        run.reported[assignment.local]++;
        if (wasOpen && report.verdict !== null) this.settled(run, assignment.local, report.verdict);
      }
      this.deliverIfFinished(coordinator);
    }
    this.schedule(this.nowMs, KIND.request, slot);
  }

  private settled(run: JobRun, local: number, verdict: UnitVerdict): void {
    const main = run.main;
    const unit = run.mainUnit(local);
    if (verdict.state !== 'accepted') {
      main.outcome[unit] = OUTCOME.failed;
      return;
    }
    const wrong = verdict.outputHash === WRONG;
    main.outcome[unit] = wrong ? OUTCOME.wrong : OUTCOME.right;
    if (wrong) {
      this.figures.wrongEver++;
      const liar = main.lieBy.get(unit);
      if (liar !== undefined) this.landed.add(liar);
    }
    if (this.book === null || main.ledger === null) return;
    main.ledger.record(unit, verdict.agreeing, verdict.outputHash, verdict.fuel);
    this.blacklisted(this.book.recordAccepted(verdict.agreeing, verdict.disagreeing));
  }

  /** Workers just blacklisted: counted, and every undelivered unit that rested on them reopened (backtracking). */
  private blacklisted(workers: readonly string[]): void {
    if (this.book === null) return;
    const book = this.book;
    const scheme = this.options.scheme;
    if (scheme.kind !== 'adaptive') return;
    for (const worker of workers) {
      if (this.caught.has(worker)) continue;
      this.caught.add(worker);
      if (this.colluderIdentitySet.has(worker)) this.figures.cheatersCaught++;
      else this.figures.honestBlacklisted++;
      for (const coordinator of this.coordinators) {
        const job = coordinator.job;
        if (job === null || job.ledger === null) continue;
        const judge = job.judge;
        if (judge === null) continue;
        const reopened = job.ledger.backtrack(worker, judge, scheme.policy.errorRateMax, (other) => book.isBlacklisted(other));
        if (reopened.length === 0) continue;
        for (const { unit } of reopened) {
          job.outcome[unit] = OUTCOME.open;
          // The colluders see the blacklisting: the lie is exposed, and nobody repeats it.
          job.lieBy.delete(unit);
        }
        this.figures.unitsReopened += reopened.length;
        job.runs.push(new JobRun(job, reopened, this.options, this.book));
      }
    }
  }

  private deliverIfFinished(coordinator: Coordinator): void {
    const job = coordinator.job;
    if (job === null || !job.settle()) return;
    for (let unit = 0; unit < job.units; unit++) {
      const outcome = job.outcome[unit];
      if (outcome === OUTCOME.failed) this.figures.unitsFailed++;
      else {
        this.figures.unitsAccepted++;
        if (outcome === OUTCOME.wrong) this.figures.wrongAccepted++;
      }
    }
    this.submitNext(coordinator);
  }

  private submitNext(coordinator: Coordinator): void {
    if (coordinator.job !== null) this.jobsActive--;
    coordinator.job = null;
    this.activeCache = null;
    const left = this.options.units - this.unitsSubmitted;
    if (left <= 0) return;
    const units = Math.min(this.options.unitsPerJob, left);
    const scheme = this.options.scheme;
    const known = scheme.kind === 'adaptive' ? scheme.knownUnitsPerJob : 0;
    const job = new MainJob(this.jobsSubmitted++, units, known, scheme.kind === 'adaptive');
    this.unitsSubmitted += units;
    const own = new JobRun(job, null, this.options, this.book);
    job.runs.push(own);
    job.judge = own.judge;
    for (let index = 0; index < known; index++) coordinator.spotChecks?.addKnownAnswer({ unit: knownKey(job.id, units + index), outputHash: RIGHT, fuel: FUEL });
    this.figures.knownUnitsComputed += known;
    coordinator.job = job;
    this.jobsActive++;
  }

  private allDelivered(): boolean {
    return this.unitsSubmitted >= this.options.units && this.jobsActive === 0;
  }

  /** Coordinators with a job, rebuilt only when jobs start or end. */
  private activeCoordinators(): Coordinator[] {
    if (this.activeCache === null) this.activeCache = this.coordinators.filter((coordinator) => coordinator.job !== null);
    return this.activeCache;
  }

  private furtherNeeded(worker: string): number {
    const scheme = this.options.scheme;
    if (scheme.kind === 'fixed') return scheme.validation.quorum - 1;
    // The first reporter's lie bound as the job's judge sees it (with the job's assumed lie rate).
    const bound = this.book === null ? 1 : lieWeightOf(this.book, scheme.policy, [worker]);
    return furtherNeededAdaptive(bound, scheme.policy.cheatersFraction, scheme.policy.errorRateMax, scheme.policy.replicasMax);
  }

  private newIdentity(slot: number): void {
    const worker = `w${slot}.${this.generation[slot]++}`;
    this.identity[slot] = worker;
    if (this.colluder[slot] === 1) {
      this.colluderIdentitySet.add(worker);
      this.figures.colluderIdentities++;
    }
  }

  private schedule(atMs: number, kind: number, slot: number): void {
    this.heap.push({ atMs, sequence: this.sequence++, kind, slot, session: slot < 0 ? 0 : this.session[slot] });
  }

  private result(): CheatersRunResult {
    const f = this.figures;
    const delivered = f.unitsAccepted + f.unitsFailed;
    const work = f.replicaReports + f.spotChecks + f.knownUnitsComputed;
    return {
      units: delivered,
      unitsAccepted: f.unitsAccepted,
      unitsFailed: f.unitsFailed,
      wrongAccepted: f.wrongAccepted,
      wrongAcceptedRate: f.unitsAccepted === 0 ? 0 : f.wrongAccepted / f.unitsAccepted,
      wrongAcceptedBeforeBacktracking: f.wrongEver,
      redundancyMean: delivered === 0 ? 0 : work / delivered,
      colluderWorkPerUnit: delivered === 0 ? 0 : f.colluderWork / delivered,
      replicasPerUnit: delivered === 0 ? 0 : f.replicaReports / delivered,
      spotChecks: f.spotChecks,
      spotChecksFailed: f.spotChecksFailed,
      knownUnitsComputed: f.knownUnitsComputed,
      cheatersCaught: f.cheatersCaught,
      honestBlacklisted: f.honestBlacklisted,
      colluderIdentities: f.colluderIdentities,
      unitsReopened: f.unitsReopened,
      leasesExpired: f.leasesExpired,
      reportsLost: f.reportsLost,
      jobs: this.jobsSubmitted,
      simHours: this.nowMs / HOUR_MS,
      events: f.events,
      finishedAllJobs: this.allDelivered(),
    };
  }
}
