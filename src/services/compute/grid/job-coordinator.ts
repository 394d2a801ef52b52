/**
 * One job as its coordinator runs it (issue 5, items 4–6): JobState (who holds which unit, the
 * quorum's verdicts) behind the compute protocol's requests. Pure: the node hosting the job
 * (runtime/compute/job-host.ts) passes in time, hashes and what peers asked, stores the accepted
 * outputs it is handed, and sends the answers.
 *
 * - grant: a volunteer that pulls work is checked against the job's requirements (its advert,
 *   resource-advert.ts) and gets up to `slots` leases, each with the unit's arguments, input and
 *   the checkpoint a departed worker left. When fewer units are left than volunteers asking, the
 *   job's rank decides (Condor's Rank): only the best-ranked of those heard from lately get work.
 * - report: results are judged by the validation policy (JobState, validation-policy.ts); a
 *   report or heartbeat for a lease the sender does not hold is ignored and named back as lost, so
 *   the volunteer stops it. A heartbeat's checkpoint is kept per unit, for whoever runs it next.
 * - tick: leases without heartbeats expire (their units are offered again); past the deadline the
 *   job expires.
 * - Adaptive validation (job.json's `"mode": "adaptive"`, adaptive-policy.ts): units are judged by
 *   the credibility of who reported them (adaptive-judge.ts, against the node's standing book), with
 *   no speculative backups (a colluder must not see a fellow's replica before it reports), and a
 *   share of leases are spot checks of units the node computed itself (spot-leases.ts).
 */
import { JobState, type UnitJudge } from '../jobs/job-state.ts';
import { CborRecord, FieldProblem } from '../../../wire/cbor-record.ts';
import { unitAt, unitCount } from '../jobs/unit-plan.ts';
import type { JobManifest } from './job-manifest.ts';
import { ComputeLimits, ComputeRefusal, JobPhase, type Heartbeat, type JobStatusReport, type LeaseGrant, type UnitReport, type UnitResultEntry } from './compute-messages.ts';
import { rankOf, unsuitability, type ResourceAdvert } from './resource-advert.ts';
import { receiptFromCbor, receiptToCbor, type Receipt } from './receipts.ts';
import { ReceiptBook } from './receipt-book.ts';
import { okOutputKey, storedOutputCid } from './output-key.ts';
import type { Random } from '../../../core/random.ts';
import { AdaptiveJudge, lieWeightOf } from '../validation/adaptive-judge.ts';
import { CredibilityBook } from '../validation/credibility-book.ts';
import { SpotLeases, type SpotOutcome } from './spot-leases.ts';

export interface CoordinatorOptions {
  /** A lease not heard from for this long expires (volunteers send heartbeats at a third of it). */
  readonly leaseMs: number;
  readonly stragglerAfterMs: number;
  readonly failuresMax: number;
  /** How long a volunteer that asked counts as waiting, for ranking. */
  readonly askersWindowMs: number;
  /** Judges every unit, whatever the job asks (tests and the simulator); otherwise the job's policy decides. */
  readonly judge?: UnitJudge;
  /** The node's standing book: adaptive jobs are judged by it (without one, each adaptive job keeps a book of its own). */
  readonly standing?: CredibilityBook;
  /** For spot checks: which units are known, and which leases check. */
  readonly random?: Random;
}

export const DEFAULT_COORDINATOR_OPTIONS: CoordinatorOptions = {
  leaseMs: 15_000,
  stragglerAfterMs: 60_000,
  failuresMax: 3,
  askersWindowMs: 5_000,
};

export type GrantAnswer =
  /** `whenFree`: no leases now, though units wait — they are kept for free cores (the end game, see grant); ask again once one of yours is free. */
  | { readonly ok: true; readonly leases: readonly LeaseGrant[]; readonly whenFree?: true }
  | { readonly ok: false; readonly reason: ComputeRefusal; readonly message: string };

/** An output the quorum accepted: the host keeps its bytes (the job's results). */
export interface AcceptedOutput {
  readonly unit: number;
  readonly outputHash: string;
  readonly output: Uint8Array;
}

export interface ReportAnswer {
  /** Leases named in the request that the sender does not hold (any more): it should stop them. */
  readonly lost: readonly number[];
  readonly accepted: readonly AcceptedOutput[];
  /** Who agreed with each accepted result (in the order they reported) and who was outvoted: for the workers' standing. */
  readonly verdicts: readonly { readonly unit: number; readonly agreeing: readonly string[]; readonly disagreeing: readonly string[] }[];
  /** Spot checks answered in this report (the book has recorded them; a failed one blacklisted its worker). */
  readonly spotChecks: readonly { readonly unit: number; readonly worker: string; readonly outcome: SpotOutcome }[];
}

interface Asker {
  readonly rank: number;
  readonly atMs: number;
  /** Units it runs at once (its advert). */
  readonly cores: number;
}

const NO_BYTES = new Uint8Array(0);

/** Receipts handed out in one answer, at most (the rest with the next). */
const RECEIPTS_PER_ANSWER_MAX = 1024;

/** The options with a standing book for an adaptive job: the node's, or one of the job's own. */
function withStanding(manifest: JobManifest, options: CoordinatorOptions): CoordinatorOptions {
  const { adaptive } = manifest.spec;
  if (adaptive === null || options.standing !== undefined) return options;
  return { ...options, standing: new CredibilityBook({ cheatersFraction: adaptive.cheatersFraction, workersMax: adaptive.workersMax }) };
}

function stateOptions(units: number, manifest: JobManifest, options: CoordinatorOptions) {
  const { adaptive } = manifest.spec;
  const judge = options.judge ?? (adaptive !== null && options.standing !== undefined ? new AdaptiveJudge(adaptive, options.standing).judge : undefined);
  return {
    units, validation: manifest.spec.validation, leaseMs: options.leaseMs,
    // Adaptive replicas go out one at a time: a backup would let a colluder see a fellow's replica.
    stragglerAfterMs: adaptive === null ? options.stragglerAfterMs : Number.POSITIVE_INFINITY, failuresMax: options.failuresMax,
    ...(judge === undefined ? {} : { judge }),
  };
}

/** Where a snapshot for a copy starts: the settled units and receipts it holds already. */
export interface SnapshotFrom {
  readonly settled: number;
  readonly receipts: number;
}

/** sha2-256 of bytes as lowercase hex; injected (node:crypto in a node, anything in a test). */
export type HashHex = (bytes: Uint8Array) => string;

export class JobCoordinator {
  readonly jobId: string;
  readonly manifest: JobManifest;
  private readonly options: CoordinatorOptions;
  private readonly state: JobState;
  private readonly unitsTotal: number;
  private deadlineAtMs: number;
  private phase: JobPhase = JobPhase.running;
  /**
   * How many times the job was taken over (0 under the node it was submitted to). Of two nodes
   * that both coordinate the job, which happens when copies take over at once, the one with the
   * higher generation goes on (job-host.ts): its state is the newer.
   */
  private generationValue = 0;
  /** Each running lease's latest checkpoint (from its heartbeats). */
  private readonly leaseCheckpoints = new Map<number, { readonly unit: number; readonly worker: string; readonly bytes: Uint8Array }>();
  /**
   * Checkpoints of leases that ended without a result (the worker vanished or gave the unit back),
   * by unit: the next lease of that unit resumes from it. Never a running replica's: replicas of a
   * unit must stay independent.
   */
  private readonly orphanCheckpoints = new Map<number, { readonly worker: string; readonly bytes: Uint8Array }>();
  /** Leases that resumed from another worker's checkpoint, and whose. */
  private readonly resumedFrom = new Map<number, string>();
  /** The checkpoint each resumed lease was given: back to its unit if the lease ends before saving its own. */
  private readonly resumedCheckpoints = new Map<number, { readonly unit: number; readonly worker: string; readonly bytes: Uint8Array }>();
  /** Outputs reported for units not yet settled: per unit, by hash. */
  private readonly pendingOutputs = new Map<number, Map<string, Uint8Array>>();
  private readonly accepted = new Map<number, { readonly outputHash: string; readonly fuel: bigint }>();
  private readonly askers = new Map<string, Asker>();
  /** What each worker reported for units not settled yet (fuel, wall time): its receipt if it is accepted. */
  private readonly claims = new Map<number, Map<string, { readonly fuel: number; readonly wallMs: number }>>();
  private readonly receipts = new ReceiptBook();
  /** Every settled unit in the order it settled: what copies are sent from where they are. */
  private settledLog: number[] = [];
  /** Settled units opened again (backtracking): each time, copies are sent the whole state again. */
  private reopenedCount = 0;
  /** Leases each worker holds: a busy worker does not compete for the last units. */
  private readonly held = new Map<string, number>();
  /** Spot checks, for an adaptive job whose node can weigh and check workers; else null. */
  private readonly spot: SpotLeases | null;

  constructor(jobId: string, manifest: JobManifest, nowMs: number, given: CoordinatorOptions = DEFAULT_COORDINATOR_OPTIONS, state?: JobState) {
    const options = withStanding(manifest, given);
    this.jobId = jobId;
    this.manifest = manifest;
    this.options = options;
    this.unitsTotal = unitCount(manifest.spec.units);
    this.deadlineAtMs = nowMs + manifest.spec.deadlineSeconds * 1000;
    this.state = state ?? new JobState(stateOptions(this.unitsTotal, manifest, options));
    const { adaptive } = manifest.spec;
    this.spot = adaptive !== null && adaptive.spotCheckRate > 0 && options.standing !== undefined && options.random !== undefined
      ? new SpotLeases(adaptive.spotCheckRate, options.standing, options.random, this.unitsTotal) : null;
  }

  /** The units whose right answers this job's spot checks want computed by the node (none unless adaptive with spot checks). */
  knownUnitsWanted(): number[] {
    if (this.spot === null || this.spot.knownAnswers.length > 0) return [];
    return this.spot.knownUnitsWanted();
  }

  /** A unit's right answer, computed by the node itself: for spot checks. */
  addKnownAnswer(unit: number, outputHash: string, fuel: bigint): void {
    this.spot?.addKnownAnswer({ unit, outputHash, fuel });
  }

  /** How many units' answers the spot checks know. */
  get knownAnswers(): number {
    return this.spot?.knownAnswers.length ?? 0;
  }

  /** The job's spot checks so far (this coordinator's: a takeover starts counting afresh); null for a job without. */
  spotCheckCounts(): { readonly known: number; readonly issued: number; readonly passed: number; readonly failed: number } | null {
    return this.spot === null ? null : { known: this.spot.knownAnswers.length, ...this.spot.counts };
  }

  /**
   * The coordinator's state as a dag-cbor value, for the nodes that keep a copy (job-host.ts):
   * the job state, the phase, the time left, the checkpoints it holds and the receipts. Settled units
   * and receipts are final, so a copy that holds the first `from.settled` units settled and the first
   * `from.receipts` receipts issued is sent only those after (snapshot-merge.ts puts them together
   * again); from zero it is whole, which is what `restore` takes. Accepted outputs travel beside it,
   * as they are accepted.
   */
  snapshot(nowMs: number, from: SnapshotFrom = { settled: 0, receipts: 0 }): Record<string, unknown> {
    const settledFrom = Math.min(from.settled, this.settledLog.length);
    const receiptsFrom = Math.min(from.receipts, this.receipts.count);
    return {
      state: this.state.snapshot(this.settledLog.slice(settledFrom)),
      settledFrom,
      receiptsFrom,
      receipts: this.receipts.since(receiptsFrom).map(receiptToCbor),
      phase: this.phase,
      generation: this.generationValue,
      deadlineInMs: Math.max(0, Math.round(this.deadlineAtMs - nowMs)),
      orphanCheckpoints: [...this.orphanCheckpoints.entries()].map(([unit, checkpoint]) => ({ unit, worker: checkpoint.worker, bytes: checkpoint.bytes })),
      leaseCheckpoints: [...this.leaseCheckpoints.entries()].map(([lease, checkpoint]) => ({ lease, unit: checkpoint.unit, worker: checkpoint.worker, bytes: checkpoint.bytes })),
      resumedFrom: [...this.resumedFrom.entries()].map(([lease, worker]) => ({ lease, worker, checkpoint: this.resumedCheckpoints.get(lease)?.bytes ?? null, unit: this.resumedCheckpoints.get(lease)?.unit ?? 0 })),
      knownAnswers: (this.spot?.knownAnswers ?? []).map((answer) => ({ unit: answer.unit, outputHash: answer.outputHash, fuel: answer.fuel.toString() })),
    };
  }

  /** Units opened again by backtracking so far: a snapshot's log changes with it (settled units were final until then). */
  get reopens(): number {
    return this.reopenedCount;
  }

  /**
   * Backtracking (Sarmenta FGCS 2002 §4.2: a caught saboteur's results are all suspect): `worker`
   * was blacklisted, so the accepted units whose verdict rested on it and no longer stands without
   * it — fewer agreeing than the quorum, or, in adaptive mode, a lie weight above errorRateMax — are
   * opened again and rerun from scratch. Only while the job runs: a finished job's results may be
   * in its submitter's hands. The receipts already issued stay (they were handed out, signed).
   * Returns the units reopened; the host drops their outputs.
   */
  backtrack(worker: string, isBlacklisted: (worker: string) => boolean): number[] {
    if (this.phase !== JobPhase.running) return [];
    const reopened: number[] = [];
    const { adaptive } = this.manifest.spec;
    for (const unit of this.accepted.keys()) {
      const verdict = this.state.verdictOf(unit);
      if (verdict?.state !== 'accepted' || !verdict.agreeing.includes(worker)) continue;
      const remaining = verdict.agreeing.filter((other) => other !== worker && !isBlacklisted(other));
      const stands = adaptive !== null && this.options.standing !== undefined
        ? lieWeightOf(this.options.standing, adaptive, remaining) <= adaptive.errorRateMax
        : remaining.length >= this.manifest.spec.validation.quorum;
      if (stands || !this.state.reopen(unit)) continue;
      this.accepted.delete(unit);
      this.pendingOutputs.delete(unit);
      this.claims.delete(unit);
      reopened.push(unit);
    }
    if (reopened.length > 0) {
      const gone = new Set(reopened);
      this.settledLog = this.settledLog.filter((unit) => !gone.has(unit));
      this.reopenedCount += reopened.length;
    }
    return reopened;
  }

  /** How many units have settled and receipts been issued: where the next snapshot for a copy holding everything starts. */
  get snapshotEnd(): SnapshotFrom {
    return { settled: this.settledLog.length, receipts: this.receipts.count };
  }

  /** A coordinator that goes on from a snapshot (checked: it comes from another node), or the problem with it. */
  static restore(jobId: string, manifest: JobManifest, value: unknown, nowMs: number, options: CoordinatorOptions = DEFAULT_COORDINATOR_OPTIONS): JobCoordinator | string {
    try {
      const record = new CborRecord(value, 'snapshot');
      const units = unitCount(manifest.spec.units);
      const withBook = withStanding(manifest, options);
      if (record.integer('settledFrom', 0, 0) !== 0 || record.integer('receiptsFrom', 0, 0) !== 0) return 'snapshot: not whole';
      const stateValue = record.field('state').value;
      const restored = JobState.restore(stateOptions(units, manifest, withBook), stateValue, nowMs);
      if ('problem' in restored) return `snapshot.state: ${restored.problem}`;
      const coordinator = new JobCoordinator(jobId, manifest, nowMs, withBook, restored.state);
      // Checked by JobState.restore: [unit, verdict] pairs, in the order they settled.
      for (const [unit] of (stateValue as { settled: readonly (readonly [number, unknown])[] }).settled) coordinator.settledLog.push(unit);
      coordinator.phase = record.oneOf('phase', Object.values(JobPhase));
      coordinator.generationValue = record.integer('generation', 0, Number.MAX_SAFE_INTEGER);
      coordinator.deadlineAtMs = nowMs + record.integer('deadlineInMs', 0, 90 * 24 * 3600 * 1000);
      const checkpointBytesMax = 1024 * 1024;
      for (const item of record.list('orphanCheckpoints', units, (entry, path) => new CborRecord(entry, path))) {
        coordinator.orphanCheckpoints.set(item.integer('unit', 0, units - 1), { worker: item.text('worker', 256), bytes: item.bytes('bytes', checkpointBytesMax) });
      }
      for (const item of record.list('leaseCheckpoints', units * 16, (entry, path) => new CborRecord(entry, path))) {
        coordinator.leaseCheckpoints.set(item.integer('lease', 1, Number.MAX_SAFE_INTEGER), { unit: item.integer('unit', 0, units - 1), worker: item.text('worker', 256), bytes: item.bytes('bytes', checkpointBytesMax) });
      }
      for (const item of record.list('resumedFrom', units * 16, (entry, path) => new CborRecord(entry, path))) {
        const lease = item.integer('lease', 1, Number.MAX_SAFE_INTEGER);
        const worker = item.text('worker', 256);
        coordinator.resumedFrom.set(lease, worker);
        const bytes = item.bytesOrNull('checkpoint', checkpointBytesMax);
        if (bytes !== null) coordinator.resumedCheckpoints.set(lease, { unit: item.integer('unit', 0, units - 1), worker, bytes });
      }
      if (record.has('knownAnswers')) {
        for (const item of record.list('knownAnswers', units, (entry, path) => new CborRecord(entry, path))) {
          const fuel = item.text('fuel', 24);
          if (!/^[0-9]{1,20}$/.test(fuel)) throw new FieldProblem('snapshot.knownAnswers: fuel is not a count');
          coordinator.addKnownAnswer(item.integer('unit', 0, units - 1), item.text('outputHash', 64), BigInt(fuel));
        }
      }
      for (const receipt of record.list('receipts', units * ComputeLimits.workersPerUnitMax, receiptFromCbor)) {
        if (receipt.jobId === jobId && receipt.unit < units) coordinator.receipts.issue(receipt);
      }
      for (let unit = 0; unit < units; unit++) {
        const verdict = coordinator.state.verdictOf(unit);
        if (verdict?.state === 'accepted') coordinator.accepted.set(unit, { outputHash: verdict.outputHash, fuel: verdict.fuel });
      }
      for (const lease of coordinator.state.heldLeases()) coordinator.held.set(lease.worker, (coordinator.held.get(lease.worker) ?? 0) + 1);
      return coordinator;
    } catch (error) {
      if (error instanceof FieldProblem) return error.message;
      throw error;
    }
  }

  get generation(): number {
    return this.generationValue;
  }

  /**
   * A copy goes on as the job's coordinator: a generation later than the one it copied, its leases
   * numbered from `leaseIdFloor` (volunteers may still hold leases the old coordinator granted after
   * its last snapshot: the same number for another unit would pass one unit's result for another's).
   */
  takeOver(leaseIdFloor: number): void {
    this.generationValue++;
    this.state.numberLeasesFrom(leaseIdFloor);
  }

  get currentPhase(): JobPhase {
    return this.phase;
  }

  /** Units waiting for a worker (counted up to a million). */
  get unitsWaiting(): number {
    return this.state.unitsWanted(1_000_000).length;
  }

  grant(worker: string, advert: ResourceAdvert, slots: number, nowMs: number): GrantAnswer {
    if (this.phase !== JobPhase.running) return { ok: false, reason: ComputeRefusal.finished, message: `the job is ${this.phase}` };
    const unsuitable = unsuitability(this.manifest.spec.requirements, advert);
    if (unsuitable !== null) return { ok: false, reason: ComputeRefusal.notQualified, message: unsuitable };
    const byRank = this.slotsByRank(worker, rankOf(this.manifest.spec.rank, advert), advert.cores, nowMs);
    const freeCores = this.endGameSlots(worker, advert.cores);
    if (freeCores === 0 && byRank > 0) return { ok: true, leases: [], whenFree: true };
    const allowed = Math.min(slots, byRank, freeCores);
    const leases: LeaseGrant[] = [];
    while (leases.length < allowed) {
      // Each lease is a spot check with the job's rate (volunteers take several per request).
      const check = this.spot?.offer(worker, nowMs, (unit) => this.state.hasWorkedOn(unit, worker), () => this.state.takeLeaseId());
      if (check !== null && check !== undefined) {
        const planned = unitAt(this.manifest.spec.units, check.unit);
        leases.push({ lease: check.lease, unit: check.unit, args: planned.args, input: planned.input, checkpoint: null });
        continue;
      }
      const lease = this.state.lease(worker, nowMs);
      if (lease === null) break;
      const planned = unitAt(this.manifest.spec.units, lease.unit);
      const orphan = this.orphanCheckpoints.get(lease.unit);
      let checkpoint: Uint8Array | null = null;
      if (orphan !== undefined && orphan.worker !== worker) {
        this.orphanCheckpoints.delete(lease.unit);
        this.resumedFrom.set(lease.id, orphan.worker);
        this.resumedCheckpoints.set(lease.id, { unit: lease.unit, worker: orphan.worker, bytes: orphan.bytes });
        checkpoint = orphan.bytes;
      }
      leases.push({ lease: lease.id, unit: lease.unit, args: planned.args, input: planned.input, checkpoint });
    }
    if (leases.length > 0) this.held.set(worker, (this.held.get(worker) ?? 0) + leases.length);
    // Nothing this worker may run (it ran the replicas left): it must not keep worse-ranked
    // workers, who could, waiting behind it.
    if (leases.length === 0) this.askers.delete(worker);
    return { ok: true, leases };
  }

  report(worker: string, results: readonly UnitReport[], heartbeats: readonly Heartbeat[], hashHex: HashHex, nowMs: number): ReportAnswer {
    const lost: number[] = [];
    const accepted: AcceptedOutput[] = [];
    const verdicts: { unit: number; agreeing: readonly string[]; disagreeing: readonly string[] }[] = [];
    const spotChecks: { unit: number; worker: string; outcome: SpotOutcome }[] = [];
    if (this.phase !== JobPhase.running) {
      // The job is over: its results and receipts are final (the submitter may have fetched them).
      // What replicas still report is named lost, so that their volunteers stop them; it earns nothing.
      for (const leaseId of [...heartbeats.map((beat) => beat.lease), ...results.map((result) => result.lease)]) {
        const lease = this.state.leaseOf(leaseId);
        if (lease !== undefined && lease.worker === worker && this.state.release(leaseId)) this.ended(worker);
        else if (this.spot?.holds(leaseId, worker) === true && this.spot.release(leaseId)) this.ended(worker);
        lost.push(leaseId);
      }
      return { lost, accepted, verdicts, spotChecks };
    }
    for (const heartbeat of heartbeats) {
      const lease = this.state.leaseOf(heartbeat.lease);
      if (lease === undefined || lease.worker !== worker) {
        if (this.spot?.heartbeat(heartbeat.lease, worker, nowMs) === true) continue;
        lost.push(heartbeat.lease);
        continue;
      }
      if (this.state.phaseOf(lease.unit) !== 'open') {
        // Settled by the others' replicas: this one is not needed any more.
        this.state.release(lease.id);
        this.ended(worker);
        this.leaseCheckpoints.delete(lease.id);
        this.resumedFrom.delete(lease.id);
        this.resumedCheckpoints.delete(lease.id);
        lost.push(heartbeat.lease);
        continue;
      }
      this.state.heartbeat(lease.id, nowMs);
      if (heartbeat.checkpoint !== null) this.leaseCheckpoints.set(lease.id, { unit: lease.unit, worker, bytes: heartbeat.checkpoint });
    }
    for (const result of results) {
      const lease = this.state.leaseOf(result.lease);
      if (lease === undefined || lease.worker !== worker) {
        if (this.spot?.holds(result.lease, worker) === true) {
          this.ended(worker);
          const answered = this.spotAnswer(worker, result, hashHex);
          if (answered !== null) spotChecks.push(answered);
          continue;
        }
        lost.push(result.lease);
        continue;
      }
      this.ended(worker);
      if (result.status === 'unavailable') {
        // The volunteer could not run it (no program, shutting down): not the unit's failure.
        this.state.release(lease.id);
        this.orphan(lease.id);
        continue;
      }
      const resumedFrom = this.resumedFrom.get(lease.id);
      this.resumedFrom.delete(lease.id);
      this.resumedCheckpoints.delete(lease.id);
      this.leaseCheckpoints.delete(lease.id);
      if (this.state.phaseOf(lease.unit) !== 'open') {
        // A replica of a unit the others settled meanwhile: judged against the accepted result.
        this.state.release(lease.id);
        const late = this.lateResult(lease.unit, worker, result, resumedFrom !== undefined, hashHex);
        if (late !== null) verdicts.push(late);
        continue;
      }
      let outcome: { readonly outputHash: string; readonly fuel: bigint } | { readonly failed: string };
      const outputHash = okOutputKey(result, hashHex);
      if (outputHash !== null) {
        // A stored output's bytes are on the grid under its CID: nothing to hold here.
        this.holdPending(lease.unit, outputHash, result.output ?? NO_BYTES);
        let claims = this.claims.get(lease.unit);
        if (claims === undefined) this.claims.set(lease.unit, claims = new Map());
        claims.set(worker, { fuel: result.fuel, wallMs: result.wallMs });
        outcome = { outputHash, fuel: BigInt(result.fuel), ...(resumedFrom === undefined ? {} : { resumedFrom }) };
      } else {
        outcome = { failed: result.status };
      }
      const { verdict } = this.state.report(lease.id, outcome);
      if (this.state.phaseOf(lease.unit) === 'open') continue;
      const acceptedVerdict = verdict?.state === 'accepted' ? verdict : null;
      this.settled(lease.unit, acceptedVerdict, accepted);
      if (acceptedVerdict !== null) verdicts.push({ unit: lease.unit, agreeing: acceptedVerdict.agreeing, disagreeing: acceptedVerdict.disagreeing });
    }
    if (this.state.finished && this.phase === JobPhase.running) this.phase = JobPhase.done;
    return { lost, accepted, verdicts, spotChecks };
  }

  /** Expires silent leases, and the job at its deadline. */
  tick(nowMs: number): void {
    if (this.phase !== JobPhase.running) return;
    for (const lease of this.state.tick(nowMs)) {
      this.orphan(lease.id);
      this.ended(lease.worker);
      // It went silent: not a volunteer waiting for work.
      this.askers.delete(lease.worker);
    }
    for (const worker of this.spot?.expire(nowMs, this.options.leaseMs) ?? []) {
      this.ended(worker);
      this.askers.delete(worker);
    }
    if (nowMs >= this.deadlineAtMs) this.phase = JobPhase.expired;
    for (const [worker, asker] of this.askers) if (nowMs - asker.atMs > this.options.askersWindowMs) this.askers.delete(worker);
  }

  /** `worker`'s receipts (its accepted results) from the `from`-th it holds, a batch at most. */
  receiptsFor(worker: string, from: number): Receipt[] {
    return this.receipts.ofWorker(worker, from, RECEIPTS_PER_ANSWER_MAX);
  }

  /** Only the submitter may cancel; false when `peer` may not. */
  cancel(peer: string): boolean {
    if (peer !== this.manifest.submitter) return false;
    if (this.phase === JobPhase.running) this.phase = JobPhase.cancelled;
    this.pendingOutputs.clear();
    return true;
  }

  status(): JobStatusReport {
    const progress = this.state.progress();
    return {
      jobId: this.jobId,
      name: this.manifest.spec.name,
      phase: this.phase,
      units: { total: progress.total, done: progress.done, failed: progress.failed, running: this.phase === JobPhase.running ? progress.running : 0 },
      submitter: this.manifest.submitter,
      submittedAtUnixMs: this.manifest.submittedAtUnixMs,
      unitStates: this.unitsTotal <= 4096 ? this.unitStates() : null,
      fromCopy: false,
    };
  }

  /** A page of units from `fromUnit`, with the accepted outputs' hashes (the host adds their bytes). */
  results(fromUnit: number, unitsMax: number): { readonly entries: readonly Omit<UnitResultEntry, 'output'>[]; readonly nextUnit: number | null } {
    const entries: Omit<UnitResultEntry, 'output'>[] = [];
    const end = Math.min(this.unitsTotal, fromUnit + unitsMax);
    for (let unit = fromUnit; unit < end; unit++) {
      const phase = this.state.phaseOf(unit);
      const accepted = this.accepted.get(unit);
      entries.push({
        unit, args: unitAt(this.manifest.spec.units, unit).args, state: phase,
        outputHash: accepted?.outputHash ?? null, outputCid: storedOutputCid(accepted?.outputHash ?? null), fuel: accepted === undefined ? null : Number(accepted.fuel),
        // Receipts for the output accepted now (a unit reopened by backtracking may hold some for a lie).
        workers: this.receipts.ofUnit(unit).filter((receipt) => receipt.outputHash === accepted?.outputHash).map((receipt) => ({ worker: receipt.worker, fuel: receipt.fuel, wallMs: receipt.wallMs })),
      });
    }
    return { entries, nextUnit: end < this.unitsTotal ? end : null };
  }

  /**
   * How many of `slots` this worker may take, given the job's rank and who else wants the work. A
   * pull model can rank only the volunteers around at once: those that asked within the window,
   * hold none of this job's leases now (a busy one asks again when it is free) and could run one of
   * the units waiting (not a replica of theirs already). When fewer units wait than such
   * volunteers, only the best-ranked get one each; the others wait for the next ask.
   */
  private slotsByRank(worker: string, rank: number, cores: number, nowMs: number): number {
    this.askers.set(worker, { rank, atMs: nowMs, cores });
    const wanted = this.state.unitsWanted(this.askers.size);
    const competing = [...this.askers.entries()].filter(([name]) =>
      name === worker || ((this.held.get(name) ?? 0) === 0 && wanted.some((unit) => !this.state.hasWorkedOn(unit, name))));
    if (wanted.length >= competing.length) return Number.MAX_SAFE_INTEGER;
    // Ties by name, so every coordinator would decide alike.
    const better = competing.filter(([name, other]) => other.rank > rank || (other.rank === rank && name < worker)).length;
    return better < Math.max(1, wanted.length) ? 1 : 0;
  }

  /**
   * The end of a job: once the units still waiting are no more than the cores of the workers asking
   * for them, a worker gets only as many leases as it has cores free. A lease beyond those would
   * wait in its queue behind a running unit while another worker sat idle, and the job's tail would
   * grow by up to a unit's time (docs/COMPUTE.md, "The end of a job"). Before that, volunteers
   * queue a little work ahead (volunteer.ts), which hides the round trip of asking.
   */
  private endGameSlots(worker: string, cores: number): number {
    let askingCores = 0;
    for (const asker of this.askers.values()) askingCores += asker.cores;
    if (this.state.unitsWanted(askingCores + 1).length > askingCores) return Number.MAX_SAFE_INTEGER;
    return Math.max(0, cores - (this.held.get(worker) ?? 0));
  }

  private ended(worker: string): void {
    const count = (this.held.get(worker) ?? 0) - 1;
    if (count > 0) this.held.set(worker, count);
    else this.held.delete(worker);
  }

  /**
   * A lease ended without a result: its checkpoint, if any, is for the unit's next lease — unless
   * the lease had resumed from another's checkpoint itself: a checkpoint resting on two workers'
   * word would need both named in the vote, so the unit starts afresh instead.
   */
  private orphan(leaseId: number): void {
    const own = this.leaseCheckpoints.get(leaseId);
    const given = this.resumedCheckpoints.get(leaseId);
    this.leaseCheckpoints.delete(leaseId);
    this.resumedFrom.delete(leaseId);
    this.resumedCheckpoints.delete(leaseId);
    // A resumed lease that saved nothing of its own hands back the checkpoint it was given: still
    // one worker's word (its maker's), and the work up to it is not lost.
    const next = given !== undefined ? (own === undefined ? given : undefined) : own;
    if (next === undefined || this.state.phaseOf(next.unit) !== 'open') return;
    this.orphanCheckpoints.set(next.unit, { worker: next.worker, bytes: next.bytes });
  }

  private settled(unit: number, verdict: { readonly outputHash: string; readonly fuel: bigint; readonly agreeing?: readonly string[] } | null, accepted: AcceptedOutput[]): void {
    this.settledLog.push(unit);
    this.orphanCheckpoints.delete(unit);
    const outputs = this.pendingOutputs.get(unit);
    const claims = this.claims.get(unit);
    // Replicas of this unit's outputs are no longer needed, whatever they said.
    this.pendingOutputs.delete(unit);
    this.claims.delete(unit);
    if (verdict === null) return;
    for (const worker of verdict.agreeing ?? []) {
      const claim = claims?.get(worker);
      if (claim === undefined) continue;
      this.receipts.issue({ jobId: this.jobId, unit, worker, fuel: claim.fuel, wallMs: claim.wallMs, outputHash: verdict.outputHash });
    }
    this.accepted.set(unit, { outputHash: verdict.outputHash, fuel: verdict.fuel });
    const output = outputs?.get(verdict.outputHash);
    if (output !== undefined) accepted.push({ unit, outputHash: verdict.outputHash, output });
  }

  /**
   * A result for a unit settled before it came (a replica still running when the quorum was
   * reached). The unit stays as it was accepted — its output, its verdict — but the result still
   * counts for its worker: one that agrees with the accepted result earns a receipt for the work,
   * one that does not is outvoted by it (a worker's standing, job-host.ts). Agreement is the
   * quorum's (validation-policy.ts): the output and the fuel, but only the output for a replica
   * resumed from a checkpoint (its fuel counts from there). Nothing for a unit that failed, or a
   * result that is not an output.
   */
  private lateResult(unit: number, worker: string, result: UnitReport, resumed: boolean, hashHex: HashHex): ReportAnswer['verdicts'][number] | null {
    const accepted = this.accepted.get(unit);
    const outputHash = okOutputKey(result, hashHex);
    if (accepted === undefined || outputHash === null) return null;
    if (outputHash !== accepted.outputHash || (!resumed && BigInt(result.fuel) !== accepted.fuel)) return { unit, agreeing: [], disagreeing: [worker] };
    this.receipts.issue({ jobId: this.jobId, unit, worker, fuel: result.fuel, wallMs: result.wallMs, outputHash });
    return { unit, agreeing: [worker], disagreeing: [] };
  }

  /**
   * A worker's answer to a spot check: recorded in the standing book by SpotLeases; a right one
   * earns a receipt like any accepted work (the worker cannot tell it was a check).
   */
  private spotAnswer(worker: string, result: UnitReport, hashHex: HashHex): { unit: number; worker: string; outcome: SpotOutcome } | null {
    const unit = this.spot?.unitOf(result.lease);
    if (this.spot === null || unit === undefined) return null;
    const outputHash = okOutputKey(result, hashHex);
    const outcome = this.spot.answer(result.lease, outputHash, BigInt(result.fuel));
    if (outcome === null) return null;
    if (outcome === 'passed' && outputHash !== null) this.receipts.issue({ jobId: this.jobId, unit, worker, fuel: result.fuel, wallMs: result.wallMs, outputHash });
    return { unit, worker, outcome };
  }

  private holdPending(unit: number, outputHash: string, bytes: Uint8Array): void {
    let outputs = this.pendingOutputs.get(unit);
    if (outputs === undefined) this.pendingOutputs.set(unit, outputs = new Map());
    // One copy per distinct output, however many replicas sent it.
    if (!outputs.has(outputHash)) outputs.set(outputHash, bytes);
  }

  private unitStates(): string {
    let states = '';
    for (let unit = 0; unit < this.unitsTotal; unit++) {
      const phase = this.state.phaseOf(unit);
      states += phase === 'done' ? 'd' : phase === 'failed' ? 'f' : 'o';
    }
    return states;
  }
}
