/**
 * A job's coordination state as a pure state machine (issue 5, items 4–6): which units need a
 * replica, who holds which lease, what the replicas reported and the quorum's verdict. The node
 * that coordinates a job drives it with time and events; the same code runs in the simulator (the cheaters experiment).
 *
 * - Volunteers pull work (`lease`): a unit gets replicas on distinct workers until the policy's
 *   count is running or reported (judgeUnit says when more are needed).
 * - Leases end by a report, or expire when their heartbeats stop (`tick`): the replica's slot is
 *   then offered again, and its last checkpoint (kept by the host) lets the next worker resume.
 * - Stragglers (Condor's and MapReduce's backup tasks): once no unit needs a replica, a worker
 *   asking for work gets a speculative extra replica of the unit whose lease is oldest, if that
 *   lease has run longer than `stragglerAfterMs`; once per unit.
 * - A unit is done when its replicas reach the quorum, failed when they cannot (inconclusive) or
 *   when `failuresMax` replicas failed outright.
 */
import { judgeUnit, type ReplicaResult, type UnitVerdict, type ValidationPolicy } from './validation-policy.ts';
import { checkSnapshot, type JobStateSnapshot, type OpenSnapshot, type SettledSnapshot } from './job-state-snapshot.ts';

export interface JobStateOptions {
  readonly units: number;
  readonly validation: ValidationPolicy;
  /** A lease without a heartbeat for this long is presumed lost. */
  readonly leaseMs: number;
  /** A lease running this long makes its unit a straggler (once nothing else needs workers). */
  readonly stragglerAfterMs: number;
  /** Replicas of a unit that may fail (trap, time out, …) before the unit is failed. */
  readonly failuresMax: number;
  /**
   * The verdict on a unit's results so far; by default the policy's fixed quorum (judgeUnit).
   * Adaptive replication plugs in here: a judge that weighs who reported (credibility) may accept
   * one result of a trusted worker, or ask for more replicas behind a doubtful one.
   */
  readonly judge?: UnitJudge;
}

export type UnitJudge = (unit: number, results: readonly ReplicaResult[], replicasStarted: number) => UnitVerdict;

export interface Lease {
  readonly id: number;
  readonly unit: number;
  readonly worker: string;
  readonly speculative: boolean;
}

export type UnitPhase = 'open' | 'done' | 'failed';

interface UnitRecord {
  phase: UnitPhase;
  readonly results: ReplicaResult[];
  /** Workers that ran or run a replica: a unit's replicas go to distinct workers. */
  readonly workers: Set<string>;
  /** Replicas started: running or reported. */
  started: number;
  failures: number;
  speculated: boolean;
  verdict: UnitVerdict | null;
}

interface LeaseRecord extends Lease {
  readonly startedAtMs: number;
  lastHeardAtMs: number;
}

export interface JobProgress {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly running: number;
}

export class JobState {
  private readonly options: JobStateOptions;
  private readonly units: UnitRecord[];
  private readonly leases = new Map<number, LeaseRecord>();
  private nextLeaseId = 1;
  private readonly judge: UnitJudge;
  /** Where to start looking for a unit needing replicas: everything before it is settled or full. */
  private cursor = 0;

  constructor(options: JobStateOptions) {
    this.options = options;
    this.judge = options.judge ?? ((_unit, results, started) => judgeUnit(results, options.validation, started));
    this.units = Array.from({ length: options.units }, () => ({ phase: 'open' as UnitPhase, results: [], workers: new Set<string>(), started: 0, failures: 0, speculated: false, verdict: null }));
  }

  /** Work for a worker that asks: a replica of the first unit that needs one (and that it has not run), else a straggler's backup, else null. */
  lease(worker: string, nowMs: number): Lease | null {
    for (let index = this.cursor; index < this.units.length; index++) {
      const unit = this.units[index];
      if (unit.phase !== 'open' || !this.needsReplica(unit, index)) {
        if (index === this.cursor && (unit.phase !== 'open' || unit.started >= this.options.validation.replicas)) this.cursor++;
        continue;
      }
      if (unit.workers.has(worker)) continue;
      return this.start(index, worker, false, nowMs);
    }
    return this.straggler(worker, nowMs);
  }

  /** The worker holding the lease is alive; false if the lease is unknown (expired, or never was). */
  heartbeat(leaseId: number, nowMs: number): boolean {
    const lease = this.leases.get(leaseId);
    if (lease === undefined) return false;
    lease.lastHeardAtMs = nowMs;
    return true;
  }

  /**
   * A replica's result. Returns the unit's verdict once it is settled (accepted or failed), else
   * null. A report for a lease that is not held (expired, or a forgery) is ignored: false.
   */
  report(leaseId: number, outcome: { readonly outputHash: string; readonly fuel: bigint; readonly resumedFrom?: string } | { readonly failed: string }): { readonly accepted: boolean; readonly verdict: UnitVerdict | null } {
    const lease = this.leases.get(leaseId);
    if (lease === undefined) return { accepted: false, verdict: null };
    this.leases.delete(leaseId);
    const unit = this.units[lease.unit];
    if (unit.phase !== 'open') return { accepted: true, verdict: unit.verdict };
    if ('failed' in outcome) {
      unit.failures++;
      unit.started--;
      if (unit.failures >= this.options.failuresMax) this.settle(lease.unit, 'failed', null);
      else this.offerAgain(lease.unit);
      return { accepted: true, verdict: unit.verdict };
    }
    unit.results.push({ worker: lease.worker, outputHash: outcome.outputHash, fuel: outcome.fuel, ...(outcome.resumedFrom === undefined ? {} : { resumedFrom: outcome.resumedFrom }) });
    // The checkpoint's maker is behind this result too: no replica of this unit for it.
    if (outcome.resumedFrom !== undefined) unit.workers.add(outcome.resumedFrom);
    const verdict = this.judge(lease.unit, unit.results, unit.started);
    if (verdict.state === 'accepted') this.settle(lease.unit, 'done', verdict);
    else if (verdict.state === 'inconclusive') this.settle(lease.unit, 'failed', verdict);
    else if (verdict.replicasToAdd > 0) this.offerAgain(lease.unit);
    return { accepted: true, verdict: unit.verdict };
  }

  /**
   * Leases from now on are numbered from `first` at least: a coordinator that takes a job over
   * numbers its leases apart from those its predecessor may have granted after its last snapshot.
   */
  numberLeasesFrom(first: number): void {
    this.nextLeaseId = Math.max(this.nextLeaseId, first);
  }

  /** A lease number for a lease kept outside this state (a spot check): numbered with the others, so never the same. */
  takeLeaseId(): number {
    return this.nextLeaseId++;
  }

  /**
   * The units that want a replica started now, from the first, up to `limit` of them (the scan stops
   * there): what a coordinator announces, and how it tells whether more workers ask than there is work.
   */
  unitsWanted(limit: number): number[] {
    const wanted: number[] = [];
    for (let index = this.cursor; index < this.units.length && wanted.length < limit; index++) {
      const unit = this.units[index];
      if (unit.phase === 'open' && this.needsReplica(unit, index)) wanted.push(index);
    }
    return wanted;
  }

  /** Whether `worker` ran, runs, or is behind (a checkpoint) a replica of `unit`: it gets no other. */
  hasWorkedOn(unit: number, worker: string): boolean {
    return this.units[unit].workers.has(worker);
  }

  /**
   * The state as plain data, for the nodes that keep a copy of a coordinator's jobs: the open units
   * something has happened to, the leases, and the settled units named in `settledUnits` (all of
   * them by default, in unit order) with their verdicts. Units in neither list are open and untouched.
   */
  snapshot(settledUnits?: readonly number[]): JobStateSnapshot {
    const open: [number, OpenSnapshot][] = [];
    this.units.forEach((unit, index) => {
      if (unit.phase !== 'open' || (unit.started === 0 && unit.failures === 0 && !unit.speculated && unit.workers.size === 0 && unit.results.length === 0)) return;
      open.push([index, {
        started: unit.started, failures: unit.failures, speculated: unit.speculated, workers: [...unit.workers],
        results: unit.results.map((result) => ({ worker: result.worker, outputHash: result.outputHash, fuel: result.fuel.toString(), ...(result.resumedFrom === undefined ? {} : { resumedFrom: result.resumedFrom }) })),
      }]);
    });
    const settled: [number, SettledSnapshot][] = [];
    for (const index of settledUnits ?? this.settledUnits()) {
      const unit = this.units[index];
      if (unit === undefined || unit.phase === 'open') continue;
      const verdict = unit.verdict?.state === 'accepted' ? { outputHash: unit.verdict.outputHash, fuel: unit.verdict.fuel.toString(), agreeing: [...unit.verdict.agreeing], disagreeing: [...unit.verdict.disagreeing] } : null;
      settled.push([index, { phase: unit.phase, verdict }]);
    }
    const leases = [...this.leases.values()].map((lease) => ({ id: lease.id, unit: lease.unit, worker: lease.worker, speculative: lease.speculative }));
    return { version: 2, open, settled, leases, nextLeaseId: this.nextLeaseId };
  }

  /** The settled units (done or failed), in unit order. */
  settledUnits(): number[] {
    const settled: number[] = [];
    this.units.forEach((unit, index) => {
      if (unit.phase !== 'open') settled.push(index);
    });
    return settled;
  }

  /**
   * A JobState from a snapshot (checked: it comes from another node); its leases count as heard
   * from now, so their workers have a lease time to reach the new coordinator. Units the snapshot
   * lists neither as open nor as settled are open and untouched. Null with the problem when the
   * snapshot does not fit `options`.
   */
  static restore(options: JobStateOptions, value: unknown, nowMs: number): { readonly state: JobState } | { readonly problem: string } {
    const checked = checkSnapshot(value, options.units);
    if (typeof checked === 'string') return { problem: checked };
    const state = new JobState(options);
    for (const [index, snapshot] of checked.settled) {
      const unit = state.units[index];
      unit.phase = snapshot.phase;
      unit.verdict = snapshot.verdict === null ? { state: 'inconclusive', distinctResults: 0 }
        : { state: 'accepted', outputHash: snapshot.verdict.outputHash, fuel: BigInt(snapshot.verdict.fuel), agreeing: snapshot.verdict.agreeing, disagreeing: snapshot.verdict.disagreeing };
    }
    for (const [index, snapshot] of checked.open) {
      const unit = state.units[index];
      unit.started = snapshot.started;
      unit.failures = snapshot.failures;
      unit.speculated = snapshot.speculated;
      for (const worker of snapshot.workers) unit.workers.add(worker);
      for (const result of snapshot.results) {
        unit.results.push({ worker: result.worker, outputHash: result.outputHash, fuel: BigInt(result.fuel), ...(result.resumedFrom === undefined ? {} : { resumedFrom: result.resumedFrom }) });
      }
    }
    for (const lease of checked.leases) state.leases.set(lease.id, { ...lease, startedAtMs: nowMs, lastHeardAtMs: nowMs });
    state.nextLeaseId = checked.nextLeaseId;
    return { state };
  }

  /**
   * Opens a settled unit again, from scratch (backtracking: a worker its verdict rested on was
   * caught lying since). Its replicas still running count as started; the results it had do not
   * (a rerun from zero is always safe). False if the unit is open already.
   */
  reopen(index: number): boolean {
    const unit = this.units[index];
    if (unit === undefined || unit.phase === 'open') return false;
    unit.phase = 'open';
    unit.verdict = null;
    unit.results.length = 0;
    unit.workers.clear();
    unit.failures = 0;
    unit.speculated = false;
    unit.started = 0;
    for (const lease of this.leases.values()) {
      if (lease.unit !== index) continue;
      unit.started++;
      unit.workers.add(lease.worker);
    }
    this.offerAgain(index);
    return true;
  }

  /** The leases held now. */
  heldLeases(): Lease[] {
    return [...this.leases.values()].map((lease) => ({ id: lease.id, unit: lease.unit, worker: lease.worker, speculative: lease.speculative }));
  }

  /** The lease, while it is held. */
  leaseOf(leaseId: number): Lease | undefined {
    const lease = this.leases.get(leaseId);
    return lease === undefined ? undefined : { id: lease.id, unit: lease.unit, worker: lease.worker, speculative: lease.speculative };
  }

  /**
   * Ends a lease without a result and without a failure: the worker gave it back (it could not
   * fetch the program, or is shutting down), or its unit is settled and the replica is not needed.
   * The unit is offered again if it still needs the replica; the worker may get it again.
   */
  release(leaseId: number): boolean {
    const lease = this.leases.get(leaseId);
    if (lease === undefined) return false;
    this.leases.delete(leaseId);
    const unit = this.units[lease.unit];
    if (unit.phase === 'open') {
      unit.started--;
      unit.workers.delete(lease.worker);
      this.offerAgain(lease.unit);
    }
    return true;
  }

  /** Expires leases not heard from within leaseMs; returns them (their units are offered again). */
  tick(nowMs: number): Lease[] {
    const expired: Lease[] = [];
    for (const lease of this.leases.values()) {
      if (nowMs - lease.lastHeardAtMs < this.options.leaseMs) continue;
      this.leases.delete(lease.id);
      const unit = this.units[lease.unit];
      if (unit.phase === 'open') {
        unit.started--;
        this.offerAgain(lease.unit);
      }
      expired.push({ id: lease.id, unit: lease.unit, worker: lease.worker, speculative: lease.speculative });
    }
    return expired;
  }

  phaseOf(unit: number): UnitPhase {
    return this.units[unit].phase;
  }

  verdictOf(unit: number): UnitVerdict | null {
    return this.units[unit].verdict;
  }

  progress(): JobProgress {
    let done = 0;
    let failed = 0;
    for (const unit of this.units) {
      if (unit.phase === 'done') done++;
      else if (unit.phase === 'failed') failed++;
    }
    return { total: this.units.length, done, failed, running: this.leases.size };
  }

  get finished(): boolean {
    return this.units.every((unit) => unit.phase !== 'open');
  }

  private needsReplica(unit: UnitRecord, index: number): boolean {
    // Replicas to reach the policy's count, or more when the ones reported disagree.
    if (unit.started < this.options.validation.replicas) return true;
    const verdict = this.judge(index, unit.results, unit.started);
    return verdict.state === 'waiting' && verdict.replicasToAdd > 0 && unit.started < this.options.validation.replicasMax;
  }

  private start(index: number, worker: string, speculative: boolean, nowMs: number): Lease {
    const unit = this.units[index];
    unit.started++;
    unit.workers.add(worker);
    const lease: LeaseRecord = { id: this.nextLeaseId++, unit: index, worker, speculative, startedAtMs: nowMs, lastHeardAtMs: nowMs };
    this.leases.set(lease.id, lease);
    return { id: lease.id, unit: index, worker, speculative };
  }

  private straggler(worker: string, nowMs: number): Lease | null {
    // Backups off (adaptive validation wants replicas to go out one at a time): skip the scan.
    if (this.options.stragglerAfterMs === Number.POSITIVE_INFINITY) return null;
    let oldest: LeaseRecord | undefined;
    for (const lease of this.leases.values()) {
      const unit = this.units[lease.unit];
      if (unit.phase !== 'open' || unit.speculated || unit.workers.has(worker) || nowMs - lease.startedAtMs < this.options.stragglerAfterMs) continue;
      if (oldest === undefined || lease.startedAtMs < oldest.startedAtMs) oldest = lease;
    }
    if (oldest === undefined) return null;
    this.units[oldest.unit].speculated = true;
    return this.start(oldest.unit, worker, true, nowMs);
  }

  private settle(index: number, phase: UnitPhase, verdict: UnitVerdict | null): void {
    const unit = this.units[index];
    unit.phase = phase;
    unit.verdict = verdict;
    // Replicas still running for it are no longer needed: their leases end with their reports.
  }

  private offerAgain(index: number): void {
    if (index < this.cursor) this.cursor = index;
  }
}
